package authz

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

// The built-in sets and roles are pinned by a golden file so that any change shows in review.
// Regenerate with: go test ./authz -run TestBuiltinsGolden -update
func TestBuiltinsGolden(t *testing.T) {
	type golden struct {
		Identifier   string          `json:"identifier"`
		Name         string          `json:"name"`
		UXPurpose    string          `json:"uxPurpose"`
		ResourceType string          `json:"resourceType"`
		Details      json.RawMessage `json:"details"`
	}
	var out []golden
	for _, b := range Builtins() {
		out = append(out, golden{b.Identifier, b.Name, b.UXPurpose, b.Kind.ResourceType(), Format(b.Details)})
	}
	got, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	const path = "testdata/builtins.golden.json"
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("built-in sets or roles changed; review and run with -update:\n%s", got)
	}
	for _, b := range Builtins() {
		if _, err := Parse(Format(b.Details)); err != nil {
			t.Errorf("%s: %v", b.Identifier, err)
		}
	}
}
