package backend

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "secrets.key")
	if _, _, err := LoadMasterKey(path, false); err == nil {
		t.Fatal("a missing key file without create: no error")
	}
	k1, created, err := LoadMasterKey(path, true)
	if err != nil || !created {
		t.Fatalf("create: %v (created %v)", err, created)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode().Perm(), err)
	}
	k2, created, err := LoadMasterKey(path, true)
	if err != nil || created {
		t.Fatalf("reload: %v (created %v)", err, created)
	}
	sealed, err := k1.NewSealedStackKey("s1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := k2.StackKey("s1", sealed); err != nil {
		t.Errorf("the reloaded master key does not open a key sealed before: %v", err)
	}

	for _, tc := range []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"readable by others", strings.Repeat("ab", 32), 0o644, "chmod 600"},
		{"short", "abcd", 0o600, "64 hex digits"},
		{"not hex", strings.Repeat("zz", 32), 0o600, "64 hex digits"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-"))
			if err := os.WriteFile(p, []byte(tc.content), tc.mode); err != nil {
				t.Fatal(err)
			}
			_ = os.Chmod(p, tc.mode)
			_, _, err := LoadMasterKey(p, true)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
			if err != nil && strings.Contains(err.Error(), tc.content) && len(tc.content) > 8 {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}
}

func TestStackKeys(t *testing.T) {
	m, _ := NewMasterKey(bytes.Repeat([]byte{1}, 32))
	other, _ := NewMasterKey(bytes.Repeat([]byte{2}, 32))
	sealed, err := m.NewSealedStackKey("s1")
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, bytes.Repeat([]byte{1}, 8)) {
		t.Error("the sealed key contains the master key")
	}
	k, err := m.StackKey("s1", sealed)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := k.Encrypt([]byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(ct, []byte("hunter2")) {
		t.Error("ciphertext contains the plaintext")
	}
	if p, err := k.Decrypt(ct); err != nil || string(p) != "hunter2" {
		t.Errorf("Decrypt: %q, %v", p, err)
	}
	sealed2, _ := m.NewSealedStackKey("s2")
	k2, _ := m.StackKey("s2", sealed2)
	flipped := append([]byte{}, ct...)
	flipped[len(flipped)-1] ^= 1
	for _, tc := range []struct {
		name string
		open func() error
	}{
		{"another stack's key", func() error { _, err := k2.Decrypt(ct); return err }},
		{"an altered ciphertext", func() error { _, err := k.Decrypt(flipped); return err }},
		{"a short ciphertext", func() error { _, err := k.Decrypt([]byte{1, 2}); return err }},
		{"the sealed key under another stack's ID", func() error { _, err := m.StackKey("s2", sealed); return err }},
		{"the sealed key under another master key", func() error { _, err := other.StackKey("s1", sealed); return err }},
	} {
		if err := tc.open(); err == nil {
			t.Errorf("%s: opened", tc.name)
		}
	}
}

func TestLease(t *testing.T) {
	v, h, err := NewLease()
	if err != nil {
		t.Fatal(err)
	}
	if !ValidLease(v) || !bytes.Equal(h, LeaseHash(v)) {
		t.Errorf("lease %q", v)
	}
	for _, bad := range []string{"", "pul-0123456789abcdef0123456789abcdef01234567", "upd-xyz", v + "0"} {
		if ValidLease(bad) {
			t.Errorf("ValidLease(%q) = true", bad)
		}
	}
}

func hashOf(b string) string {
	s := sha256.Sum256([]byte(b))
	return hex.EncodeToString(s[:])
}

// edits in the CLI's wire form (gotextdiff.TextEdit with byte offsets).
func edits(es ...string) []byte { return []byte("[" + strings.Join(es, ",") + "]") }
func ed(start, end int, text string) string {
	return `{"Span":{"uri":"","start":{"line":1,"column":0,"offset":` + itoa(start) + `},"end":{"line":1,"column":0,"offset":` + itoa(end) + `}},"NewText":` + quote(text) + `}`
}
func itoa(i int) string     { return strconv.Itoa(i) }
func quote(s string) string { return strconv.Quote(s) }

func TestApplyDelta(t *testing.T) {
	base := `{"version":3,"deployment":{"resources":[{"urn":"a"},{"urn":"b"}]}}`
	want := `{"version":3,"deployment":{"resources":[{"urn":"a"},{"urn":"c"},{"urn":"d"}]}}`
	i := strings.Index(base, `{"urn":"b"}`)
	ok := edits(ed(i, i+len(`{"urn":"b"}`), `{"urn":"c"},{"urn":"d"}`))
	tests := []struct {
		name    string
		delta   []byte
		hash    string
		max     int
		want    string
		wantErr string
	}{
		{"replace", ok, hashOf(want), 1 << 20, want, ""},
		{"no edits", edits(), hashOf(base), 1 << 20, base, ""},
		{"wrong hash", ok, hashOf("x"), 1 << 20, "", "checkpointHash"},
		{"too large", ok, hashOf(want), len(want) - 1, "", "at most"},
		{"out of range", edits(ed(0, 999, "")), hashOf(""), 1 << 20, "", "outside"},
		{"overlapping", edits(ed(5, 10, "x"), ed(7, 12, "y")), hashOf(""), 1 << 20, "", "out of order"},
		{"not edits", []byte(`{"a":1}`), hashOf(""), 1 << 20, "", "not a list"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ApplyDelta([]byte(base), tc.delta, tc.hash, tc.max)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				if tc.name == "too large" && !errors.As(err, new(*TooLargeError)) {
					t.Errorf("not a TooLargeError: %T", err)
				}
				return
			}
			if err != nil || string(got) != tc.want {
				t.Fatalf("got %s, %v; want %s", got, err, tc.want)
			}
		})
	}
}
