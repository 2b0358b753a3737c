//go:build tools

// Package tools pins the Pulumi CLI and the Pulumi YAML language host that the end-to-end
// tests run. `make tools` builds both from the Go module proxy into ../../.tools/bin.
package tools

import (
	_ "github.com/pulumi/pulumi-yaml/cmd/pulumi-language-yaml"
	_ "github.com/pulumi/pulumi/pkg/v3/cmd/pulumi"
)
