package server_test

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// cpuTime is the CPU time the process has used so far (user and system, every thread: the
// client, the server, the garbage collector and SQLite alike).
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// measured runs op b.N times and reports, beside ns/op (wall clock, which a busy machine
// inflates), the CPU time per op.
func measured(b *testing.B, op func(i int)) {
	b.ReportAllocs()
	start, i := time.Duration(0), 0
	for b.Loop() {
		if i == 0 {
			start = cpuTime()
		}
		i++
		op(i)
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// allowsOf is a set of n Allow nodes (in groups of at most 2,000): about 68 bytes per node.
func allowsOf(n int) string {
	var groups []string
	for n > 0 {
		k := min(n, authz.MaxGroupEntries)
		groups = append(groups, jGroup(times(jAllow("stack:read"), k)...))
		n -= k
	}
	return jGroup(groups...)
}

// BenchmarkWorstRequest measures the most expensive requests that can be made within the
// documented limits (issue 9 item 3: at most 50 ms of CPU and 10 MB per request), over HTTP
// against the real handler, client included. Run with
//
//	go test -run '^$' -bench BenchmarkWorstRequest -benchmem ./server/
//
// Cases:
//   - create-fanout-refused: a 1 MB role body of ~9,500 Compose references to a set of 2,000
//     entries (19 million nodes expanded): refused, and the cost is that of reading the body.
//   - create-1MB-role: a role of 1 MB of Allow nodes (~15,000 nodes): parse, compile, guard.
//   - create-max-expansion: a small role composing a 2,000-entry set 9 times (18,000 nodes).
//   - first-request-after-write: a token request that recompiles a role which, with the set
//     it composes, holds 1 MB of details and ~15,000 nodes, after a write to that set.
//   - first-request-after-write-deep-chain: the same through a chain of 64 sets.
//   - update-set-with-composers: a 1 MB set update re-checking the role composing it.
func BenchmarkWorstRequest(b *testing.B) {
	b.Run("create-fanout-refused", func(b *testing.B) {
		h := start(b)
		set := h.role("s2000", apitype.UXPurposeSet, "", []byte(allowsOf(authz.MaxGroupEntries)))
		var groups []string
		for range 5 {
			groups = append(groups, jGroup(times(jCompose(set.ID), 1900)...))
		}
		body := `{"name":"fan","uxPurpose":"role","details":` + jGroup(groups...) + `}`
		b.ReportMetric(float64(len(body)), "body-bytes")
		measured(b, func(int) {
			if r := h.do("POST", "/api/orgs/acme/roles", h.admin(), body); r.status != 400 {
				b.Fatalf("%.300s", r)
			}
		})
	})
	b.Run("create-1MB-role", func(b *testing.B) {
		h := start(b)
		details := allowsOf(15_000)
		b.ReportMetric(float64(len(details)), "details-bytes")
		measured(b, func(i int) {
			h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), fmt.Sprintf(`{"name":"big-%d","uxPurpose":"role","details":%s}`, i, details))
		})
	})
	b.Run("create-max-expansion", func(b *testing.B) {
		h := start(b)
		set := h.role("s2000", apitype.UXPurposeSet, "", []byte(allowsOf(authz.MaxGroupEntries)))
		details := jGroup(times(jCompose(set.ID), 9)...)
		measured(b, func(i int) {
			h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), fmt.Sprintf(`{"name":"wide-%d","uxPurpose":"role","details":%s}`, i, details))
		})
	})
	b.Run("first-request-after-write", func(b *testing.B) {
		h := start(b)
		h.stack("p", "s", nil)
		set := h.role("big-set", apitype.UXPurposeSet, "", []byte(allowsOf(15_000)))
		role := h.role("big-role", apitype.UXPurposeRole, "", []byte(jCompose(set.ID)))
		_, tok := h.token("big", role.ID)
		measured(b, func(i int) {
			h.must(200, "PATCH", "/api/orgs/acme/roles/"+set.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptr(fmt.Sprint(i))})
			h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)
		})
	})
	b.Run("first-request-after-write-deep-chain", func(b *testing.B) {
		h := start(b)
		h.stack("p", "s", nil)
		tail := h.role("chain-tail", apitype.UXPurposeSet, "", []byte(allowsOf(230)))
		id := tail.ID
		for i := authz.MaxDepth - 1; i >= 1; i-- {
			id = h.role(fmt.Sprintf("chain-%02d", i), apitype.UXPurposeSet, "", []byte(jGroup(jCompose(id), allowsOf(230)))).ID
		}
		role := h.role("chain-role", apitype.UXPurposeRole, "", []byte(jCompose(id)))
		_, tok := h.token("chain", role.ID)
		measured(b, func(i int) {
			h.must(200, "PATCH", "/api/orgs/acme/roles/"+tail.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptr(fmt.Sprint(i))})
			h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)
		})
	})
	b.Run("update-set-with-composers", func(b *testing.B) {
		h := start(b)
		set := h.role("big-set", apitype.UXPurposeSet, "", []byte(allowsOf(15_000)))
		h.role("big-role", apitype.UXPurposeRole, "", []byte(jCompose(set.ID)))
		variants := []string{allowsOf(15_000), strings.Replace(allowsOf(15_000), "stack:read", "stack:write", 1)}
		measured(b, func(i int) {
			h.must(200, "PATCH", "/api/orgs/acme/roles/"+set.ID, h.admin(), `{"details":`+variants[i%2]+`}`)
		})
	})
}
