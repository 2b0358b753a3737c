package server

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// TestCache runs scripts of cache operations against a settable clock (TTL 1 min, at most 2
// entries). A "read" step observes the generation as a reader does before reading the source;
// a "put" step stores with the generation the last "read" observed.
func TestCache(t *testing.T) {
	type step struct {
		op    string // get | read | put | delete | deleteFunc | clear | advance
		key   string
		value int
		d     time.Duration // advance
		want  int           // get: the value; 0 = a miss. put: 1 = stored, 0 = dropped
	}
	tests := []struct {
		name  string
		steps []step
	}{
		{"miss then hit", []step{
			{op: "get", key: "a"},
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1},
			{op: "get", key: "a", want: 1},
		}},
		{"fresh until ttl, stale at ttl", []step{
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1},
			{op: "advance", d: time.Minute - time.Nanosecond}, {op: "get", key: "a", want: 1},
			{op: "advance", d: time.Nanosecond}, {op: "get", key: "a"},
		}},
		{"put refreshes the age", []step{
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1},
			{op: "advance", d: 50 * time.Second},
			{op: "read"}, {op: "put", key: "a", value: 2, want: 1},
			{op: "advance", d: 50 * time.Second}, {op: "get", key: "a", want: 2},
		}},
		{"delete drops the key only", []step{
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1}, {op: "put", key: "b", value: 2, want: 1},
			{op: "delete", key: "a"},
			{op: "get", key: "a"}, {op: "get", key: "b", want: 2},
		}},
		{"delete wins over a put of a value read before it", []step{
			{op: "read"},                                           // a reader observes the generation, then reads the source…
			{op: "delete", key: "a"},                               // …a revocation lands meanwhile…
			{op: "put", key: "a", value: 1, want: 0},               // …and the stale value is dropped
			{op: "get", key: "a"},                                  // the next request reads the source again
			{op: "read"}, {op: "put", key: "a", value: 2, want: 1}, // a read after the delete caches
			{op: "get", key: "a", want: 2},
		}},
		{"a delete of another key also drops the racing put", []step{
			{op: "read"}, {op: "delete", key: "b"},
			{op: "put", key: "a", value: 1, want: 0}, {op: "get", key: "a"},
		}},
		{"deleteFunc drops matching values and wins over racing puts", []step{
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1}, {op: "put", key: "b", value: 2, want: 1},
			{op: "deleteFunc", value: 1},
			{op: "get", key: "a"}, {op: "get", key: "b", want: 2},
			{op: "put", key: "a", value: 1, want: 0},
		}},
		{"clear drops everything and wins over racing puts", []step{
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1},
			{op: "clear"},
			{op: "get", key: "a"}, {op: "put", key: "b", value: 2, want: 0}, {op: "get", key: "b"},
		}},
		{"a new key in a full cache empties it", []step{
			{op: "read"}, {op: "put", key: "a", value: 1, want: 1}, {op: "put", key: "b", value: 2, want: 1},
			{op: "put", key: "b", value: 3, want: 1}, // an existing key: nothing evicted
			{op: "get", key: "a", want: 1},
			{op: "put", key: "c", value: 4, want: 1},
			{op: "get", key: "a"}, {op: "get", key: "b"}, {op: "get", key: "c", want: 4},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			now := time.Unix(1_900_000_000, 0)
			c := newCache[string, int](time.Minute, 2, func() time.Time { return now })
			var gen uint64
			for i, s := range tc.steps {
				switch s.op {
				case "get":
					v, ok := c.Get(s.key)
					if ok != (s.want != 0) || v != s.want {
						t.Fatalf("step %d: Get(%q) = %d, %v; want %d", i, s.key, v, ok, s.want)
					}
				case "read":
					gen = c.Generation()
				case "put":
					if got := c.Put(gen, s.key, s.value); got != (s.want == 1) {
						t.Fatalf("step %d: Put(%q) stored %v, want %v", i, s.key, got, s.want == 1)
					}
				case "delete":
					c.Delete(s.key)
				case "deleteFunc":
					c.DeleteFunc(func(_ string, v int) bool { return v == s.value })
				case "clear":
					c.Clear()
				case "advance":
					now = now.Add(s.d)
				default:
					t.Fatalf("step %d: unknown op %q", i, s.op)
				}
			}
		})
	}
}

// TestCacheLoad: Load reads through once, caches nothing on error, and never caches a value
// whose read raced a Delete.
func TestCacheLoad(t *testing.T) {
	c := newCache[string, int](time.Minute, 10, time.Now)
	reads := 0
	fetch := func() (int, error) { reads++; return 7, nil }
	for range 3 {
		if v, err := c.Load("a", fetch); v != 7 || err != nil {
			t.Fatalf("Load = %d, %v", v, err)
		}
	}
	if reads != 1 {
		t.Errorf("source read %d times, want 1", reads)
	}

	boom := errors.New("boom")
	if _, err := c.Load("b", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Errorf("Load error = %v, want %v", err, boom)
	}
	if _, ok := c.Get("b"); ok {
		t.Error("a failed load was cached")
	}

	// The revocation lands while the value is being read.
	v, err := c.Load("r", func() (int, error) { c.Delete("r"); return 1, nil })
	if v != 1 || err != nil {
		t.Fatalf("Load = %d, %v", v, err)
	}
	if _, ok := c.Get("r"); ok {
		t.Error("a value read before a Delete was cached after it")
	}
}

// TestCacheConcurrentDelete races readers that fill the cache with the value they read against
// a revocation: once Delete has returned, no reader that read the old value can cache it.
func TestCacheConcurrentDelete(t *testing.T) {
	for range 200 {
		c := newCache[string, int](time.Hour, 10, time.Now)
		var mu sync.Mutex
		source := 1 // 1 = live; 0 = revoked
		read := func() (int, error) { mu.Lock(); defer mu.Unlock(); return source, nil }
		var wg sync.WaitGroup
		for range 4 {
			wg.Add(1)
			go func() { defer wg.Done(); _, _ = c.Load("tok", read) }()
		}
		mu.Lock()
		source = 0
		mu.Unlock()
		c.Delete("tok")
		wg.Wait()
		if v, ok := c.Get("tok"); ok && v != 0 {
			t.Fatalf("revoked value %d still cached after Delete", v)
		}
	}
}
