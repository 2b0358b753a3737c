package main

import (
	"fmt"
	"io"
	"runtime"
	"time"
)

// Targets from the issue.
const (
	targetDecisionsPerSec = 30_000
	targetBatchP99        = 2 * time.Millisecond
	targetCreatesPerSec   = 1_000
)

func ms(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	}
}

func us(d time.Duration) string {
	if d < 100*time.Microsecond { // per-decision costs: one decimal
		return fmt.Sprintf("%.1f µs", float64(d)/1e3)
	}
	if d < 10*time.Millisecond {
		return fmt.Sprintf("%.0f µs", float64(d)/1e3)
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}

func num(f float64) string {
	switch {
	case f >= 100:
		return commas(int64(f + 0.5))
	case f >= 10:
		return fmt.Sprintf("%.1f", f)
	default:
		return fmt.Sprintf("%.2f", f)
	}
}

func commas(n int64) string {
	s := fmt.Sprint(n)
	out := ""
	for len(s) > 3 {
		out = "," + s[len(s)-3:] + out
		s = s[:len(s)-3]
	}
	return s + out
}

func rate(n int, d time.Duration) string { return num(float64(n) / d.Seconds()) }

func printReport(w io.Writer, c config, tg *target, st seedTimes, seedCPU time.Duration, nChecks, nAllowed, nMism int, sizes [2][2]int, results []result) {
	what := tg.mode + " server"
	if tg.pgPID != 0 {
		what = tg.mode
	}
	fmt.Fprintf(w, "\n## iamref load test (%s, loopback)\n\n", what)
	fmt.Fprintf(w, "%s, %s/%s, %d CPUs (client and server share them), GOMAXPROCS %d; %d client goroutines, HTTP/1.1 keep-alive.\n\n",
		runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0), c.conc)

	n := c.projects * c.stacks
	fmt.Fprintf(w, "### Seeding (%d concurrent requests)\n\n", c.seedConc)
	fmt.Fprintln(w, "| what | count | time | per second |")
	fmt.Fprintln(w, "|---|---:|---:|---:|")
	fmt.Fprintf(w, "| stacks (%d projects × %d) | %s | %.2f s | %s |\n", c.projects, c.stacks, commas(int64(n)), st.stacks.Seconds(), rate(n, st.stacks))
	fmt.Fprintf(w, "| environments | %d | %.2f s | %s |\n", c.envs, st.envs.Seconds(), rate(c.envs, st.envs))
	fmt.Fprintf(w, "| roles (`authz.BuildRole`: In over %d stacks, 3 writable stacks, 1 env, every 50th audit) | %s | %.2f s | %s |\n", c.stacks, commas(int64(c.roles)), st.roles.Seconds(), rate(c.roles, st.roles))
	fmt.Fprintf(w, "| tokens (one per role) | %s | %.2f s | %s |\n", commas(int64(c.roles)), st.tokens.Seconds(), rate(c.roles, st.tokens))
	cpu := ""
	if seedCPU > 0 {
		cpu = fmt.Sprintf(" (server CPU %.1f s)", seedCPU.Seconds())
		if tg.pgPID != 0 {
			cpu = fmt.Sprintf(" (server CPU %.1f s, of which PostgreSQL %.1f s)", seedCPU.Seconds(), st.pgCPU.Seconds())
		}
	}
	fmt.Fprintf(w, "| **total**%s | %s objects | **%.2f s** | %s |\n\n", cpu, commas(int64(n+c.envs+2*c.roles)), st.total.Seconds(), rate(n+c.envs+2*c.roles, st.total))
	on := ""
	if len(tg.urls) > 1 {
		on = fmt.Sprintf(" on each of the %d replicas", len(tg.urls))
	}
	fmt.Fprintf(w, "Decisions verified against the grant model before timing%s: %s (%s allowed), %d mismatches. ", on, commas(int64(nChecks)), commas(int64(nAllowed)), nMism)
	fmt.Fprintf(w, "Average bodies: batch of %d %s B request / %s B response; single check %s B / %s B.\n\n",
		c.batch, commas(int64(sizes[0][0])), commas(int64(sizes[0][1])), commas(int64(sizes[1][0])), commas(int64(sizes[1][1])))

	var floor *result
	for i := range results {
		if results[i].key == "healthz" {
			floor = &results[i]
		}
	}
	serverCol := tg.mode != "in-process" && tg.mode != "external"
	pgCol := serverCol && tg.pgPID != 0
	fmt.Fprintln(w, "### Measurements")
	fmt.Fprintln(w)
	hdr := "| workload | requests | req/s | decisions/s | p50 | p90 | p99 | max |"
	sep := "|---|---:|---:|---:|---:|---:|---:|---:|"
	if serverCol {
		hdr += " server CPU / req | server CPU / decision | client CPU / req |"
		sep += "---:|---:|---:|"
	}
	if pgCol {
		hdr += " PostgreSQL CPU / req (share) |"
		sep += "---:|"
	}
	if floor != nil {
		hdr += " cost × healthz (req/s) | × healthz (p50) |"
		sep += "---:|---:|"
	}
	hdr += " other load |"
	sep += "---:|"
	fmt.Fprintln(w, hdr)
	fmt.Fprintln(w, sep)
	for _, r := range results {
		dps := "–"
		if r.decisions > 0 {
			dps = num(r.rps() * float64(r.decisions))
		}
		line := fmt.Sprintf("| %s | %s | %s | %s | %s | %s | %s | %s |", r.name, commas(int64(r.n)), num(r.rps()), dps, ms(r.p50), ms(r.p90), ms(r.p99), ms(r.max))
		if serverCol {
			per := r.serverCPU / time.Duration(r.n)
			perDec := "–"
			if r.decisions > 0 {
				perDec = us(r.serverCPU / time.Duration(r.n*r.decisions))
			}
			line += fmt.Sprintf(" %s | %s | %s |", us(per), perDec, us(r.ownCPU/time.Duration(r.n)))
		}
		if pgCol {
			share := "–"
			if r.serverCPU > 0 {
				share = fmt.Sprintf("%.0f%%", 100*float64(r.pgCPU)/float64(r.serverCPU))
			}
			line += fmt.Sprintf(" %s (%s) |", us(r.pgCPU/time.Duration(r.n)), share)
		}
		if floor != nil {
			if r.offered > 0 { // open loop: the rate is fixed, not a cost
				line += fmt.Sprintf(" – | %.1f× |", float64(r.p50)/float64(floor.p50))
			} else {
				line += fmt.Sprintf(" %.1f× | %.1f× |", floor.rps()/r.rps(), float64(r.p50)/float64(floor.p50))
			}
		}
		line += fmt.Sprintf(" %.0f%% |", 100*r.otherLoad)
		fmt.Fprintln(w, line)
	}
	fmt.Fprintln(w)
	switch {
	case pgCol:
		fmt.Fprintf(w, "Server CPU is the user+system time during the phase (/proc, 10 ms ticks) of the %d iam-server replicas plus PostgreSQL's processes\n", len(tg.pids))
		fmt.Fprintln(w, "(the postmaster, its backends and workers, and those that exited), divided by completed requests; the PostgreSQL column is its part of it.")
		fmt.Fprintf(w, "Timed requests alternate between the replicas (%s).\n", tg.spread)
	case serverCol:
		fmt.Fprintln(w, "Server CPU is the iam-server process's user+system time during the phase (/proc, 10 ms ticks) divided by completed requests.")
	}
	fmt.Fprintln(w, "\"cost × healthz\" is how many health checks' worth of throughput one request of the row costs at the same concurrency")
	fmt.Fprintln(w, "(/healthz reads the org row from the database; /api/user touches no storage). Open-loop rows offer a fixed rate and count latency from each")
	fmt.Fprintln(w, "request's scheduled start. \"other load\" is the share of the machine's CPUs used by processes other than this client and the server;")
	fmt.Fprintln(w, "well above 0% means the row was measured on a busy machine.")
	fmt.Fprintln(w)

	printPeers(w, results)

	fmt.Fprintln(w, "### Targets")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| target | measured | |")
	fmt.Fprintln(w, "|---|---:|---|")
	mark := func(ok bool) string {
		if ok {
			return "met"
		}
		return "**missed**"
	}
	for _, r := range results {
		switch r.key {
		case "batch":
			d := r.rps() * float64(r.decisions)
			fmt.Fprintf(w, "| ≥ %s decisions/s in batches | %s | %s |\n", commas(targetDecisionsPerSec), num(d), mark(d >= targetDecisionsPerSec))
			fmt.Fprintf(w, "| batch p99 ≤ %s (closed loop, %d clients, saturated) | %s | %s |\n", ms(targetBatchP99), c.conc, ms(r.p99), mark(r.p99 <= targetBatchP99))
			if serverCol && r.serverCPU > 0 {
				capacity := float64(r.n*r.decisions) / r.serverCPU.Seconds() * 2
				fmt.Fprintf(w, "| (estimate: decisions/s of a server with 2 cores to itself = 2 / server CPU per decision) | %s | %s |\n", num(capacity), mark(capacity >= targetDecisionsPerSec))
			}
		case "batch-rate":
			d := r.rps() * float64(r.decisions)
			fmt.Fprintf(w, "| batch p99 ≤ %s at %s decisions/s offered (open loop) | %s (achieved %s decisions/s) | %s |\n",
				ms(targetBatchP99), num(r.offered), ms(r.p99), num(d), mark(r.p99 <= targetBatchP99 && d >= 0.97*r.offered))
		case "create":
			fmt.Fprintf(w, "| ≥ %s token creates/s | %s (p99 %s) | %s |\n", commas(targetCreatesPerSec), num(r.rps()), ms(r.p99), mark(r.rps() >= targetCreatesPerSec))
		}
	}
	fmt.Fprintln(w)
}

