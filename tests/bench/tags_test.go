package bench

import (
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"

	"github.com/iamref/iam/authz"
)

// tagEngines are the tag workload's engines at one size, built once per process.
type tagEngines struct {
	w      *TagWorkload
	iamref *TagIamref
	cedar  *TagCedar
	naive  *TagNaive
}

var (
	tagMu    sync.Mutex
	tagBuilt = map[TagConfig]*tagEngines{}
)

func tagEnginesOf(tb testing.TB, c TagConfig, withCedar bool) *tagEngines {
	tb.Helper()
	tagMu.Lock()
	defer tagMu.Unlock()
	e := tagBuilt[c]
	if e == nil {
		e = &tagEngines{w: GenerateTags(c)}
		var err error
		if e.iamref, err = NewTagIamref(e.w); err != nil {
			tb.Fatal(err)
		}
		e.naive = NewTagNaive(e.w)
		tagBuilt[c] = e
	}
	if withCedar && e.cedar == nil {
		var err error
		if e.cedar, err = NewTagCedar(e.w); err != nil {
			tb.Fatal(err)
		}
	}
	return e
}

// TestEnginesAgreeTags checks iamref, cedar-go and the plain-map checker against the role and
// policy definitions on every request of a reduced tag workload (and that it is not all one
// answer); `make test-bench-agree` runs it.
func TestEnginesAgreeTags(t *testing.T) {
	c := TagConfig{Stacks: 5_000, Roles: 1_000, Policies: 100, Requests: 4096, Seed: DefaultTagConfig.Seed}
	e := tagEnginesOf(t, c, true)
	for _, set := range []struct {
		name  string
		reqs  []TagRequest
		ix    []IamrefRequest
		ce    []CedarRequest
		naive []TagNaiveRequest
	}{
		{"tags", e.w.TagReqs, e.iamref.TagReqs, e.cedar.TagReqs, e.naive.TagReqs},
		{"ids", e.w.IDReqs, e.iamref.IDReqs, e.cedar.IDReqs, e.naive.IDReqs},
	} {
		allow := 0
		for i, q := range set.reqs {
			want := e.w.Expected(q)
			if want {
				allow++
			}
			got := map[string]bool{
				"iamref": e.iamref.Decide(&set.ix[i]), "iamref-by-token": e.iamref.DecideByToken(&set.ix[i]),
				"iamref-explain": e.iamref.Explain(&set.ix[i]).Decision == authz.Allowed,
				"naive":          e.naive.Decide(&set.naive[i]),
			}
			for name, decide := range map[string]func(*CedarRequest) (bool, cedar.Diagnostic){
				"cedar-sliced": e.cedar.DecideSliced, "cedar-sliced-by-token": e.cedar.DecideSlicedByToken,
			} {
				ok, diag := decide(&set.ce[i])
				if len(diag.Errors) > 0 {
					t.Fatalf("%s request %d: %s errors %v", set.name, i, name, diag.Errors)
				}
				got[name] = ok
			}
			for eng, g := range got {
				if g != want {
					t.Fatalf("%s request %d %+v: %s says %v, the definitions %v", set.name, i, q, eng, g, want)
				}
			}
		}
		t.Logf("%s: %d requests, %d allow", set.name, len(set.reqs), allow)
		if allow*10 < len(set.reqs) || allow*10 > len(set.reqs)*9 {
			t.Errorf("%s: %d of %d allowed: the workload should mix both answers", set.name, allow, len(set.reqs))
		}
	}
}

// BenchmarkTags: decisions of tag-granted tokens (conditions on 3–5 stack tags, through
// composed policies) beside those of ID-granted tokens, cedar-go with the tags as entity
// attributes and the policy set sliced by principal, and the plain-map checker, over the
// issue's 100,000 stacks, 10,000 roles and 1,000 policies; then the tag decisions again at
// 1,000 and 10,000 stacks (flatness).
func BenchmarkTags(b *testing.B) {
	e := tagEnginesOf(b, DefaultTagConfig, true)
	const mask = 8192 - 1
	run := func(name string, decide func(i int) bool) {
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			runtime.GC() // no collection of the setup's garbage during the timing
			i := 0
			for b.Loop() {
				sinkBool = decide(i & mask)
				i++
			}
		})
	}
	run("iamref-tag", func(i int) bool { return e.iamref.Decide(&e.iamref.TagReqs[i]) })
	run("iamref-id", func(i int) bool { return e.iamref.Decide(&e.iamref.IDReqs[i]) })
	run("cedar-sliced-tag", func(i int) bool { ok, _ := e.cedar.DecideSliced(&e.cedar.TagReqs[i]); return ok })
	run("naive-tag", func(i int) bool { return e.naive.Decide(&e.naive.TagReqs[i]) })
	for _, n := range []int{1_000, 10_000} {
		c := DefaultTagConfig
		c.Stacks = n
		small := tagEnginesOf(b, c, false)
		run(fmt.Sprintf("iamref-tag@%dk", n/1000), func(i int) bool { return small.iamref.Decide(&small.iamref.TagReqs[i]) })
	}
}

