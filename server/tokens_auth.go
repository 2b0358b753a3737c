package server

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
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

// tokenCache keeps recently used tokens by hash so that authentication does not hit the
// store on every request. Deletions in this process evict at once; entries also expire after
// ttl so that a change made by another replica is seen within it.
type tokenCache struct {
	st  store.Store
	ttl time.Duration
	now func() time.Time

	mu      sync.RWMutex
	entries map[string]cachedToken // key: string(hash)
	ids     map[string]cachedToken // key: token ID (access checks name principals by ID)
}

type cachedToken struct {
	tok     store.Token
	fetched time.Time
}

var errBadToken = errors.New("invalid, expired or revoked token")

// authenticate returns the live token for value. Expired and deleted tokens fail.
func (c *tokenCache) authenticate(ctx context.Context, value string) (store.Token, error) {
	if !tokenPattern.MatchString(value) {
		return store.Token{}, errBadToken
	}
	hash := hashToken(value)
	now := c.now()
	c.mu.RLock()
	e, ok := c.entries[string(hash)]
	c.mu.RUnlock()
	if !ok || now.Sub(e.fetched) > c.ttl {
		tok, err := c.st.TokenByHash(ctx, hash)
		if errors.Is(err, store.ErrNotFound) {
			return store.Token{}, errBadToken
		}
		if err != nil {
			return store.Token{}, err
		}
		e = cachedToken{tok: tok, fetched: now}
		c.mu.Lock()
		if len(c.entries) > 100_000 { // bound memory under a flood of distinct tokens
			clear(c.entries)
		}
		c.entries[string(hash)] = e
		c.mu.Unlock()
	}
	if subtle.ConstantTimeCompare(e.tok.Hash, hash) != 1 || e.tok.Deleted {
		return store.Token{}, errBadToken
	}
	if e.tok.Expires != 0 && now.Unix() >= e.tok.Expires {
		return store.Token{}, errBadToken
	}
	return e.tok, nil
}

// byID returns a token by ID (deleted ones included: the caller checks), cached like
// authenticate's lookups.
func (c *tokenCache) byID(ctx context.Context, org, id string) (store.Token, error) {
	now := c.now()
	c.mu.RLock()
	e, ok := c.ids[id]
	c.mu.RUnlock()
	if ok && now.Sub(e.fetched) <= c.ttl {
		return e.tok, nil
	}
	tok, err := c.st.GetToken(ctx, org, id)
	if err != nil {
		return store.Token{}, err
	}
	c.mu.Lock()
	if len(c.ids) > 100_000 {
		clear(c.ids)
	}
	c.ids[id] = cachedToken{tok: tok, fetched: now}
	c.mu.Unlock()
	return tok, nil
}

// evict drops a token (after delete) so that its next use is refused.
func (c *tokenCache) evict(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.ids, id)
	for k, e := range c.entries {
		if e.tok.ID == id {
			delete(c.entries, k)
		}
	}
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
