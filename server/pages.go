package server

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// Listings are paged. A page holds at most ?maxResults= items (default defaultPageSize, at
// most maxPageSize; the audit log keeps its own ?pageSize=); when more follow, the answer
// carries a continuation token for the next page. Tokens are opaque: base64url of the
// listing's name and parameters, the position after the page's last item, and an HMAC over
// both keyed from the org's random ID, so a token that was altered, or that belongs to another
// listing (other parameters, another server's database), is a 400 naming continuationToken
// rather than a silently different page.
const (
	defaultPageSize = 100
	maxPageSize     = 1000
	// maxRolePageBytes bounds a page of roles by the size of their details as well (each may be
	// up to authz.MaxDetailsBytes): a page ends early rather than exceed it, with at least one
	// record in it.
	maxRolePageBytes = 4 << 20
	// entityScanFactor bounds the rows one page of a filtered listing (stacks the caller may
	// read, …) reads: at most this many times the page size. A page may end short, with a
	// continuation token, when most rows are filtered out.
	entityScanFactor = 10
	cursorMACBytes   = 16
)

// pageSize reads ?maxResults=.
func pageSize(r *http.Request, resource string) (int, error) {
	v := r.URL.Query().Get("maxResults")
	if v == "" {
		return defaultPageSize, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > maxPageSize {
		return 0, invalid(resource, "maxResults", "want an integer from 1 to %d", maxPageSize)
	}
	return n, nil
}

func (s *Server) cursorMAC(payload []byte) []byte {
	key := sha256.Sum256([]byte("iamref continuation token v1\x00" + s.org.ID))
	m := hmac.New(sha256.New, key[:])
	m.Write(payload)
	return m.Sum(nil)[:cursorMACBytes]
}

// continuation is the token for the page after pos in the listing named list (its name and
// parameters, e.g. "tokens?filter=active").
func (s *Server) continuation(list string, pos ...string) string {
	payload, _ := json.Marshal(append([]string{list}, pos...)) // strings always marshal
	return base64.RawURLEncoding.EncodeToString(append(payload, s.cursorMAC(payload)...))
}

// readContinuation returns the position in ?continuationToken= (nil when absent), which must
// have been issued for the listing list and hold n keys; anything else is a 400.
func (s *Server) readContinuation(r *http.Request, resource, list string, n int) ([]string, error) {
	return s.parseContinuation(r.URL.Query().Get("continuationToken"), resource, list, n)
}

// parseContinuation is readContinuation for a token sent elsewhere (a request body).
func (s *Server) parseContinuation(tok, resource, list string, n int) ([]string, error) {
	if tok == "" {
		return nil, nil
	}
	bad := invalid(resource, "continuationToken", "not a continuation token this listing issued (altered, or from another listing, query or server); list again from the start without it")
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) <= cursorMACBytes || len(tok) > 4096 {
		return nil, bad
	}
	payload, mac := raw[:len(raw)-cursorMACBytes], raw[len(raw)-cursorMACBytes:]
	if !hmac.Equal(mac, s.cursorMAC(payload)) {
		return nil, bad
	}
	var keys []string
	if err := json.Unmarshal(payload, &keys); err != nil || len(keys) != n+1 || keys[0] != list {
		return nil, bad
	}
	return keys[1:], nil
}

// listName names a listing and the parameters its pages depend on.
func listName(name string, params ...string) string {
	return name + "?" + strings.Join(params, "&")
}
