package main

import (
	"bytes"
	"os"
	"testing"
)

// TestDocumentUpToDate fails when server/openapi/openapi.json differs from what this generator
// writes (a changed wire type or operation): run `make docs` and commit the result.
func TestDocumentUpToDate(t *testing.T) {
	got, err := generate("../../../apitype")
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("server/openapi/openapi.json is stale: run 'make docs' and commit the result")
	}
}
