package main

import (
	"os"
	"os/exec"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name, stat     string
		ppid           int
		self, children time.Duration
		wantErr        bool
	}{
		{"postgres backend", "4242 (postgres) S 4200 4200 4200 0 -1 4194560 100 0 0 0 12 3 40 5 20 0 1 0 999 1000 10", 4200, 150 * time.Millisecond, 450 * time.Millisecond, false},
		{"name with spaces and parentheses", "7 (a) (b c)) R 1 7 7 0 -1 0 0 0 0 0 1 2 3 4 20 0 1 0 9 9 9", 1, 30 * time.Millisecond, 70 * time.Millisecond, false},
		{"no name", "7 S 1 2 3", 0, 0, 0, true},
		{"truncated", "7 (x) S 1 2 3 4", 0, 0, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ppid, self, children, err := parseStat(tc.stat)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && (ppid != tc.ppid || self != tc.self || children != tc.children) {
				t.Errorf("got ppid %d, self %v, children %v; want %d, %v, %v", ppid, self, children, tc.ppid, tc.self, tc.children)
			}
		})
	}
}

// TestTreeCPU: a process tree's CPU counts a busy child while it runs and keeps it once the
// child has exited and been reaped (as PostgreSQL's backends of closed connections).
func TestTreeCPU(t *testing.T) {
	me := os.Getpid()
	child := exec.Command("sh", "-c", "while :; do :; done")
	if err := child.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	defer child.Process.Kill()
	deadline := time.Now().Add(10 * time.Second)
	var busy time.Duration
	for busy < 100*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("the busy child used %v of CPU in 10 s", busy)
		}
		time.Sleep(50 * time.Millisecond)
		_, busy, _, _ = procStat(child.Process.Pid)
	}
	_, own, reaped, err := procStat(me)
	if err != nil {
		t.Fatal(err)
	}
	live := treeCPU(me)
	if live < own+reaped+busy {
		t.Errorf("tree CPU with a live child %v < own %v + reaped %v + child %v", live, own, reaped, busy)
	}
	_ = child.Process.Kill()
	_ = child.Wait()
	if after := treeCPU(me); after < live {
		t.Errorf("tree CPU fell from %v to %v when the child was reaped", live, after)
	}
}