// BenchmarkTagCompile: parsing and compiling one principal's role (what the server does once
// per principal and change), for roles by tags (composing 1–3 policies) and by identities;
// B/op is the memory one compile allocates. retained-B/principal is the heap the 10,000
// compiled principals keep, per principal.
func BenchmarkTagCompile(b *testing.B) {
	e := tagEnginesOf(b, DefaultTagConfig, false)
	for _, byTags := range []bool{true, false} {
		var roles []*TagRole
		for i := range e.w.Roles {
			if e.w.Roles[i].ByTags == byTags {
				roles = append(roles, &e.w.Roles[i])
			}
		}
		name := "compile-id-role"
		if byTags {
			name = "compile-tag-role"
		}
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				if _, err := e.iamref.CompileRole(e.w, roles[i%len(roles)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("retained", func(b *testing.B) {
		var per float64
		for b.Loop() {
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			kept := make([]any, 0, len(e.w.Roles))
			for i := range e.w.Roles {
				ix, err := e.iamref.CompileRole(e.w, &e.w.Roles[i])
				if err != nil {
					b.Fatal(err)
				}
				kept = append(kept, ix)
			}
			runtime.GC()
			runtime.ReadMemStats(&after)
			per = float64(after.HeapAlloc-before.HeapAlloc) / float64(len(kept))
			runtime.KeepAlive(kept)
		}
		b.ReportMetric(per, "retained-B/principal")
	})
}

// BenchmarkTagRatios measures pairs of engines interleaved, batch by batch, in the same loop:
// on a shared, loaded machine the separate benchmarks above drift apart by more than the
// ratios they are meant to show, while interleaved batches see the same load. Each reports
// the two per-decision times and their ratio. Every engine takes its principal by number (a
// slice index: a server resolves the principal once per request, not per decision); the
// by-token pair looks it up by token in a map of 10,000 on both sides, as before.
func BenchmarkTagRatios(b *testing.B) {
	e := tagEnginesOf(b, DefaultTagConfig, true)
	c := DefaultTagConfig
	c.Stacks = 1_000
	small := tagEnginesOf(b, c, false)
	pair := func(name string, na, nb int, a, bb func(i int) bool) { interleave(b, name, na, nb, a, bb) }
	tag := func(i int) bool { return e.iamref.Decide(&e.iamref.TagReqs[i]) }
	pair("cedar-sliced-tag/iamref-tag", 256, 8, tag, func(i int) bool { ok, _ := e.cedar.DecideSliced(&e.cedar.TagReqs[i]); return ok })
	pair("cedar-sliced-tag/iamref-tag-explain", 256, 8, func(i int) bool { return e.iamref.Explain(&e.iamref.TagReqs[i]).Decision == authz.Allowed },
		func(i int) bool { ok, _ := e.cedar.DecideSliced(&e.cedar.TagReqs[i]); return ok })
	pair("cedar-sliced-tag/iamref-tag,by-token", 256, 8, func(i int) bool { return e.iamref.DecideByToken(&e.iamref.TagReqs[i]) },
		func(i int) bool { ok, _ := e.cedar.DecideSlicedByToken(&e.cedar.TagReqs[i]); return ok })
	pair("iamref-tag/iamref-id", 256, 256, func(i int) bool { return e.iamref.Decide(&e.iamref.IDReqs[i]) }, tag)
	pair("iamref-tag@100k/iamref-tag@1k", 256, 256, func(i int) bool { return small.iamref.Decide(&small.iamref.TagReqs[i]) }, tag)
	pair("naive-tag/iamref-tag", 256, 256, tag, func(i int) bool { return e.naive.Decide(&e.naive.TagReqs[i]) })
}

// interleave runs a and bb (decisions on requests i&8191) in alternating batches of na and nb
// within one loop, so both see the same load, and reports each one's time per decision and
// their ratio b/a: over the whole run (the means), and as the ratio of the median batches
// (b/a-median), which a batch slowed by another process's time slice moves less on a loaded
// machine.
func interleave(b *testing.B, name string, na, nb int, a, bb func(i int) bool) {
	const mask = 8192 - 1
	b.Run(name, func(b *testing.B) {
		runtime.GC()
		var ta, tb time.Duration
		var ca, cb, i, j int
		var batchA, batchB []time.Duration
		for b.Loop() {
			start := time.Now()
			for range na {
				sinkBool = a(i & mask)
				i++
			}
			mid := time.Now()
			for range nb {
				sinkBool = bb(j & mask)
				j++
			}
			end := time.Now()
			ta, tb = ta+mid.Sub(start), tb+end.Sub(mid)
			ca, cb = ca+na, cb+nb
			batchA, batchB = append(batchA, mid.Sub(start)), append(batchB, end.Sub(mid))
		}
		da, db := float64(ta.Nanoseconds())/float64(ca), float64(tb.Nanoseconds())/float64(cb)
		b.ReportMetric(da, "a-ns/decision")
		b.ReportMetric(db, "b-ns/decision")
		b.ReportMetric(db/da, "b/a")
		ma, mb := float64(median(batchA))/float64(na), float64(median(batchB))/float64(nb)
		b.ReportMetric(mb/ma, "b/a-median")
	})
}

// median is the middle of ds (which it sorts).
func median(ds []time.Duration) time.Duration {
	slices.Sort(ds)
	return ds[len(ds)/2]
}
