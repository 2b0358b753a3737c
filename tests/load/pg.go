package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/iamref/iam/internal/testpg"
)

// The PostgreSQL mode (-replicas N with -server): a throw-away PostgreSQL cluster started from
// the machine's binaries (internal/testpg) and N replicas of the iam-server binary on one
// database, as "Running several replicas" in the README deploys them. Seeding goes through
// the first replica; every generated decision is checked on every replica before timing; the
// timed requests alternate between the replicas; server CPU is the replicas' processes plus
// PostgreSQL's process tree, whose share is reported on its own.

// startReplicas starts PostgreSQL and n replicas of bin on one new database, one after the
// other (the first creates the org and its built-in roles), all with the same bootstrap token.
func startReplicas(bin, org string, n int) (*target, error) {
	if n < 1 {
		return nil, fmt.Errorf("-replicas %d: need at least 1", n)
	}
	pg, err := testpg.Launch()
	if err != nil {
		return nil, fmt.Errorf("starting PostgreSQL: %w", err)
	}
	version := strings.TrimPrefix(pg.Version(), "postgres (PostgreSQL) ")
	tg := &target{mode: fmt.Sprintf("%d iam-server replicas on PostgreSQL %s, durable: fsync and synchronous commit on", n, version), token: newTokenValue()}
	var stops []func()
	var once sync.Once
	stopAll := func() {
		once.Do(func() {
			for i := len(stops) - 1; i >= 0; i-- {
				stops[i]()
			}
		})
	}
	// pg_ctl runs PostgreSQL in a session of its own, which an interrupt of this program does
	// not reach: stop it here, or it outlives the run.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		if _, ok := <-sig; ok {
			fmt.Fprintln(os.Stderr, "load: interrupted: stopping the replicas and PostgreSQL")
			stopAll()
			os.Exit(130)
		}
	}()
	tg.stop = func() {
		signal.Stop(sig)
		close(sig)
		stopAll()
	}
	stops = append(stops, func() {
		if err := pg.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "load: stopping PostgreSQL:", err)
		}
	})
	fail := func(err error) (*target, error) {
		tg.stop()
		return nil, err
	}
	if tg.pgPID, err = pg.PID(); err != nil {
		return fail(fmt.Errorf("PostgreSQL's process: %w", err))
	}
	db, err := pg.CreateDatabase(context.Background(), "iamref_load")
	if err != nil {
		return fail(err)
	}
	dir, err := os.MkdirTemp("", "iamref-load-")
	if err != nil {
		return fail(err)
	}
	stops = append(stops, func() { os.RemoveAll(dir) })
	// Every replica gets the same master key for the Pulumi backend's secrets, as deployed.
	keyFile := filepath.Join(dir, "secrets.key")
	var key [32]byte
	_, _ = rand.Read(key[:])
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key[:])+"\n"), 0o600); err != nil {
		return fail(err)
	}
	for i := range n {
		r, err := serveBinary(bin, org, dir, db, tg.token, fmt.Sprintf("replica%d.log", i), "--secrets-key-file", keyFile)
		if err != nil {
			return fail(fmt.Errorf("replica %d: %w", i, err))
		}
		stops = append(stops, r.stop)
		tg.urls = append(tg.urls, r.url)
		tg.pids = append(tg.pids, r.pid)
	}
	tg.url, tg.pid = tg.urls[0], tg.pids[0]
	return tg, nil
}

// meter reads the CPU time the server under test has used so far: in total, and the part of
// it that PostgreSQL's processes used (0 without PostgreSQL).
type meter func() (total, pg time.Duration)

// cpu is tg's meter: its process, or every replica plus PostgreSQL's process tree.
func (tg *target) cpu() (total, pg time.Duration) {
	if tg.pgPID == 0 {
		return cpuTime(tg.pid), 0
	}
	for _, p := range tg.pids {
		total += cpuTime(p)
	}
	pg = treeCPU(tg.pgPID)
	return total + pg, pg
}

