package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/server/store"
)

// tokenPattern is the format of every token this server issues: "pul-" and 40 hex digits.
var tokenPattern = regexp.MustCompile(`^pul-[0-9a-f]{40}$`)

// newTokenValue returns a fresh token value (160 random bits).
func newTokenValue() (string, error) {
	var b [20]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "pul-" + hex.EncodeToString(b[:]), nil
}

func hashToken(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// bearer extracts the token from "Authorization: token <value>" (Pulumi's form) or
// "Bearer <value>".
func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	scheme, value, ok := strings.Cut(h, " ")
	if !ok || (!strings.EqualFold(scheme, "token") && !strings.EqualFold(scheme, "bearer")) {
		return "", false
	}
	value = strings.TrimSpace(value)
	return value, value != ""
}

// tokenCache keeps recently used tokens by hash (authentication) and by ID (access checks) so
// that neither hits the store on every request. A deletion in this process evicts at once; one
// made through another replica shows within the cache TTL.
//
// Revocation wins over a request in flight: authenticate fills the cache through cache.Load,
// which observes the generation before it reads the store, and evict (after the store's delete
// has committed) starts a new generation, so a read that began before the delete is never
// cached after it (TestRevocationRace).
type tokenCache struct {
	org    string // the org this server serves: a token of another org is refused
	st     store.Store
	now    func() time.Time
	hashes *cache[[sha256.Size]byte, store.Token] // key: sha256(value)
	ids    *cache[string, store.Token]
}

func newTokenCache(org string, st store.Store, ttl time.Duration, now func() time.Time) *tokenCache {
	return &tokenCache{org: org, st: st, now: now, hashes: newCache[[sha256.Size]byte, store.Token](ttl, maxCached, now), ids: newCache[string, store.Token](ttl, maxCached, now)}
}

var (
	errBadToken = errors.New("invalid, expired or revoked token")
	// errForeignToken is a live token of another org in the same database. The caller gets the
	// same 401 as for an unknown token (nothing says the value is valid elsewhere); the audit
	// log records the difference.
	errForeignToken = fmt.Errorf("%w: a token of another organization", errBadToken)
)

// authenticate returns the live token for value. Expired and deleted tokens fail, and so do
// tokens of another org (errForeignToken): a token is valid only for its own org.
func (c *tokenCache) authenticate(ctx context.Context, value string) (store.Token, error) {
	if !tokenPattern.MatchString(value) {
		return store.Token{}, errBadToken
	}
	key := sha256.Sum256([]byte(value))
	tok, err := c.hashes.Load(key, func() (store.Token, error) {
		hash := key // a copy: only a cache miss allocates it
		tok, err := c.st.TokenByHash(ctx, hash[:])
		if errors.Is(err, store.ErrNotFound) {
			return store.Token{}, errBadToken
		}
		return tok, err
	})
	if err != nil {
		return store.Token{}, err
	}
	if subtle.ConstantTimeCompare(tok.Hash, key[:]) != 1 || tok.Deleted {
		return store.Token{}, errBadToken
	}
	if tok.Expires != 0 && c.now().Unix() >= tok.Expires {
		return store.Token{}, errBadToken
	}
	if tok.Org != c.org {
		return store.Token{}, errForeignToken
	}
	return tok, nil
}

// byID returns a token of org by ID (deleted ones included: the caller checks).
func (c *tokenCache) byID(ctx context.Context, org, id string) (store.Token, error) {
	return c.ids.Load(id, func() (store.Token, error) { return c.st.GetToken(ctx, org, id) })
}

// evict drops a token (after delete) so that its next use is refused.
func (c *tokenCache) evict(id string) {
	c.ids.Delete(id)
	c.hashes.DeleteFunc(func(_ [sha256.Size]byte, t store.Token) bool { return t.ID == id })
}

// evictWhere drops every cached token for which drop is true (a member's personal tokens, a
// team's tokens), after the store revoked them.
func (c *tokenCache) evictWhere(drop func(store.Token) bool) {
	c.ids.DeleteFunc(func(_ string, t store.Token) bool { return drop(t) })
	c.hashes.DeleteFunc(func(_ [sha256.Size]byte, t store.Token) bool { return drop(t) })
}

// usageTracker batches tokens' last-use times and writes them periodically, so that a
// request never waits for that write.
type usageTracker struct {
	st store.Store

	mu      sync.Mutex
	pending map[string]int64
	seen    map[string]int64 // last value written or queued, to skip redundant writes
}

// granularity of lastUsed: a token used twice within it is written once.
const usageGranularity = 60

func (u *usageTracker) touch(id string, at int64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if at-u.seen[id] < usageGranularity {
		return
	}
	u.seen[id] = at
	u.pending[id] = at
}

// lastUsed is the freshest known last-use time of a token (queued or stored).
func (u *usageTracker) lastUsed(id string, stored int64) int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return max(stored, u.seen[id])
}

func (u *usageTracker) flush(ctx context.Context) error {
	u.mu.Lock()
	batch := u.pending
	u.pending = map[string]int64{}
	u.mu.Unlock()
	if len(batch) == 0 {
		return nil
	}
	return u.st.TouchTokens(ctx, batch)
}
