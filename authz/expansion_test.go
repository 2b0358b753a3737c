package authz

import (
	"fmt"
	"strings"
	"testing"
)

// countingResolver resolves from trees and counts how often each record is asked for.
type countingResolver struct {
	trees map[string]Node
	calls map[string]int
}

func (r *countingResolver) Resolve(id string) (Node, error) {
	r.calls[id]++
	n, ok := r.trees[id]
	if !ok {
		return nil, fmt.Errorf("no record %q", id)
	}
	return n, nil
}

func composeOf(ids ...string) string {
	return `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["` + strings.Join(ids, `","`) + `"]}`
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// TestCompileResolvesEachRecordOnce: however often a record is composed, Compile resolves it
// once, and a fan-out past MaxCompiledGrants fails before it is expanded (issue 9 item 3).
func TestCompileResolvesEachRecordOnce(t *testing.T) {
	big := MustParse(group(repeat(allowOf("stack:read"), MaxGroupEntries)...)) // 2,001 nodes
	tests := []struct {
		name    string
		trees   map[string]Node
		root    string
		err     string // "" = compiles
		nodes   int
		chain   int
		records int
	}{
		{"diamond", map[string]Node{
			"top":   MustParse(group(composeOf("left"), composeOf("right"))),
			"left":  MustParse(composeOf("base")),
			"right": MustParse(composeOf("base")),
			"base":  MustParse(allowOf("stack:read")),
		}, composeOf("top", "top"), "", 1 + 2*(3+2*2), 3, 4},
		{"fan-out within the limit", map[string]Node{"big": big},
			group(repeat(composeOf("big"), 9)...), "", 1 + 9*(1+2001), 1, 1},
		{"fan-out past the limit: 2000 × 2000", map[string]Node{"big": big},
			group(repeat(composeOf("big"), MaxGroupEntries)...), "effective tree too large", 0, 0, 0},
		{"fan-out through a chain", map[string]Node{
			"l1":  MustParse(group(repeat(composeOf("l2"), 100)...)),
			"l2":  MustParse(group(repeat(composeOf("l3"), 100)...)),
			"l3":  MustParse(group(repeat(composeOf("big"), 100)...)),
			"big": big,
		}, composeOf("l1"), "effective tree too large", 0, 0, 0},
		{"cycle through a memoized record", map[string]Node{
			"a": MustParse(group(composeOf("b"), composeOf("c"))),
			"b": MustParse(allowOf("stack:read")),
			"c": MustParse(composeOf("a")),
		}, composeOf("a"), "compose cycle: [a c a]", 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &countingResolver{trees: tt.trees, calls: map[string]int{}}
			ix, err := Compile(MustParse(tt.root), r)
			for id, n := range r.calls {
				if n != 1 {
					t.Errorf("record %s resolved %d times", id, n)
				}
			}
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("Compile: %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ix.Grants()) == 0 {
				t.Error("no grants")
			}
			e, err := Expand(MustParse(tt.root), r)
			if err != nil {
				t.Fatal(err)
			}
			if e.Nodes != tt.nodes || e.Chain != tt.chain || len(e.Records) != tt.records {
				t.Errorf("Expand = %d nodes, chain %d, records %v; want %d, %d, %d", e.Nodes, e.Chain, e.Records, tt.nodes, tt.chain, tt.records)
			}
		})
	}
}

// TestExpandChainLimit: a chain of MaxDepth records compiles; one more fails, also when the
// deeper record was measured before at a shallower place.
func TestExpandChainLimit(t *testing.T) {
	trees := map[string]Node{}
	for i := 0; i < MaxDepth; i++ {
		trees[fmt.Sprintf("r%d", i)] = MustParse(composeOf(fmt.Sprintf("r%d", i+1)))
	}
	trees[fmt.Sprintf("r%d", MaxDepth)] = MustParse(allowOf("stack:read"))
	r := &countingResolver{trees: trees, calls: map[string]int{}}
	if _, err := Compile(MustParse(composeOf("r1")), r); err != nil {
		t.Fatalf("chain of %d: %v", MaxDepth, err)
	}
	// r1 is measured first (chain of 64 from the root), then reached one level deeper via r0.
	root := MustParse(group(composeOf("r1"), composeOf("r0")))
	if _, err := Compile(root, r); err == nil || err.Error() != "compose chain deeper than 64" {
		t.Fatalf("chain of %d: %v", MaxDepth+1, err)
	}
}
