package server

import (
	"sync"
	"sync/atomic"
	"time"
)

// cache is the server's one read-through cache: entries expire ttl after they were stored (so
// a change made through another replica shows within ttl), it holds at most max entries (a new
// key in a full cache empties it), and every Delete or Clear starts a new generation.
//
// Invalidation wins over a concurrent fill: a reader observes Generation before it reads the
// source and hands it to Put, which drops the value if any Delete or Clear happened since, so a
// value read before a revocation is never cached after it. Load does this for the common case.
// Writers invalidate after their store write (Delete or Clear); an object a writer has just
// created may be Put with the generation read before the write.
type cache[K comparable, V any] struct {
	ttl time.Duration
	max int
	now func() time.Time

	mu      sync.RWMutex
	entries map[K]cacheEntry[V]
	gen     atomic.Uint64 // changed only under mu; read without it (Generation)
}

// maxCached bounds each cache (a flood of distinct tokens or names must not grow memory).
const maxCached = 100_000

type cacheEntry[V any] struct {
	value  V
	stored time.Time
}

func newCache[K comparable, V any](ttl time.Duration, max int, now func() time.Time) *cache[K, V] {
	return &cache[K, V]{ttl: ttl, max: max, now: now, entries: map[K]cacheEntry[V]{}}
}

// Get returns the value stored for k if it is younger than ttl.
func (c *cache[K, V]) Get(k K) (V, bool) {
	v, _, ok := c.GetAt(k, c.now())
	return v, ok
}

// GetAt is Get at the instant now (read once per request by hot paths), and also returns when
// the value was stored.
func (c *cache[K, V]) GetAt(k K, now time.Time) (V, time.Time, bool) {
	c.mu.RLock()
	e, ok := c.entries[k]
	c.mu.RUnlock()
	if !ok || now.Sub(e.stored) >= c.ttl {
		var zero V
		return zero, time.Time{}, false
	}
	return e.value, e.stored, true
}

// getBytes is GetAt for a string-keyed cache probed with a key held in bytes, without
// allocating the string.
func getBytes[V any](c *cache[string, V], k []byte, now time.Time) (V, bool) {
	c.mu.RLock()
	e, ok := c.entries[string(k)]
	c.mu.RUnlock()
	if !ok || now.Sub(e.stored) >= c.ttl {
		var zero V
		return zero, false
	}
	return e.value, true
}

// Generation is the current generation; read it before reading the value Put will store.
func (c *cache[K, V]) Generation() uint64 { return c.gen.Load() }

// Put stores v for k unless the cache was invalidated since generation gen; it reports whether
// it stored. A new key in a full cache (max entries) empties it first.
func (c *cache[K, V]) Put(gen uint64, k K, v V) bool {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if gen != c.gen.Load() {
		return false
	}
	if _, ok := c.entries[k]; !ok && len(c.entries) >= c.max {
		clear(c.entries) // one cheap rule; a full cache under a flood of keys just refills
	}
	c.entries[k] = cacheEntry[V]{value: v, stored: now}
	return true
}

// Load returns the cached value for k, or reads it with fetch and caches it (unless an
// invalidation happened during the read). A fetch error is returned and nothing is cached.
func (c *cache[K, V]) Load(k K, fetch func() (V, error)) (V, error) {
	if v, ok := c.Get(k); ok {
		return v, nil
	}
	gen := c.Generation()
	v, err := fetch()
	if err != nil {
		return v, err
	}
	c.Put(gen, k, v)
	return v, nil
}

// Delete drops the given keys and starts a new generation.
func (c *cache[K, V]) Delete(keys ...K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, k := range keys {
		delete(c.entries, k)
	}
	c.gen.Add(1)
}

// DeleteFunc drops every entry for which drop is true and starts a new generation.
func (c *cache[K, V]) DeleteFunc(drop func(K, V) bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, e := range c.entries {
		if drop(k, e.value) {
			delete(c.entries, k)
		}
	}
	c.gen.Add(1)
}

// Clear drops every entry and starts a new generation.
func (c *cache[K, V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.entries)
	c.gen.Add(1)
}
