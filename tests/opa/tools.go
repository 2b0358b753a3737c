//go:build tools

// Package opa pins the OPA server used as an HTTP peer by `make bench-opa`; it lives in a module
// of its own so OPA's dependencies stay out of the main go.mod.
package opa

import _ "github.com/open-policy-agent/opa"
