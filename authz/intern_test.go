package authz

import (
	"fmt"
	"testing"
	"unsafe"
)

// TestInternedDecidesLikeStrings: an entity built with Interned gets the answers of the same
// entity without it, on the paths the numbers replace (pinned IDs, one- and two-pair tag
// grants) and on those they leave to the strings (unknown tags, many tags, three pairs).
func TestInternedDecidesLikeStrings(t *testing.T) {
	ids := make([]string, 300) // enough for the ID table to grow and collide
	for i := range ids {
		ids[i] = fmt.Sprintf("stack-%d", i)
	}
	root, err := BuildRole([]GrantSpec{
		{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: ids}},
		{Scopes: []string{"stack:write"}, StackTags: map[string]string{"env": "dev"}},
		{Scopes: []string{"stack:delete"}, StackTags: map[string]string{"env": "dev", "team": "web"}},
		{Scopes: []string{"stack_tags:update"}, StackTags: map[string]string{"env": "dev", "team": "web", "tier": "1"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	ix := MustCompile(root, NoCompose)
	many := map[string]string{"env": "dev", "team": "web", "tier": "1"}
	for i := range maxInternedTags {
		many[fmt.Sprintf("k%d", i)] = "v"
	}
	stack := func(id string, tags map[string]string) Entity { return Entity{Kind: KindStack, ID: id, Tags: tags} }
	for _, c := range []struct {
		name   string
		e      Entity
		action string
		want   Decision
	}{
		{"pinned ID", stack("stack-7", nil), "stack:read", Allowed},
		{"last pinned ID", stack("stack-299", nil), "stack:read", Allowed},
		{"ID not pinned", stack("stack-300", nil), "stack:read", Denied},
		{"ID never seen", stack("nowhere-"+t.Name(), nil), "stack:read", Denied},
		{"one pair", stack("x", map[string]string{"env": "dev"}), "stack:write", Allowed},
		{"one pair, other value", stack("x", map[string]string{"env": "prod"}), "stack:write", Denied},
		{"value as key", stack("x", map[string]string{"dev": "env"}), "stack:write", Denied},
		{"two pairs", stack("x", map[string]string{"team": "web", "env": "dev", "region": "eu"}), "stack:delete", Allowed},
		{"one of two pairs", stack("x", map[string]string{"env": "dev"}), "stack:delete", Denied},
		{"three pairs (string path)", stack("x", map[string]string{"env": "dev", "team": "web", "tier": "1"}), "stack_tags:update", Allowed},
		{"many tags (string path)", stack("x", many), "stack:delete", Allowed},
		{"unknown tags (as the server builds them)", Entity{Kind: KindStack, ID: "x", Unknown: true}, "stack:write", Denied},
		{"no tags", stack("x", nil), "stack:write", Denied},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := MustScope(c.action).ID
			in := c.e.Interned()
			if c.name != "many tags (string path)" && !c.e.Unknown && c.e.Tags != nil && !in.in.tagsOK {
				t.Fatalf("tags not interned")
			}
			for _, e := range []Entity{c.e, in} {
				if got := ix.Decide(a, e); got != c.want {
					t.Errorf("Decide(%s, %+v) = %v, want %v", c.action, e, got, c.want)
				}
				if got := ix.Explain(a, e).Decision; got != c.want {
					t.Errorf("Explain(%s, %+v) = %v, want %v", c.action, e, got, c.want)
				}
			}
		})
	}
}

// TestIDTablePartial: when some pinned identity could not be interned (the table was full),
// the index decides by strings, so an interned entity is still allowed where it is pinned.
func TestIDTablePartial(t *testing.T) {
	ix := MustCompile(mustRole(t, GrantSpec{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{"p1", "p2"}}}), NoCompose)
	ix.hot[KindStack].cells, ix.hot[KindStack].numbered = nil, false // as if no identity had been interned
	e := Entity{Kind: KindStack, ID: "p2"}.Interned()
	if ix.Decide(MustScope("stack:read").ID, e) != Allowed {
		t.Fatal("a partial table must fall back to the identities")
	}
}

