//go:build tools

// Package tools pins goreleaser, which builds the release archives (.goreleaser.yaml at the
// repository root). `make release-snapshot` builds it from the Go module proxy into
// ../../.tools/bin.
package tools

import (
	_ "github.com/goreleaser/goreleaser/v2"
)
