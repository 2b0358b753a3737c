// Command benchtable reads `go test -bench` output (ideally -count 5 -benchmem) on stdin and
// prints a markdown table: per benchmark, the median ns/op, the min–max spread, B/op,
// allocs/op and the ratio to a baseline, followed by the iamref performance targets.
//
//	go test -run '^$' -bench BenchmarkDecide -count 5 -benchmem . | go run ./cmd/benchtable
//
// It runs nothing itself. It exits non-zero when the input holds no benchmark results or
// reports a failure; missed targets are printed, not fatal, since timings are noisy.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// run is one result line.
type run struct {
	ns, bytes, allocs float64
	mem               bool               // the line had B/op and allocs/op
	extra             map[string]float64 // custom metrics (b.ReportMetric), by unit
}

// series is every run of one benchmark, named without "Benchmark…/" and the -GOMAXPROCS suffix.
type series struct {
	name string
	runs []run
}

// summary is a series reduced to medians and the ns/op spread.
type summary struct {
	name          string
	n             int
	ns, min, max  float64
	bytes, allocs float64
	mem           bool
	extra         map[string]float64 // median of each custom metric
	units         []string           // extra's units in the order first seen
}

var procsSuffix = regexp.MustCompile(`-\d+$`)

// parse reads benchmark lines, in order of first appearance. failed reports a "FAIL" line.
func parse(r io.Reader) (out []series, failed bool, err error) {
	at := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "FAIL") || strings.HasPrefix(line, "--- FAIL") {
			failed = true
		}
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
			continue // e.g. a "BenchmarkX" line printed by a log statement
		}
		var r run
		var seen [3]bool
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, failed, fmt.Errorf("%q: bad value %q", line, f[i])
			}
			switch f[i+1] {
			case "ns/op":
				r.ns, seen[0] = v, true
			case "B/op":
				r.bytes, seen[1] = v, true
			case "allocs/op":
				r.allocs, seen[2] = v, true
			default:
				if r.extra == nil {
					r.extra = map[string]float64{}
				}
				r.extra[f[i+1]] = v
			}
		}
		if !seen[0] {
			continue
		}
		r.mem = seen[1] && seen[2]
		name := procsSuffix.ReplaceAllString(f[0], "")
		if _, sub, ok := strings.Cut(name, "/"); ok {
			name = sub
		} else {
			name = strings.TrimPrefix(name, "Benchmark")
		}
		i, ok := at[name]
		if !ok {
			i = len(out)
			at[name] = i
			out = append(out, series{name: name})
		}
		out[i].runs = append(out[i].runs, r)
	}
	return out, failed, sc.Err()
}

// median of xs (the mean of the middle two for an even count); xs is sorted in place.
func median(xs []float64) float64 {
	slices.Sort(xs)
	n := len(xs)
	if n%2 == 1 {
		return xs[n/2]
	}
	return (xs[n/2-1] + xs[n/2]) / 2
}

func summarize(s series) summary {
	ns, bytes, allocs := make([]float64, 0, len(s.runs)), []float64{}, []float64{}
	mem := true
	for _, r := range s.runs {
		ns = append(ns, r.ns)
		if r.mem {
			bytes, allocs = append(bytes, r.bytes), append(allocs, r.allocs)
		} else {
			mem = false
		}
	}
	out := summary{name: s.name, n: len(ns), mem: mem && len(bytes) > 0, ns: median(ns), min: ns[0], max: ns[len(ns)-1]}
	if out.mem {
		out.bytes, out.allocs = median(bytes), median(allocs)
	}
	byUnit := map[string][]float64{}
	for _, r := range s.runs {
		for u, v := range r.extra {
			if byUnit[u] == nil {
				out.units = append(out.units, u)
			}
			byUnit[u] = append(byUnit[u], v)
		}
	}
	slices.Sort(out.units)
	if len(byUnit) > 0 {
		out.extra = map[string]float64{}
		for u, vs := range byUnit {
			out.extra[u] = median(vs)
		}
	}
	return out
}

