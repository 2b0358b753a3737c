// Package ui is the web console that iam-server serves at /ui: static HTML, CSS and JavaScript
// embedded in the binary (no build step, no CDN). The console holds the token the user pastes
// (or the access token it got by exchanging an OIDC ID token at /api/oauth/token; the ID token
// itself is not kept) in the tab's sessionStorage and calls the JSON API with it in the
// Authorization header, so it sees exactly what that token may see. It never puts the token in a URL and sets no cookie:
// the server authenticates only the Authorization header, which a cross-site page cannot make
// a browser send, so the console is CSRF-safe by construction.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed static
var static embed.FS

// Path is where the console is served.
const Path = "/ui/"

// CSP allows only the console's own files: no inline script or style, no framing, no form
// posts, connections to this origin only.
const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Mount serves the console at Path on mux (and redirects /ui there).
func Mount(mux *http.ServeMux) {
	mux.Handle("GET "+Path, Handler())
	mux.Handle("GET /ui", http.RedirectHandler(Path, http.StatusMovedPermanently))
}

// Handler serves the embedded files under Path with the console's security headers.
func Handler() http.Handler {
	sub, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded tree always has static/
	}
	files := http.StripPrefix(Path, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		SetHeaders(w.Header())
		files.ServeHTTP(w, r)
	})
}

// SetHeaders sets the console's security headers.
func SetHeaders(h http.Header) {
	h.Set("Content-Security-Policy", CSP)
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Cross-Origin-Opener-Policy", "same-origin")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "no-cache")
}
