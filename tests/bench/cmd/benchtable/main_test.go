package main

import (
	"bytes"
	"strings"
	"testing"
)

const sample = `goos: linux
goarch: amd64
pkg: github.com/iamref/iam/tests/bench
cpu: AMD EPYC
BenchmarkDecide/iamref-2         	11817427	        90.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecide/iamref-explain-2 	 6693710	       190.4 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecide/cedar-sliced-2   	  243950	      5210 ns/op	    1616 B/op	      19 allocs/op
BenchmarkDecide/casbin-2         	     596	   1841181 ns/op	  795127 B/op	   21575 allocs/op
BenchmarkDecide/iamref-2         	11817427	        80.00 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecide/iamref-explain-2 	 6693710	       170.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecide/cedar-sliced-2   	  243950	      5000 ns/op	    1616 B/op	      19 allocs/op
BenchmarkDecide/casbin-2         	     596	   1900000 ns/op	  795000 B/op	   21500 allocs/op
BenchmarkDecide/iamref-2         	11817427	       100.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecide/iamref-explain-2 	 6693710	       180.0 ns/op	       0 B/op	       0 allocs/op
BenchmarkDecide/cedar-sliced-2   	  243950	      5500 ns/op	    1616 B/op	      19 allocs/op
BenchmarkDecide/casbin-2         	     596	   1800000 ns/op	  796000 B/op	   21600 allocs/op
BenchmarkOther                   	     100	      12.5 ns/op
PASS
ok  	github.com/iamref/iam/tests/bench	7.194s
`

func TestParse(t *testing.T) {
	for _, c := range []struct {
		name, in string
		want     map[string]int // series name → runs
		order    []string
		failed   bool
	}{
		{"count 3", sample, map[string]int{"iamref": 3, "iamref-explain": 3, "cedar-sliced": 3, "casbin": 3, "Other": 1},
			[]string{"iamref", "iamref-explain", "cedar-sliced", "casbin", "Other"}, false},
		{"no procs suffix", "BenchmarkDecide/naive \t 100\t 37.1 ns/op\n", map[string]int{"naive": 1}, []string{"naive"}, false},
		{"noise and failure", "BenchmarkDecide/x-8 is slow\nFAIL\tpkg\t1s\n", map[string]int{}, nil, true},
		{"empty", "", map[string]int{}, nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, failed, err := parse(strings.NewReader(c.in))
			if err != nil {
				t.Fatal(err)
			}
			if failed != c.failed {
				t.Errorf("failed = %v, want %v", failed, c.failed)
			}
			if len(got) != len(c.order) {
				t.Fatalf("got %d series, want %d", len(got), len(c.order))
			}
			for i, s := range got {
				if s.name != c.order[i] || len(s.runs) != c.want[s.name] {
					t.Errorf("series %d: %s with %d runs, want %s with %d", i, s.name, len(s.runs), c.order[i], c.want[c.order[i]])
				}
			}
		})
	}
}

func TestParseBadValue(t *testing.T) {
	if _, _, err := parse(strings.NewReader("BenchmarkX-2 10 abc ns/op\n")); err == nil {
		t.Fatal("want an error for a non-numeric value")
	}
}

func TestSummarize(t *testing.T) {
	ss, _, err := parse(strings.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		i                       int
		ns, min, max, b, allocs float64
		mem                     bool
	}{
		{0, 90, 80, 100, 0, 0, true},
		{2, 5210, 5000, 5500, 1616, 19, true},
		{3, 1841181, 1800000, 1900000, 795127, 21575, true},
		{4, 12.5, 12.5, 12.5, 0, 0, false},
	} {
		s := summarize(ss[c.i])
		if s.ns != c.ns || s.min != c.min || s.max != c.max || s.bytes != c.b || s.allocs != c.allocs || s.mem != c.mem {
			t.Errorf("%s: got %+v", ss[c.i].name, s)
		}
	}
	if m := median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median of an even count = %v, want 2.5", m)
	}
}

func TestFormat(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{num(93.06), "93.1"},
		{num(5210), "5,210"},
		{num(1841181), "1,841,181"},
		{num(0), "0"},
		{times(0.4), "0.40×"},
		{times(2.04), "2.0×"},
		{times(56.4), "56×"},
		{times(19784.2), "19,784×"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

func TestRender(t *testing.T) {
	ss, _, _ := parse(strings.NewReader(sample))
	sums := make([]summary, len(ss))
	for i, s := range ss {
		sums[i] = summarize(s)
	}
	var buf bytes.Buffer
	render(&buf, sums, targets{base: "iamref", explain: "iamref-explain", peer: "cedar-sliced", maxNs: 100, minPeerRatio: 50, maxExplainRatio: 3})
	out := buf.String()
	for _, want := range []string{
		"| engine | median ns/op | spread (min–max) | B/op | allocs/op | vs iamref |",
		"| iamref | 90 | 80–100 | 0 | 0 | 1× (baseline) |",
		"| cedar-sliced | 5,210 | 5,000–5,500 | 1,616 | 19 | 58× |",
		"| Other | 12.5 | 12.5–12.5 | – | – | 0.14× |",
		"- iamref: 90 ns/op (median of 3 runs), 0 allocs/op; target ≤ 100 ns and 0 allocs: met",
		"- cedar-sliced is 58× iamref; target ≥ 50×: met",
		"- iamref-explain / iamref = 2.0×; target ≤ 3×: met",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	buf.Reset()
	render(&buf, sums, targets{base: "iamref", explain: "iamref-explain", peer: "cedar-sliced", maxNs: 50, minPeerRatio: 100, maxExplainRatio: 1.5})
	if n := strings.Count(buf.String(), "MISSED"); n != 3 {
		t.Errorf("want 3 missed targets, got %d:\n%s", n, buf.String())
	}
}
