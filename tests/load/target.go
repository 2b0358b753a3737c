package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/store/sqlite"
)

// target is the server under load.
type target struct {
	url, token string
	mode       string // "binary", "in-process" or "external"
	pid        int    // the server's process ID (binary mode), for its CPU time
	stop       func()
	// Several replicas on PostgreSQL (pg.go): every replica's URL (url is the first, which
	// seeds) and process, and PostgreSQL's postmaster, for the CPU time of its process tree.
	urls   []string
	pids   []int
	pgPID  int
	spread string // how the timed requests were spread over the replicas
}

func newTokenValue() string {
	var b [20]byte
	_, _ = rand.Read(b[:])
	return "pul-" + hex.EncodeToString(b[:])
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startBinary runs `iam-server serve` on a free loopback port with a database in a fresh
// temporary folder, and waits for /healthz. stop interrupts it and removes the folder.
func startBinary(bin, org string) (*target, error) {
	dir, err := os.MkdirTemp("", "iamref-load-")
	if err != nil {
		return nil, err
	}
	t, err := serveBinary(bin, org, dir, filepath.Join(dir, "iam.db"), newTokenValue(), "server.log")
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	stop := t.stop
	t.stop = func() { stop(); os.RemoveAll(dir) }
	return t, nil
}

// serveBinary runs `iam-server serve --db db` (and extra flags) on a free loopback port with
// the bootstrap token token, its log in dir/logName, and waits for /healthz. stop interrupts
// it and prints the warnings and errors it logged.
func serveBinary(bin, org, dir, db, token, logName string, extra ...string) (*target, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logPath := filepath.Join(dir, logName)
	logf, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, append([]string{"serve", "--addr", addr, "--db", db, "--org", org, "--log-level", "warn"}, extra...)...)
	cmd.Env = append(os.Environ(), "IAM_BOOTSTRAP_TOKEN="+token)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		if log, _ := os.ReadFile(logPath); len(log) > 0 {
			fmt.Fprintf(os.Stderr, "%s (warnings and errors):\n%s", logName, tail(log, 4000))
		}
	}
	t := &target{url: "http://" + addr, token: token, mode: "binary", pid: cmd.Process.Pid, stop: stop}
	if err := waitHealthy(t.url, exited); err != nil {
		stop()
		return nil, err
	}
	return t, nil
}

func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}

// startInProcess serves the real handler from this process (for CPU profiles of client and
// server together with -cpuprofile).
func startInProcess(org string) (*target, error) {
	dir, err := os.MkdirTemp("", "iamref-load-")
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(filepath.Join(dir, "iam.db"))
	if err != nil {
		return nil, err
	}
	ctx := context.Background()
	api, err := server.New(ctx, server.Config{Org: org, Store: st, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		return nil, err
	}
	token := newTokenValue()
	if _, err := api.EnsureToken(ctx, token, "bootstrap"); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	hs := &http.Server{Handler: api.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 120 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	stop := func() {
		sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		_ = hs.Shutdown(sctx)
		_ = api.Close(sctx)
		_ = st.Close()
		os.RemoveAll(dir)
	}
	t := &target{url: "http://" + ln.Addr().String(), token: token, mode: "in-process", pid: os.Getpid(), stop: stop}
	if err := waitHealthy(t.url, nil); err != nil {
		stop()
		return nil, err
	}
	return t, nil
}

func waitHealthy(url string, exited <-chan struct{}) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return errors.New("iam-server exited before it became healthy")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("iam-server did not become healthy at %s: %v", url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// machineBusy is the CPU time all processes have used so far (user, nice, system, irq,
// softirq and steal of /proc/stat's "cpu" line); 0 when unavailable.
func machineBusy() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	var name string
	var f [8]int64 // user nice system idle iowait irq softirq steal
	if _, err := fmt.Sscan(string(b), &name, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7]); err != nil || name != "cpu" {
		return 0
	}
	return time.Duration(f[0]+f[1]+f[2]+f[5]+f[6]+f[7]) * 10 * time.Millisecond
}

// cpuTime is the CPU time (user+system) a process has used so far, from /proc/<pid>/stat
// (clock ticks of 10 ms); 0 when unavailable.
func cpuTime(pid int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name (which is in parentheses and may hold spaces).
	i := len(b) - 1
	for i >= 0 && b[i] != ')' {
		i--
	}
	var state string
	var f [12]int64
	_, err = fmt.Sscan(string(b[i+2:]), &state, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &f[11])
	if err != nil {
		return 0
	}
	// utime and stime are fields 14 and 15 of stat: f[10] and f[11] here.
	return time.Duration(f[10]+f[11]) * 10 * time.Millisecond
}
