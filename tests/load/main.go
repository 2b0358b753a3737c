// Command load seeds an iamref server with a realistic organization and measures it on
// loopback: access-check decisions (batches and single checks), token creation, and two peers
// for ratios, GET /healthz (the HTTP floor) and GET /api/user (the authenticated floor).
//
//	go run ./tests/load -server bin/iam-server      # starts and stops the binary itself
//	go run ./tests/load -inprocess -cpuprofile cpu.out -only batch
//	go run ./tests/load -addr http://127.0.0.1:8080 -token pul-…   # an already running server
//	go run ./tests/load -server bin/iam-server -replicas 2   # 2 replicas on a throw-away PostgreSQL
//
// Seeding: 1,000 roles (each: stack:read on the 100 stacks of one project through an In
// condition, stack:write + stack:delete on 3 stacks, environment:open on one environment,
// every 50th audit_logs:read; built with authz.BuildRole), 10,000 stacks (100 projects × 100),
// 100 environments and one org token per role. Every decision the benchmark asks for is first
// checked once against that grant model. The result is a markdown table on standard output.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

type config struct {
	server, addr, token, org string
	inProcess                bool
	conc, seedConc           int
	dur, warmup              time.Duration
	roles, projects, stacks  int
	envs, batch, creates     int
	idemCreates              int
	only, cpuprofile, opa    string
	seed                     uint64
	rates                    string
	replicas                 int
}