// pidMeter is the meter of one process (a peer).
func pidMeter(pid int) meter {
	return func() (time.Duration, time.Duration) { return cpuTime(pid), 0 }
}

// procStat reads /proc/<pid>/stat: the parent's process ID, the process's own CPU time
// (utime+stime) and that of its children it has waited for (cutime+cstime), in 10 ms ticks.
func procStat(pid int) (ppid int, self, children time.Duration, err error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, err
	}
	return parseStat(string(b))
}

// parseStat reads procStat's fields from the text of a /proc/<pid>/stat file.
func parseStat(stat string) (ppid int, self, children time.Duration, err error) {
	i := strings.LastIndexByte(stat, ')') // the command name may hold spaces and parentheses
	if i < 0 {
		return 0, 0, 0, errors.New("malformed stat")
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 of stat (state): ppid is field 4, utime..cstime are fields 14 to 17.
	if len(f) < 15 {
		return 0, 0, 0, errors.New("short stat")
	}
	n := func(field int) int64 { v, _ := strconv.ParseInt(f[field-3], 10, 64); return v }
	tick := 10 * time.Millisecond
	return int(n(4)), time.Duration(n(14)+n(15)) * tick, time.Duration(n(16)+n(17)) * tick, nil
}

// treeCPU is the CPU time of a PostgreSQL cluster so far: the postmaster's own, that of its
// children that exited (it reaps them: backends of closed connections), and that of its live
// children (backends, checkpointer, WAL writer, autovacuum…); 0 when unavailable.
func treeCPU(root int) time.Duration {
	_, self, reaped, err := procStat(root)
	if err != nil {
		return 0
	}
	total := self + reaped
	ents, _ := os.ReadDir("/proc")
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == root {
			continue
		}
		if ppid, self, reaped, err := procStat(pid); err == nil && ppid == root {
			total += self + reaped
		}
	}
	return total
}

// verifyReplicas asks every replica but the first (which verify already asked) every check
// set, and returns the mismatches of all replicas (each prefixed with its replica).
func verifyReplicas(ctx context.Context, tg *target, org string, sets []checkSet, first []string) ([]string, error) {
	if len(tg.urls) < 2 {
		return first, nil
	}
	var mism []string
	tag := func(i int, ms []string) {
		for _, m := range ms {
			if m != "" {
				m = fmt.Sprintf("replica %d: %s", i, m)
			}
			mism = append(mism, m)
		}
	}
	tag(0, first)
	for i, url := range tg.urls[1:] {
		_, _, ms, _, err := verify(ctx, newAPI(url, org, 1), tg.token, sets)
		if err != nil {
			return nil, fmt.Errorf("replica %d (%s): %w", i+1, url, err)
		}
		tag(i+1, ms)
	}
	return mism, nil
}

// spread makes a's requests alternate between bases (round robin, one request each) and
// counts how many each received.
func (a *api) spread(bases []string) {
	a.bases = bases
	a.hits = make([]atomic.Int64, len(bases))
}

// pick is the base URL of a's next request.
func (a *api) pick() string {
	if len(a.bases) == 0 {
		return a.base
	}
	i := int(a.next.Add(1) % uint64(len(a.bases)))
	a.hits[i].Add(1)
	return a.bases[i]
}

// checkSpread reports how the timed requests were spread over the replicas, and fails when
// one of them received none (the replicas were not all measured).
func checkSpread(a *api) (string, error) {
	if len(a.bases) < 2 {
		return "", nil
	}
	var parts []string
	var idle []string
	for i := range a.hits {
		n := a.hits[i].Load()
		parts = append(parts, fmt.Sprintf("replica %d %s", i, commas(n)))
		if n == 0 {
			idle = append(idle, a.bases[i])
		}
	}
	if len(idle) > 0 {
		return "", fmt.Errorf("no request reached replica %s", strings.Join(idle, ", "))
	}
	return "requests per replica: " + strings.Join(parts, ", "), nil
}