// num prints a value with thousands separators, with one decimal below 1,000.
func num(v float64) string {
	if v < 1000 && v != float64(int64(v)) {
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return whole(v)
}

// whole rounds v and prints it with thousands separators.
func whole(v float64) string {
	s := strconv.FormatInt(int64(v+0.5), 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// times prints a ratio: two significant decimals below 10, whole numbers above.
func times(r float64) string {
	switch {
	case r < 1:
		return strconv.FormatFloat(r, 'f', 2, 64) + "×"
	case r < 10:
		return strconv.FormatFloat(r, 'f', 1, 64) + "×"
	}
	return whole(r) + "×"
}

// targets are the performance goals checked below the table.
type targets struct {
	base, explain, peer string
	peerOf              string  // the benchmark the peer ratio is relative to ("" = base)
	flatOf              string  // "X": the series "X@…" must be within ±20% of X
	maxNs               float64 // base median ns/op
	minPeerRatio        float64 // peer / base
	maxExplainRatio     float64 // explain / base
}

func verdict(ok bool) string {
	if ok {
		return "met"
	}
	return "MISSED"
}

// render writes the table and the target lines.
func render(w io.Writer, ss []summary, t targets) {
	var base *summary
	for i := range ss {
		if ss[i].name == t.base {
			base = &ss[i]
		}
	}
	ratioHead := "vs " + t.base
	fmt.Fprintf(w, "| engine | median ns/op | spread (min–max) | B/op | allocs/op | %s |\n", ratioHead)
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|")
	for _, s := range ss {
		bytes, allocs, ratio := "–", "–", "–"
		if s.mem {
			bytes, allocs = num(s.bytes), num(s.allocs)
		}
		if base != nil && base.ns > 0 {
			ratio = times(s.ns / base.ns)
			if s.name == base.name {
				ratio = "1× (baseline)"
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s–%s | %s | %s | %s |\n", s.name, num(s.ns), num(s.min), num(s.max), bytes, allocs, ratio)
	}
	if base == nil {
		fmt.Fprintf(w, "\nno %q benchmark: no ratios or targets\n", t.base)
		return
	}
	fmt.Fprintf(w, "\n- %s: %s ns/op (median of %d runs), %s allocs/op; target ≤ %s ns and 0 allocs: %s\n",
		t.base, num(base.ns), base.n, num(base.allocs), num(t.maxNs), verdict(base.ns <= t.maxNs && base.mem && base.allocs == 0))
	peerBase := base
	for i := range ss {
		if t.peerOf != "" && ss[i].name == t.peerOf {
			peerBase = &ss[i]
		}
	}
	for _, s := range ss {
		for _, u := range s.units {
			fmt.Fprintf(w, "- %s: %s %s (median)\n", s.name, num(s.extra[u]), u)
		}
		if t.flatOf != "" && strings.HasPrefix(s.name, t.flatOf+"@") && !strings.Contains(s.name, "/") {
			for _, f := range ss {
				if f.name == t.flatOf {
					r := s.ns / f.ns
					fmt.Fprintf(w, "- %s / %s = %s; target within ±20%%: %s\n", s.name, f.name, times(r), verdict(r >= 0.8 && r <= 1.2))
				}
			}
		}
		switch s.name {
		case t.peer:
			r := s.ns / peerBase.ns
			fmt.Fprintf(w, "- %s is %s %s; target ≥ %s×: %s\n", s.name, times(r), peerBase.name, num(t.minPeerRatio), verdict(r >= t.minPeerRatio))
		case t.explain:
			r := s.ns / base.ns
			fmt.Fprintf(w, "- %s / %s = %s; target ≤ %s×: %s\n", s.name, t.base, times(r), num(t.maxExplainRatio), verdict(r <= t.maxExplainRatio))
		}
	}
}

func main() {
	var t targets
	flag.StringVar(&t.base, "base", "iamref", "benchmark the ratios are relative to")
	flag.StringVar(&t.explain, "explain", "iamref-explain", "explained-decision benchmark")
	flag.StringVar(&t.peer, "peer", "cedar-sliced", "peer benchmark the base must beat by -min-peer-ratio")
	flag.StringVar(&t.peerOf, "peer-of", "", "benchmark the peer ratio is relative to (default: -base)")
	flag.StringVar(&t.flatOf, "flat-of", "", "benchmark whose \"NAME@size\" variants must stay within ±20% of it")
	flag.Float64Var(&t.maxNs, "max-ns", 100, "target: base median ns/op at most")
	flag.Float64Var(&t.minPeerRatio, "min-peer-ratio", 50, "target: peer/base at least")
	flag.Float64Var(&t.maxExplainRatio, "max-explain-ratio", 3, "target: explain/base at most")
	flag.Parse()

	ss, failed, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchtable:", err)
		os.Exit(1)
	}
	if len(ss) == 0 {
		fmt.Fprintln(os.Stderr, "benchtable: no benchmark results on stdin")
		os.Exit(1)
	}
	sums := make([]summary, len(ss))
	for i, s := range ss {
		sums[i] = summarize(s)
	}
	render(os.Stdout, sums, t)
	if failed {
		fmt.Fprintln(os.Stderr, "benchtable: the input reports a failure")
		os.Exit(1)
	}
}
