package main

import (
	"testing"
	"time"
)

// TestSmoke runs the whole load program in-process on a tiny organization, so that it keeps
// working: seeding, checking every generated decision against the grant model, each phase and
// the report. It fails on any failed request or wrong decision.
func TestSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("short mode")
	}
	err := run(config{
		inProcess: true, org: "acme",
		conc: 4, seedConc: 8, dur: 200 * time.Millisecond, warmup: 50 * time.Millisecond,
		roles: 60, projects: 4, stacks: 10, envs: 3, batch: 10,
		creates: 20, idemCreates: 10, rates: "2000", seed: 7,
	})
	if err != nil {
		t.Fatal(err)
	}
}