func mustRole(t *testing.T, grants ...GrantSpec) Node {
	t.Helper()
	root, err := BuildRole(grants)
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// TestInternedDecideDoesNotAllocate: deciding about an interned entity, and explaining it,
// allocates nothing.
func TestInternedDecideDoesNotAllocate(t *testing.T) {
	ix := MustCompile(mustRole(t,
		GrantSpec{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{"p1"}}},
		GrantSpec{Scopes: []string{"stack:write"}, StackTags: map[string]string{"env": "dev", "team": "web"}},
	), NoCompose)
	e := Entity{Kind: KindStack, ID: "p1", Tags: map[string]string{"env": "dev", "team": "web"}}.Interned()
	read, write := MustScope("stack:read").ID, MustScope("stack:write").ID
	allocs := testing.AllocsPerRun(100, func() {
		if ix.Decide(read, e) != Allowed || ix.Decide(write, e) != Allowed {
			t.Fatal("denied")
		}
		if ix.Explain(read, e).Decision != Allowed || ix.Explain(write, e).Decision != Allowed {
			t.Fatal("Explain denied")
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per decision", allocs)
	}
}

// TestHotKindIsOneLine: Decide's reads of a kind (but for the ID table) fit a 128-byte pair of
// cache lines, aligned in compiled indexes (logged only: the allocator's layout decides it, and
// only speed depends on it).
func TestHotKindIsOneLine(t *testing.T) {
	if n := unsafe.Sizeof(hotKind{}); n != 128 {
		t.Fatalf("hotKind is %d bytes, want 128 (two cache lines, fetched together)", n)
	}
	ix := MustCompile(mustRole(t, GrantSpec{Scopes: []string{"stack:read"}}), NoCompose)
	if off := uintptr(unsafe.Pointer(&ix.hot[0])) % 128; off != 0 {
		t.Logf("Index.hot is %d bytes past a 128-byte boundary: adjust hotPad", off)
	}
}

// TestInternConcurrent: entities interned while principals compile and decide, from several
// goroutines (run under -race by make test's race pass, if any), give the string answers.
func TestInternConcurrent(t *testing.T) {
	done := make(chan error)
	for g := range 4 {
		go func() {
			var err error
			for i := range 200 {
				id := fmt.Sprintf("c%d-%d", g, i%17)
				tags := map[string]string{"env": fmt.Sprintf("e%d", i%5)}
				ix := MustCompile(mustRole(t,
					GrantSpec{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{id}}},
					GrantSpec{Scopes: []string{"stack:write"}, StackTags: map[string]string{"env": "e1"}},
				), NoCompose)
				e := Entity{Kind: KindStack, ID: id, Tags: tags}
				for _, a := range []string{"stack:read", "stack:write"} {
					s := MustScope(a).ID
					if ix.Decide(s, e.Interned()) != ix.Decide(s, e) && err == nil {
						err = fmt.Errorf("%s on %+v: interned and string answers differ", a, e)
					}
				}
			}
			done <- err
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestHotOverflow: a kind whose few identities the hot line holds (small), or with more slots
// than the hot line holds (hotSlots), more residual checks than it inlines (hotInline), or more
// slots than a cell can name (cellSlotBits) decides an interned entity as it decides the
// strings, and Explain names the same grants.
func TestHotOverflow(t *testing.T) {
	scopes := []string{"stack:read", "stack:write", "stack:delete", "stack:read", "stack:write", "stack:delete", "stack:read"}
	var many []GrantSpec
	for i, s := range scopes { // one slot per stack, more than hotSlots
		many = append(many, GrantSpec{Scopes: []string{s}, Refs: Refs{Stacks: []string{fmt.Sprint("s", i)}}})
	}
	for i := range 8 { // more residual checks than hotInline
		many = append(many, GrantSpec{Scopes: []string{scopes[i%3]}, StackTags: map[string]string{"team": fmt.Sprint("t", i)}})
	}
	var wide []GrantSpec // more slots than a cell can name: the table is given up for strings
	for i := range 1<<cellSlotBits + 1 {
		wide = append(wide, GrantSpec{Scopes: []string{"stack:read"}, Refs: Refs{Stacks: []string{fmt.Sprint("w", i)}}})
	}
	pinned := func(n int) (gs []GrantSpec, es []Entity) { // n identities, two slots, no conditions
		for i := range n {
			s := []string{"stack:read"}
			if i%2 == 1 {
				s = []string{"stack:write"}
			}
			gs = append(gs, GrantSpec{Scopes: s, Refs: Refs{Stacks: []string{fmt.Sprint("p", n, "-", i)}}})
		}
		for i := range n + 1 {
			es = append(es, Entity{Kind: KindStack, ID: fmt.Sprint("p", n, "-", i)})
		}
		return gs, es
	}
	g15, e15 := pinned(3 * hotInline)
	g16, e16 := pinned(3*hotInline + 1)
	for _, c := range []struct {
		name     string
		grants   []GrantSpec
		numbered bool
		small    uint8
		entities []Entity
	}{
		{"identities in the hot line", g15, true, 3 * hotInline, e15},
		{"one identity too many for the hot line", g16, true, 0, e16},
		{"many slots and checks", many, true, 0, func() (out []Entity) {
			for i := range len(scopes) + 1 {
				out = append(out, Entity{Kind: KindStack, ID: fmt.Sprint("s", i), Tags: map[string]string{"team": fmt.Sprint("t", i)}})
			}
			return out
		}()},
		{"more slots than a cell names", wide, false, 0, []Entity{{Kind: KindStack, ID: "w0"}, {Kind: KindStack, ID: "w2048"}, {Kind: KindStack, ID: "w2049"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			ix := MustCompile(mustRole(t, c.grants...), NoCompose)
			if got := ix.hot[KindStack].numbered; got != c.numbered {
				t.Fatalf("numbered = %v, want %v", got, c.numbered)
			}
			if got := ix.hot[KindStack].small; got != c.small {
				t.Fatalf("small = %d, want %d", got, c.small)
			}
			if h := ix.hot[KindStack]; c.name == "many slots and checks" && (h.cold == nil || len(h.cold.more) == 0 || len(h.cold.slotBits) == 0) {
				t.Fatal("nothing overflows the hot line: the case tests nothing")
			}
			allowed := 0
			for _, e := range c.entities {
				for _, s := range []string{"stack:read", "stack:write", "stack:delete"} {
					a := MustScope(s).ID
					want := allowingGrants(ix, a, e)
					got, gotIn := ix.Decide(a, e), ix.Decide(a, e.Interned())
					if bool(got) != (len(want) > 0) || got != gotIn {
						t.Fatalf("%s on %s: Decide %v, interned %v, grants that allow %v", s, e.ID, got, gotIn, grantPaths(want))
					}
					if x, xIn := ix.Explain(a, e), ix.Explain(a, e.Interned()); !sameGrants(x.Grants, want) || !sameGrants(xIn.Grants, want) {
						t.Fatalf("%s on %s: Explain %v, interned %v, want %v", s, e.ID, grantPaths(x.Grants), grantPaths(xIn.Grants), grantPaths(want))
					}
					if got {
						allowed++
					}
				}
			}
			if allowed == 0 {
				t.Fatal("nothing allowed: the case tests nothing")
			}
		})
	}
}
