package server

import (
	"context"
	"sync"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// principalCache answers "the compiled rights of the token with this ID" in one probe for the
// access check, which names up to 1,000 principals per request. It holds nothing of its own: an
// entry is what the token cache (by ID) and the compiled-index cache said, and it is valid only
// while neither of them has been invalidated since it was filled (their generations are
// unchanged) and no longer than the older of the two entries it was built from would have
// lived. Any revocation, role, team, member or guardrail change therefore drops every entry at
// once (fail closed), and the next check rebuilds from the two caches.
type principalCache struct {
	tokens *cache[string, store.Token]
	roles  *cache[string, compiledRole]
	ttl    time.Duration

	mu      sync.RWMutex
	entries map[uint64]principalEntry // by keyHash of the token ID; the ID itself is in the entry
}

// principalEntry is one token's compiled rights. The token's ID is held in the entry (token IDs
// are 36-byte UUIDs; a longer ID is not cached), so that a probe compares it without leaving the
// map's slot.
type principalEntry struct {
	n               uint8 // the ID's length in id
	id              [maxCachedID]byte
	ix              *authz.Index
	expires         int64     // the token's expiry (unix seconds, 0 = never)
	stored          time.Time // when the older of the two cached entries was stored
	tokGen, roleGen uint64    // the caches' generations read before the fill
}

// maxCachedID is the longest token ID the principal cache holds.
const maxCachedID = 40

func newPrincipalCache(tokens *cache[string, store.Token], roles *cache[string, compiledRole], ttl time.Duration) *principalCache {
	return &principalCache{tokens: tokens, roles: roles, ttl: ttl, entries: map[uint64]principalEntry{}}
}

// get is the compiled rights of the token with this ID at the instant now, if cached and valid.
func (c *principalCache) get(id string, now time.Time) (*authz.Index, bool) {
	c.mu.RLock()
	e, ok := c.entries[keyHash(id)]
	c.mu.RUnlock()
	if !ok || string(e.id[:e.n]) != id || e.tokGen != c.tokens.Generation() || e.roleGen != c.roles.Generation() || now.Sub(e.stored) >= c.ttl {
		return nil, false
	}
	if e.expires != 0 && now.Unix() >= e.expires {
		return emptyIndex, true // expired: it may do nothing
	}
	return e.ix, true
}

// put records ix for the token, built from the token cache's and the index cache's entries
// under tokGen and roleGen (read before the fill); it stores nothing unless both entries are
// still cached.
func (c *principalCache) put(tok store.Token, roleKey string, ix *authz.Index, tokGen, roleGen uint64, now time.Time) {
	if len(tok.ID) == 0 || len(tok.ID) > maxCachedID {
		return
	}
	_, ts, ok1 := c.tokens.GetAt(tok.ID, now)
	_, rs, ok2 := c.roles.GetAt(roleKey, now)
	if !ok1 || !ok2 {
		return
	}
	stored := ts
	if rs.Before(stored) {
		stored = rs
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= maxCached {
		clear(c.entries)
	}
	e := principalEntry{n: uint8(len(tok.ID)), ix: ix, expires: tok.Expires, stored: stored, tokGen: tokGen, roleGen: roleGen}
	copy(e.id[:], tok.ID)
	c.entries[keyHash(tok.ID)] = e // a colliding ID's entry is replaced: it only misses
}

// principalIndexAt is principalIndex at the instant now, through the principal cache.
func (s *Server) principalIndexAt(ctx context.Context, tokenID string, now time.Time) (*authz.Index, error) {
	if ix, ok := s.principals.get(tokenID, now); ok {
		return ix, nil
	}
	tokGen, roleGen := s.tokens.ids.Generation(), s.indexes.roles.Generation()
	tok, ix, err := s.principalIndexOf(ctx, tokenID, now)
	if err != nil || tok.ID == "" {
		return ix, err
	}
	s.principals.put(tok, roleKeyOf(tok), ix, tokGen, roleGen, now)
	return ix, nil
}
