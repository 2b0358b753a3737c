package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

// accessWorkload is the load program's batch workload, smaller: stacks, roles pinning stacks
// of them, one token per role, and batches that name 100 different principals and entities by
// ID or by project/name alternately (what a console or a policy checker sends).
type accessWorkload struct {
	h       *harness
	batches [][]byte // request bodies, 100 checks each
}

func newAccessWorkload(tb testing.TB, stacks, roles, batches int) *accessWorkload {
	var st store.Store
	h := start(tb, testserver.Options{WrapStore: func(s store.Store) store.Store { st = s; return s }})
	ctx := context.Background()
	now := time.Now().UTC()
	ents := make([]store.Entity, stacks)
	for i := range ents {
		e := store.Entity{ID: fmt.Sprintf("bench-%05d", i), Org: "acme", Kind: authz.KindStack, Project: fmt.Sprintf("p%02d", i%50),
			Name: fmt.Sprintf("s%05d", i), Created: now, Modified: now}
		if i%10 == 0 {
			e.Tags = map[string]string{"env": "prod"}
		}
		if err := st.CreateEntity(ctx, e); err != nil {
			tb.Fatal(err)
		}
		ents[i] = e
	}
	var tokens []string
	for r := range roles {
		var ids []string
		for j := range 20 {
			ids = append(ids, ents[(r*37+j*11)%stacks].ID)
		}
		role := h.grantRole(fmt.Sprintf("bench-role-%03d", r), authz.GrantSpec{Scopes: []string{"stack:read", "stack:write"}, Refs: stackRefs(ids...)})
		id, _ := h.token(fmt.Sprintf("bench-%03d", r), role.ID)
		tokens = append(tokens, id)
	}
	actions := []string{"stack:read", "stack:write", "stack:delete"}
	w := &accessWorkload{h: h}
	for b := range batches {
		checks := make([]apitype.AccessCheck, 100)
		for i := range checks {
			n := b*100 + i
			e := ents[(n*7919)%stacks]
			ref := apitype.EntityRef{Kind: "stack", ID: e.ID}
			if n%2 == 1 {
				ref = apitype.EntityRef{Kind: "stack", Project: e.Project, Name: e.Name}
			}
			checks[i] = apitype.AccessCheck{Principal: tokens[(n*31)%len(tokens)], Action: actions[n%len(actions)], Entity: ref}
		}
		body, err := json.Marshal(apitype.AccessCheckRequest{Checks: checks})
		if err != nil {
			tb.Fatal(err)
		}
		w.batches = append(w.batches, body)
	}
	return w
}

// post sends body to path and returns the answer's body, failing unless the status is 200.
func (w *accessWorkload) post(tb testing.TB, c *http.Client, method, path string, body []byte, buf *bytes.Buffer) []byte {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequest(method, w.h.ts.URL+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "token "+w.h.admin())
	req.Header.Set("Accept", apitype.AcceptV8)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	buf.Reset()
	_, err = buf.ReadFrom(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		tb.Fatalf("%s %s: %d %v %s", method, path, resp.StatusCode, err, buf.Bytes())
	}
	return buf.Bytes()
}

// BenchmarkAccessCheckBatch measures the batch access check over HTTP on loopback (client and
// server in this process: the CPU figures include the client's share), per decision, beside
// its peer in the same run: GET /api/user, the authenticated floor of a request. For quick
// iteration; the load program (tests/load) against the real binary is the figure of record.
func BenchmarkAccessCheckBatch(b *testing.B) {
	w := newAccessWorkload(b, 2000, 200, 64)
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	var buf bytes.Buffer
	for _, body := range w.batches { // warm the caches: the steady state is what is measured
		w.post(b, c, "POST", "/api/orgs/acme/access/check", body, &buf)
	}
	b.Run("peer-get-user", func(b *testing.B) {
		measured(b, func(int) { w.post(b, c, "GET", "/api/user", nil, &buf) })
	})
	b.Run("batch-100", func(b *testing.B) {
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		measured(b, func(i int) { w.post(b, c, "POST", "/api/orgs/acme/access/check", w.batches[i%len(w.batches)], &buf) })
		runtime.ReadMemStats(&m1)
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/decision")
		b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/float64(b.N)/100, "allocs/decision")
	})
	b.Run("single", func(b *testing.B) {
		singles := make([][]byte, 0, 256)
		for _, body := range w.batches[:4] {
			var req apitype.AccessCheckRequest
			if err := json.Unmarshal(body, &req); err != nil {
				b.Fatal(err)
			}
			for _, chk := range req.Checks {
				one, _ := json.Marshal(apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{chk}})
				singles = append(singles, one)
			}
		}
		measured(b, func(i int) { w.post(b, c, "POST", "/api/orgs/acme/access/check", singles[i%len(singles)], &buf) })
	})
}
