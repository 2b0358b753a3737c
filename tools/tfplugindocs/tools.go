//go:build tools

// Package tools pins tfplugindocs, the generator of the Terraform registry docs under docs/.
// `make docs` builds it from the Go module proxy into ../../.tools/bin.
package tools

import (
	_ "github.com/hashicorp/terraform-plugin-docs/cmd/tfplugindocs"
)
