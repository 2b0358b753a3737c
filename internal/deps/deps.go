//go:build tools

// Package deps pins modules that are used only by tests, generators and tools, so that
// `go mod tidy` keeps them in go.mod at the versions chosen there.
package deps