func main() {
	var c config
	flag.StringVar(&c.server, "server", "", "path of the iam-server binary to start (on a free loopback port, temporary database) and stop")
	flag.BoolVar(&c.inProcess, "inprocess", false, "serve the real handler from this process instead (for -cpuprofile)")
	flag.StringVar(&c.addr, "addr", "", "URL of an already running server (with -token, an admin token); stacks and environments that exist are reused")
	flag.StringVar(&c.token, "token", "", "admin token for -addr")
	flag.StringVar(&c.org, "org", "acme", "organization")
	flag.IntVar(&c.conc, "c", 8, "client goroutines during measurements")
	flag.IntVar(&c.seedConc, "seed-c", 16, "client goroutines while seeding")
	flag.DurationVar(&c.dur, "d", 5*time.Second, "duration of each timed phase")
	flag.DurationVar(&c.warmup, "warmup", time.Second, "warm-up before each timed phase (not measured)")
	flag.IntVar(&c.roles, "roles", 1000, "roles (and tokens) to seed")
	flag.IntVar(&c.projects, "projects", 100, "projects to seed")
	flag.IntVar(&c.stacks, "stacks", 100, "stacks per project")
	flag.IntVar(&c.envs, "envs", 100, "environments to seed")
	flag.IntVar(&c.batch, "batch", 100, "checks per batch request")
	flag.IntVar(&c.creates, "creates", 2000, "token creates to time (no Idempotency-Key)")
	flag.IntVar(&c.idemCreates, "idem-creates", 1000, "token creates to time with an Idempotency-Key, as the Go client and providers send (0 skips)")
	flag.StringVar(&c.only, "only", "", "comma-separated phases to run: healthz,user,batch,batch-rate,single,create,create-idem (default all)")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the timed phases (of this process; use with -inprocess to include the server)")
	flag.Uint64Var(&c.seed, "seed", 1, "random seed for the generated checks")
	flag.StringVar(&c.rates, "rates", "30000,15000", "decisions/s offered by the open-loop batch phases (batch-rate), comma-separated; empty skips")
	flag.StringVar(&c.opa, "opa", "", "path of an `opa` binary: also measure OPA's server (opa run --server) with the same grant model in Rego, the same checks and the same load (phases opa-batch, opa-batch-rate, opa-single)")
	flag.IntVar(&c.replicas, "replicas", 0, "with -server: start a throw-away PostgreSQL (the machine's initdb/pg_ctl) and this many replicas of the binary on one database, seed through the first, check every decision on each and alternate the timed requests between them (0: one server on SQLite)")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	var tg *target
	var err error
	switch {
	case c.server != "" && c.replicas > 0:
		tg, err = startReplicas(c.server, c.org, c.replicas)
	case c.replicas != 0:
		return fmt.Errorf("-replicas %d: needs -server <iam-server binary> and a number of replicas ≥ 1", c.replicas)
	case c.inProcess:
		tg, err = startInProcess(c.org)
	case c.server != "":
		tg, err = startBinary(c.server, c.org)
	case c.addr != "" && c.token != "":
		tg = &target{url: strings.TrimRight(c.addr, "/"), token: c.token, mode: "external", stop: func() {}}
	default:
		return errors.New("need -server <iam-server binary>, -inprocess, or -addr <url> with -token <admin token>")
	}
	if err != nil {
		return err
	}
	defer tg.stop()
	ctx := context.Background()
	a := newAPI(tg.url, c.org, max(c.conc, c.seedConc))
	runID := strconv.FormatInt(time.Now().UnixNano()%1e6, 36)

	fmt.Fprintf(os.Stderr, "load: %s server at %s; seeding %d stacks, %d environments, %d roles, %d tokens (%d at a time)\n",
		tg.mode, tg.url, c.projects*c.stacks, c.envs, c.roles, c.roles, c.seedConc)
	w := &world{projects: c.projects, stacksPer: c.stacks}
	seedCPU, seedPG := tg.cpu()
	st, err := seed(ctx, a, tg.token, w, c.envs, c.roles, c.seedConc, runID)
	if err != nil {
		return err
	}
	cpu1, pg1 := tg.cpu()
	seedCPU, st.pgCPU = cpu1-seedCPU, pg1-seedPG

	rng := rand.New(rand.NewPCG(c.seed, 2))
	batches := genChecks(w, rng, 256, c.batch)
	singles := genChecks(w, rng, 4096, 1)
	t0 := time.Now()
	nChecks, nAllowed, mism, sizes, err := verify(ctx, a, tg.token, append(slices.Clip(batches), singles...))
	if err == nil { // on every replica
		mism, err = verifyReplicas(ctx, tg, c.org, append(slices.Clip(batches), singles...), mism)
	}
	if err != nil {
		return fmt.Errorf("verifying decisions: %w", err)
	}
	fmt.Fprintf(os.Stderr, "load: verified %d decisions against the grant model (%d allowed, %d denied) on %d server(s) in %v: %d mismatches\n",
		nChecks, nAllowed, nChecks-nAllowed, max(1, len(tg.urls)), time.Since(t0).Round(time.Millisecond), len(mism))
	for _, m := range mism {
		if m != "" {
			fmt.Fprintln(os.Stderr, "  mismatch:", m)
		}
	}

	var peer *opaServer
	var opaBatches, opaSingles []checkSet
	if c.opa != "" {
		if peer, err = startOPA(c.opa, w); err != nil {
			return err
		}
		defer peer.stop()
		opaBatches, opaSingles = opaSets(batches), opaSets(singles)
		n, bad, err := verifyOPA(ctx, newAPI(peer.url, c.org, 1), append(slices.Clip(opaBatches), opaSingles...))
		if err != nil {
			return fmt.Errorf("verifying OPA's decisions: %w", err)
		}
		fmt.Fprintf(os.Stderr, "load: OPA %s at %s: verified %d decisions against the grant model: %d mismatches\n", peer.version, peer.url, n, bad)
		if bad > 0 {
			return fmt.Errorf("OPA: %d decisions differ from the grant model (the policy or its data is not equivalent)", bad)
		}
	}

	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}

	if len(tg.urls) > 1 {
		a.spread(tg.urls)
	}
	want := func(name string) bool {
		return c.only == "" || slices.Contains(strings.Split(c.only, ","), name)
	}
	checkPath := "/api/orgs/" + c.org + "/access/check"
	var results []result
	var bi, si atomic.Int64
	var tokSeq atomic.Int64
	batchFn := func(ctx context.Context) (int, []byte, error) {
		cs := batches[int(bi.Add(1))%len(batches)]
		return a.send(ctx, "POST", checkPath, tg.token, cs.body)
	}
	phases := []phase{
		{key: "healthz", name: "`GET /healthz` (HTTP floor)", fn: func(ctx context.Context) (int, []byte, error) {
			return a.send(ctx, "GET", "/healthz", "", nil)
		}},
		{key: "user", name: "`GET /api/user` (authenticated floor)", fn: func(ctx context.Context) (int, []byte, error) {
			return a.send(ctx, "GET", "/api/user", w.roles[rand.IntN(len(w.roles))].tokenValue, nil)
		}},
		{key: "batch", name: fmt.Sprintf("access check, batch of %d", c.batch), decisions: c.batch, fn: batchFn},
		{key: "single", name: "access check, single", decisions: 1, fn: func(ctx context.Context) (int, []byte, error) {
			cs := singles[int(si.Add(1))%len(singles)]
			return a.send(ctx, "POST", checkPath, tg.token, cs.body)
		}},
		{key: "create", name: "token create", fixed: true, count: c.creates, warmCount: 100, fn: func(ctx context.Context) (int, []byte, error) {
			return createToken(ctx, a, tg.token, w, runID, tokSeq.Add(1), false)
		}},
		{key: "create-idem", name: "token create + `Idempotency-Key`", fixed: true, count: c.idemCreates, warmCount: 50, fn: func(ctx context.Context) (int, []byte, error) {
			return createToken(ctx, a, tg.token, w, runID, tokSeq.Add(1), true)
		}},
	}
	// Open-loop batch phases after the closed-loop one: p99 at a given offered load.
	var paced []phase
	for _, f := range strings.Split(c.rates, ",") {
		if f = strings.TrimSpace(f); f == "" {
			continue
		}
		dps, err := strconv.ParseFloat(f, 64)
		if err != nil || dps <= 0 {
			return fmt.Errorf("-rates: %q is not a positive number", f)
		}
		paced = append(paced, phase{key: "batch-rate", name: fmt.Sprintf("access check, batch of %d, open loop at %s decisions/s", c.batch, num(dps)),
			decisions: c.batch, rate: dps / float64(c.batch), offered: dps, fn: batchFn})
	}
	at := slices.IndexFunc(phases, func(p phase) bool { return p.key == "batch" }) + 1
	phases = slices.Insert(phases, at, paced...)
	if peer != nil { // the peer last, on the same generated checks
		o := newAPI(peer.url, c.org, c.conc)
		var obi, osi atomic.Int64
		opaBatch := func(ctx context.Context) (int, []byte, error) {
			return o.send(ctx, "POST", opaPath, "", opaBatches[int(obi.Add(1))%len(opaBatches)].body)
		}
		name := "OPA " + peer.version + " (peer): "
		phases = append(phases, phase{key: "opa-batch", peerOf: "batch", pid: peer.pid, name: name + fmt.Sprintf("batch of %d", c.batch), decisions: c.batch, fn: opaBatch})
		for _, p := range paced {
			p.key, p.peerOf, p.pid, p.name, p.fn = "opa-batch-rate", "batch-rate", peer.pid, name+strings.TrimPrefix(p.name, "access check, "), opaBatch
			phases = append(phases, p)
		}
		phases = append(phases, phase{key: "opa-single", peerOf: "single", pid: peer.pid, name: name + "single check", decisions: 1, fn: func(ctx context.Context) (int, []byte, error) {
			return o.send(ctx, "POST", opaPath, "", opaSingles[int(osi.Add(1))%len(opaSingles)].body)
		}})
	}
	for _, ph := range phases {
		if !want(ph.key) || ph.fixed && ph.count <= 0 {
			continue
		}
		m, self := tg.cpu, tg.pid == os.Getpid()
		if ph.pid != 0 {
			m, self = pidMeter(ph.pid), false
		}
		r, err := ph.run(ctx, c, m, self)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "load: %-40s %8d req in %6.2fs  %9.0f req/s  p50 %v  p99 %v  errors %d  other load %.0f%%\n",
			ph.name, r.n, r.elapsed.Seconds(), r.rps(), r.p50, r.p99, r.errors, 100*r.otherLoad)
		results = append(results, r)
	}
	if tg.spread, err = checkSpread(a); err != nil {
		return err
	}
	printReport(os.Stdout, c, tg, st, seedCPU, nChecks, nAllowed, len(mism), sizes, results)
	if len(mism) > 0 {
		return fmt.Errorf("%d decisions differ from the grant model", len(mism))
	}
	for _, r := range results {
		if r.errors > 0 {
			return fmt.Errorf("%s: %d failed requests (first: %s)", r.name, r.errors, r.firstErr)
		}
	}
	return nil
}