// printPeers compares each peer's phase with iamref's phase of the same workload in this run.
func printPeers(w io.Writer, results []result) {
	var rows []string
	for _, p := range results {
		if p.peerOf == "" {
			continue
		}
		for _, r := range results {
			if r.key != p.peerOf || r.offered != p.offered || r.n == 0 || p.n == 0 {
				continue
			}
			cpu := func(x result) time.Duration { return x.serverCPU / time.Duration(x.n*x.decisions) }
			ratio := "–"
			if cpu(r) > 0 {
				ratio = fmt.Sprintf("%.2f×", float64(cpu(p))/float64(cpu(r)))
			}
			rows = append(rows, fmt.Sprintf("| %s | %s / %s | %s / %s | %s / %s | %s |", p.name,
				num(r.rps()*float64(r.decisions)), num(p.rps()*float64(p.decisions)),
				ms(r.p99), ms(p.p99), us(cpu(r)), us(cpu(p)), ratio))
		}
	}
	if len(rows) == 0 {
		return
	}
	fmt.Fprintln(w, "### Peer over HTTP (same checks, same load generator, answers checked equal first)")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "| peer workload | decisions/s iamref / peer | p99 iamref / peer | server CPU per decision iamref / peer | peer CPU ÷ iamref CPU |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|")
	for _, r := range rows {
		fmt.Fprintln(w, r)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "The peer answers booleans only; iamref's answers also carry why (reasons, grounds or denial).")
	fmt.Fprintln(w)
}
