package ui

import (
	"io/fs"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
)

// TestHandler: each file is served with its type and the security headers; missing files 404.
func TestHandler(t *testing.T) {
	h := Handler()
	for _, tc := range []struct {
		path, status, ctype string
	}{
		{"/ui/", "200", "text/html"},
		{"/ui/app.js", "200", "text/javascript"},
		{"/ui/app.css", "200", "text/css"},
		{"/ui/missing.js", "404", ""},
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.path, nil))
		if got := rec.Result().Status[:3]; got != tc.status {
			t.Errorf("%s: %s, want %s", tc.path, got, tc.status)
		}
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
			t.Errorf("%s: Content-Type %q, want %s", tc.path, ct, tc.ctype)
		}
		if rec.Header().Get("Content-Security-Policy") != CSP || rec.Header().Get("X-Frame-Options") != "DENY" ||
			rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("%s: security headers %v", tc.path, rec.Header())
		}
	}
}

// TestStaticFiles: the files hold no inline script, style or event handler (the CSP would
// block them), name no other origin, and the script never uses innerHTML, eval or the URL for
// the token.
func TestStaticFiles(t *testing.T) {
	scriptTag := regexp.MustCompile(`<script[^>]*>`)
	inline := regexp.MustCompile(`<script[^>]*>\s*[^<\s]|\son[a-z]+=|<style|\sstyle=`)
	external := regexp.MustCompile(`(?i)(https?:)?//[a-z0-9.-]+\.[a-z]{2,}`)
	forbidden := regexp.MustCompile(`innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function|localStorage|document\.cookie|location\.(search|hash)|[?&]token=`)
	files := 0
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		b, err := static.ReadFile(path)
		if err != nil {
			return err
		}
		if strings.HasSuffix(path, ".html") {
			if m := inline.Find(b); m != nil {
				t.Errorf("%s: inline script, style or handler: %q", path, m)
			}
			for _, tag := range scriptTag.FindAll(b, -1) {
				if !strings.Contains(string(tag), "src=") {
					t.Errorf("%s: inline script %s", path, tag)
				}
			}
		}
		if m := external.Find(b); m != nil {
			t.Errorf("%s: names another origin: %q", path, m)
		}
		if strings.HasSuffix(path, ".js") {
			if m := forbidden.Find(b); m != nil {
				t.Errorf("%s: uses %q", path, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 3 {
		t.Errorf("%d embedded files", files)
	}
}