func createToken(ctx context.Context, a *api, admin string, w *world, runID string, seq int64, idem bool) (int, []byte, error) {
	r := &w.roles[int(seq)%len(w.roles)]
	body := []byte(`{"name":"bench-` + runID + `-` + strconv.FormatInt(seq, 10) + `","description":"load test","admin":false,"expires":0,"roleID":"` + r.id + `"}`)
	if idem {
		return a.send(ctx, "POST", "/api/orgs/"+a.org+"/tokens", admin, body, "Idempotency-Key", fmt.Sprintf("load-%s-%d", runID, seq))
	}
	return a.send(ctx, "POST", "/api/orgs/"+a.org+"/tokens", admin, body)
}

// phase is one measured workload: for a duration (count 0) or a number of requests.
type phase struct {
	key, name string
	peerOf    string // a peer's phase: the key of the iamref phase it is compared with
	pid       int    // the measured server's process, when not iamref's (a peer)
	decisions int    // decisions per request (access checks)
	fixed     bool   // a fixed number of requests (count) instead of the duration
	count     int
	rate      float64 // open loop: requests/s offered on a fixed schedule, whatever the latency
	offered   float64 // decisions/s offered (open loop)
	warmCount int
	fn        func(ctx context.Context) (status int, body []byte, err error)
}

