package main

import (
	"os"
	"testing"
	"time"

	"github.com/iamref/iam/internal/testpg"
	"github.com/iamref/iam/internal/testserver"
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

// TestSmokeReplicas runs the PostgreSQL mode on a tiny organization: a throw-away PostgreSQL,
// two replicas of bin/iam-server on it, seeding through one, every generated decision checked
// on both, each phase with requests alternating between them (run fails if either replica got
// none) and the report with PostgreSQL's share. Skipped under -short, without bin/iam-server or
// without PostgreSQL (failing instead when IAMREF_REQUIRE_BINARIES is set, as in CI).
func TestSmokeReplicas(t *testing.T) {
	bin := testserver.BinaryPath(t, "iam-server")
	if _, err := testpg.FindBin(); err != nil {
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	err := run(config{
		server: bin, replicas: 2, org: "acme",
		conc: 4, seedConc: 8, dur: 300 * time.Millisecond, warmup: 50 * time.Millisecond,
		roles: 40, projects: 3, stacks: 10, envs: 3, batch: 10,
		creates: 20, idemCreates: 10, rates: "2000", seed: 11,
	})
	if err != nil {
		t.Fatal(err)
	}
}
