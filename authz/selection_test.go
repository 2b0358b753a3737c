package authz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSelectCoversDecide: every entity Decide allows is named by Select (all, a pinned ID, or
// all the pairs of one tag set), on random trees of tag and identity grants; trees with
// conditions an index cannot answer are reported as such.
func TestSelectCoversDecide(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	vals := []string{"dev", "prod"}
	keys := []string{"env", "team"}
	read := MustScope("stack:read").ID
	for round := 0; round < 300; round++ {
		var entries []string
		for i := 0; i < 1+rng.IntN(3); i++ {
			switch rng.IntN(4) {
			case 0:
				entries = append(entries, cond(fmt.Sprintf(stackTag, keys[rng.IntN(2)], vals[rng.IntN(2)]), allowOf("stack:read")))
			case 1:
				both := `{"__type":"PermissionExpressionAnd","left":` + fmt.Sprintf(stackTag, "env", vals[rng.IntN(2)]) + `,"right":` + fmt.Sprintf(stackTag, "team", vals[rng.IntN(2)]) + `}`
				entries = append(entries, cond(both, allowOf("stack:read")))
			case 2:
				entries = append(entries, cond(fmt.Sprintf(stackIs, fmt.Sprint("s", rng.IntN(8))), allowOf("stack:read")))
			case 3:
				entries = append(entries, cond(fmt.Sprintf(stackTag, "env", "dev"), allowOf("stack:write")))
			}
		}
		ix := MustCompile(MustParse(group(entries...)), NoCompose)
		sel, ok := ix.Select(read)
		if !ok {
			t.Fatalf("round %d: tag and identity grants are indexable", round)
		}
		for i := 0; i < 8; i++ {
			e := Entity{Kind: KindStack, ID: fmt.Sprint("s", i), Tags: map[string]string{}}
			for _, k := range keys {
				if rng.IntN(3) > 0 {
					e.Tags[k] = vals[rng.IntN(2)]
				}
			}
			if !ix.Decide(read, e) {
				continue
			}
			named := sel.All || slices.Contains(sel.IDs, e.ID)
			for _, pairs := range sel.Tags {
				all := true
				for k, v := range pairs {
					all = all && e.Tags[k] == v
				}
				named = named || all
			}
			if !named {
				t.Fatalf("round %d: %v allowed but not selected by %+v", round, e, sel)
			}
		}
	}
	notTagged := cond(`{"__type":"PermissionExpressionNot","node":`+fmt.Sprintf(stackTag, "env", "prod")+`}`, allowOf("stack:read"))
	if _, ok := MustCompile(MustParse(notTagged), NoCompose).Select(read); ok {
		t.Fatal("a negated tag condition is not indexable")
	}
	if sel, ok := MustCompile(MustParse(allowOf("stack:read")), NoCompose).Select(read); !ok || !sel.All {
		t.Fatalf("unconditional: %+v %v", sel, ok)
	}
}