type result struct {
	name, key, peerOf  string
	decisions          int
	offered            float64
	n, errors          int
	firstErr           string
	elapsed            time.Duration
	p50, p90, p99, max time.Duration
	serverCPU, ownCPU  time.Duration
	pgCPU              time.Duration // the part of serverCPU PostgreSQL's processes used
	otherLoad          float64       // share of the machine's CPUs other processes used during the phase
}

func (r result) rps() float64 { return float64(r.n) / r.elapsed.Seconds() }

// run measures the phase; m reads the server's CPU time (self: the server is this process).
func (ph phase) run(ctx context.Context, c config, m meter, self bool) (result, error) {
	// Warm-up: connections, caches, the server's compiled indexes.
	drive := func(dur time.Duration, count int) ([]time.Duration, int, string) {
		if ph.rate > 0 {
			return ph.pace(ctx, ph.rate, dur)
		}
		return ph.drive(ctx, c.conc, dur, count)
	}
	if ph.fixed {
		drive(0, ph.warmCount)
	} else {
		drive(c.warmup, 0)
	}
	runtime.GC()
	sc0, pg0 := m()
	oc0, mb0 := cpuTime(os.Getpid()), machineBusy()
	start := time.Now()
	lat, errs, first := drive(c.dur, ph.count)
	r := result{name: ph.name, key: ph.key, peerOf: ph.peerOf, decisions: ph.decisions, offered: ph.offered, elapsed: time.Since(start), errors: errs, firstErr: first}
	sc1, pg1 := m()
	r.serverCPU, r.pgCPU, r.ownCPU = sc1-sc0, pg1-pg0, cpuTime(os.Getpid())-oc0
	if mb := machineBusy() - mb0; mb > 0 {
		other := mb - r.ownCPU
		if !self {
			other -= r.serverCPU
		}
		r.otherLoad = max(0, other.Seconds()/(r.elapsed.Seconds()*float64(runtime.NumCPU())))
	}
	r.n = len(lat)
	if r.n == 0 {
		return r, fmt.Errorf("%s: no requests completed (first error: %s)", ph.name, first)
	}
	slices.Sort(lat)
	pct := func(q float64) time.Duration { return lat[min(len(lat)-1, int(q*float64(len(lat))))] }
	r.p50, r.p90, r.p99, r.max = pct(0.50), pct(0.90), pct(0.99), lat[len(lat)-1]
	return r, nil
}

// pace offers rate requests/s on a fixed schedule for dur (open loop): each request starts at
// its scheduled time on its own goroutine, and its latency counts from that time, so a slow
// server is not hidden by the client waiting for it (no coordinated omission).
func (ph phase) pace(ctx context.Context, rate float64, dur time.Duration) (lat []time.Duration, errs int, first string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	for i := 0; ; i++ {
		at := start.Add(time.Duration(i) * interval)
		if at.Sub(start) >= dur {
			break
		}
		if d := time.Until(at); d > 0 {
			time.Sleep(d)
		}
		wg.Go(func() {
			code, body, err := ph.fn(ctx)
			d := time.Since(at)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				errs++
				if first == "" {
					first = err.Error()
				}
			case code/100 != 2:
				errs++
				if first == "" {
					first = fmt.Sprintf("HTTP %d: %.200s", code, body)
				}
			default:
				lat = append(lat, d)
			}
		})
	}
	wg.Wait()
	return lat, errs, first
}

// drive runs fn on conc goroutines until dur has passed (count 0) or count requests are done,
// and returns every successful request's latency.
func (ph phase) drive(ctx context.Context, conc int, dur time.Duration, count int) (lat []time.Duration, errs int, first string) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	var issued atomic.Int64
	deadline := time.Now().Add(dur)
	for range conc {
		wg.Go(func() {
			mine := make([]time.Duration, 0, 1<<14)
			nerr, ferr := 0, ""
			for {
				if count > 0 {
					if issued.Add(1) > int64(count) {
						break
					}
				} else if time.Now().After(deadline) {
					break
				}
				t := time.Now()
				code, body, err := ph.fn(ctx)
				d := time.Since(t)
				switch {
				case err != nil:
					nerr++
					if ferr == "" {
						ferr = err.Error()
					}
				case code/100 != 2:
					nerr++
					if ferr == "" {
						ferr = fmt.Sprintf("HTTP %d: %.200s", code, body)
					}
				default:
					mine = append(mine, d)
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			errs += nerr
			if first == "" {
				first = ferr
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	return lat, errs, first
}
