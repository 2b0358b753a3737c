package authz

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// TestFormatDoesNotEscapeHTML: canonical printing keeps '<', '>' and '&' as one byte each, so
// that details within the size limit stay within it once printed (issue 9 item 7), and every
// other string is printed as json.Encoder without HTML escaping prints it.
func TestFormatDoesNotEscapeHTML(t *testing.T) {
	for _, s := range []string{
		"", "plain", "<a href='x'>&amp;</a>", `quote " and \ backslash`, "tab\tnew\nline\rcr",
		"\x00\x01\x1f\x7f", "é 日本 🙂", "line\u2028sep\u2029", "bad \xff utf8", strings.Repeat("<>&", 100),
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		var got bytes.Buffer
		writeString(&got, s)
		if got.String() != strings.TrimSuffix(want.String(), "\n") {
			t.Errorf("writeString(%q) = %s, want %s", s, got.String(), want.String())
		}
	}

	// A tree near the size limit whose strings are all '<', '>' and '&' prints within the limit.
	var b strings.Builder
	b.WriteString(`{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"k"},"values":{"__type":"PermissionSetExpressionString","values":[`)
	for i := 0; b.Len() < MaxDetailsBytes-1000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strings.Repeat("<>&", 300) + strings.Repeat("x", i%50+1) + `"`)
	}
	b.WriteString(`]}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`)
	in := b.String()
	out, err := Canonical([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) > len(in) || len(out) > MaxDetailsBytes {
		t.Fatalf("canonical form of %d bytes is %d bytes", len(in), len(out))
	}
	if _, err := Parse(out); err != nil {
		t.Fatalf("canonical form does not parse: %v", err)
	}
}
