package bench

import (
	"testing"

	"github.com/iamref/iam/authz"
)

// Sinks keep the compiler from discarding the decisions.
var (
	sinkBool   bool
	sinkGrants int
)

// engines returns the shared engines, built once per process.
func engines(tb testing.TB) *Engines {
	tb.Helper()
	e, err := Default()
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// BenchmarkDecide cycles every engine through the same 8,192 pre-converted requests.
// The principal lookup (token → index, policy set or role) is inside the timed loop.
func BenchmarkDecide(b *testing.B) {
	e := engines(b)
	const mask = 8192 - 1
	if len(e.Workload.Requests) != mask+1 {
		b.Fatalf("want 8192 requests, have %d", len(e.Workload.Requests))
	}
	b.Run("iamref", func(b *testing.B) {
		eng, reqs := e.Iamref, e.Iamref.Reqs
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkBool = eng.Decide(&reqs[i&mask])
			i++
		}
	})
	b.Run("iamref-explain", func(b *testing.B) {
		eng, reqs := e.Iamref, e.Iamref.Reqs
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			x := eng.Explain(&reqs[i&mask])
			sinkBool, sinkGrants = x.Decision == authz.Allowed, len(x.Grants)
			i++
		}
	})
	b.Run("cedar-sliced", func(b *testing.B) {
		eng, reqs := e.Cedar, e.Cedar.Reqs
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkBool, _ = eng.DecideSliced(&reqs[i&mask])
			i++
		}
	})
	b.Run("cedar-global", func(b *testing.B) {
		eng, reqs := e.Cedar, e.Cedar.Reqs
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkBool, _ = eng.DecideGlobal(&reqs[i&mask])
			i++
		}
	})
	b.Run("casbin", func(b *testing.B) {
		eng, reqs := e.Casbin, e.Casbin.Reqs
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkBool, _ = eng.Decide(reqs[i&mask])
			i++
		}
	})
	b.Run("naive", func(b *testing.B) {
		eng, reqs := e.Naive, e.Naive.Reqs
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			sinkBool = eng.Decide(&reqs[i&mask])
			i++
		}
	})
}

// BenchmarkDecideRatios: the plain workload's in-process decisions (Decide, and Explain, which
// the server calls) interleaved with the plain-map checker's and cedar-go's (sliced by
// principal), batch by batch in one loop, as BenchmarkTagRatios does, so that the ratios hold
// on a loaded machine. Every engine takes its principal by number, as in BenchmarkTagRatios;
// the by-token pair looks it up by token on both sides.
func BenchmarkDecideRatios(b *testing.B) {
	e := engines(b)
	iamref := func(i int) bool { return e.Iamref.Decide(&e.Iamref.Reqs[i]) }
	explain := func(i int) bool { return e.Iamref.Explain(&e.Iamref.Reqs[i]).Decision == authz.Allowed }
	cedarSliced := func(i int) bool { ok, _ := e.Cedar.DecideSliced(&e.Cedar.Reqs[i]); return ok }
	interleave(b, "naive/iamref", 256, 256, iamref, func(i int) bool { return e.Naive.Decide(&e.Naive.Reqs[i]) })
	interleave(b, "naive/iamref,by-token", 256, 256, func(i int) bool { return e.Iamref.DecideByToken(&e.Iamref.Reqs[i]) },
		func(i int) bool { return e.Naive.DecideByToken(&e.Naive.Reqs[i]) })
	interleave(b, "cedar-sliced/iamref", 256, 8, iamref, cedarSliced)
	interleave(b, "cedar-sliced/iamref-explain", 256, 8, explain, cedarSliced)
}
