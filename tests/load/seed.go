package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// api is a thin HTTP client: one shared transport with keep-alive and enough idle
// connections per host for every worker, JSON bodies, Pulumi's headers.
type api struct {
	base, org string
	hc        *http.Client
	// Several replicas (pg.go, spread): requests go round robin to bases; hits counts them.
	bases []string
	hits  []atomic.Int64
	next  atomic.Uint64
}

func newAPI(base, org string, conns int) *api {
	tr := &http.Transport{
		MaxIdleConns:        max(256, conns*4), // open-loop phases may have many requests in flight
		MaxIdleConnsPerHost: max(256, conns*4),
		MaxConnsPerHost:     0,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &api{base: base, org: org, hc: &http.Client{Transport: tr, Timeout: 60 * time.Second}}
}

// send performs one request and returns the status and body. extra headers are "k", "v" pairs.
func (a *api) send(ctx context.Context, method, path, token string, body []byte, extra ...string) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, a.pick()+path, rd)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	req.Header.Set("Accept", apitype.AcceptV8)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	out, err := readBody(resp)
	return resp.StatusCode, out, err
}

// readBody reads an answer in one allocation when its length is known (io.ReadAll grows its
// buffer from 512 bytes, copying a 23 KB answer about seven times), so that the client adds
// as little as it can to the latencies it measures; any server answering with a length gains
// the same (the OPA peer does too).
func readBody(resp *http.Response) ([]byte, error) {
	if n := resp.ContentLength; n > 0 && n <= 16<<20 {
		out := make([]byte, n)
		_, err := io.ReadFull(resp.Body, out)
		return out, err
	}
	return io.ReadAll(resp.Body)
}

// call sends in as JSON and decodes a 2xx answer into out.
func (a *api) call(ctx context.Context, method, path, token string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return err
		}
	}
	code, resp, err := a.send(ctx, method, path, token, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	if code/100 != 2 {
		return &httpError{code: code, msg: fmt.Sprintf("%s %s: HTTP %d: %s", method, path, code, bytes.TrimSpace(resp))}
	}
	if out != nil {
		if err := json.Unmarshal(resp, out); err != nil {
			return fmt.Errorf("%s %s: decoding: %w", method, path, err)
		}
	}
	return nil
}

type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string { return e.msg }

// createOrGet POSTs a create and, when the object already exists (409, a server seeded by an
// earlier run), reads it instead.
func (a *api) createOrGet(ctx context.Context, path, getPath, token string, in, out any) error {
	err := a.call(ctx, "POST", path, token, in, out)
	if he := (*httpError)(nil); errors.As(err, &he) && he.code == http.StatusConflict {
		return a.call(ctx, "GET", getPath, token, nil, out)
	}
	return err
}

// world is what the seeding created and the grant model the expected decisions come from.
type world struct {
	projects, stacksPer int
	stacks              [][]string // [project][stack] → stack ID
	envs                []string   // environment IDs
	roles               []role
}

type role struct {
	id, tokenID, tokenValue string
	readProject             int       // stack:read on every stack of this project
	writes                  [3][2]int // stack:write + stack:delete on these (project, stack)
	env                     int       // environment:open on this environment
	audit                   bool      // audit_logs:read (every 50th role)
}

func projectName(p int) string { return fmt.Sprintf("proj-%03d", p) }
func stackName(s int) string   { return fmt.Sprintf("stack-%03d", s) }
func envName(e int) string     { return fmt.Sprintf("env-%03d", e) }

const envProject = "shared"

// layout decides each role's grants (deterministic, spread over projects and stacks).
func (w *world) layout(n int) {
	w.roles = make([]role, n)
	for i := range w.roles {
		r := &w.roles[i]
		r.readProject = i % w.projects
		wp := (i*7 + 3) % w.projects
		for j := range r.writes {
			r.writes[j] = [2]int{wp, (i*13 + j*31) % w.stacksPer}
		}
		r.env = i % len(w.envs)
		r.audit = i%50 == 0
	}
}

// allowed is the expected decision for role r.
func (w *world) allowed(r int, action string, p, s, env int) bool {
	ro := &w.roles[r]
	switch action {
	case "stack:read":
		return p == ro.readProject
	case "stack:write", "stack:delete":
		for _, ws := range ro.writes {
			if ws == [2]int{p, s} {
				return true
			}
		}
		return false
	case "environment:open":
		return env == ro.env
	case "audit_logs:read":
		return ro.audit
	}
	return false
}

func (w *world) grants(r int) []authz.GrantSpec {
	ro := &w.roles[r]
	read := make([]string, w.stacksPer)
	for s := range read {
		read[s] = w.stacks[ro.readProject][s]
	}
	var writes []string
	for _, ws := range ro.writes {
		writes = append(writes, w.stacks[ws[0]][ws[1]])
	}
	g := []authz.GrantSpec{
		{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: read}},
		{Scopes: []string{"stack:write", "stack:delete"}, Refs: authz.Refs{Stacks: writes}},
		{Scopes: []string{"environment:open"}, Refs: authz.Refs{Environments: []string{w.envs[ro.env]}}},
	}
	if ro.audit {
		g = append(g, authz.GrantSpec{Scopes: []string{"audit_logs:read"}})
	}
	return g
}

// parallel runs fn(i) for i in [0, n) on conc goroutines and returns the first error.
func parallel(n, conc int, fn func(i int) error) error {
	var next atomic.Int64
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range conc {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					once.Do(func() { first = err })
					next.Store(int64(n)) // stop handing out work
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

type seedTimes struct {
	stacks, envs, roles, tokens, total time.Duration
	pgCPU                              time.Duration // PostgreSQL's CPU while seeding (PostgreSQL mode)
}

// seed creates projects×stacksPer stacks, envs environments, nRoles roles (built with
// authz.BuildRole) and one token per role, conc requests at a time.
func seed(ctx context.Context, a *api, admin string, w *world, nEnvs, nRoles, conc int, runID string) (seedTimes, error) {
	var st seedTimes
	start := time.Now()
	w.stacks = make([][]string, w.projects)
	for p := range w.stacks {
		w.stacks[p] = make([]string, w.stacksPer)
	}
	t0 := time.Now()
	err := parallel(w.projects*w.stacksPer, conc, func(i int) error {
		p, s := i/w.stacksPer, i%w.stacksPer
		var out apitype.Stack
		path := "/api/stacks/" + a.org + "/" + projectName(p)
		if err := a.createOrGet(ctx, path, path+"/"+stackName(s), admin, apitype.CreateStackRequest{StackName: stackName(s)}, &out); err != nil {
			return err
		}
		if out.ID == "" {
			return fmt.Errorf("stack %s/%s: no ID in the create answer", projectName(p), stackName(s))
		}
		w.stacks[p][s] = out.ID
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("seeding stacks: %w", err)
	}
	st.stacks = time.Since(t0)

	t0 = time.Now()
	w.envs = make([]string, nEnvs)
	err = parallel(nEnvs, conc, func(e int) error {
		var out apitype.Environment
		path := "/api/esc/environments/" + a.org
		if err := a.createOrGet(ctx, path, path+"/"+envProject+"/"+envName(e), admin, apitype.CreateEnvironmentRequest{Project: envProject, Name: envName(e)}, &out); err != nil {
			return err
		}
		if out.ID == "" {
			return fmt.Errorf("environment %s: no ID in the create answer", envName(e))
		}
		w.envs[e] = out.ID
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("seeding environments: %w", err)
	}
	st.envs = time.Since(t0)

	w.layout(nRoles)
	t0 = time.Now()
	err = parallel(nRoles, conc, func(r int) error {
		tree, err := authz.BuildRole(w.grants(r))
		if err != nil {
			return err
		}
		var out apitype.Role
		req := apitype.CreateRoleRequest{
			Name: fmt.Sprintf("load-%s-role-%04d", runID, r), Description: "load test role",
			UXPurpose: apitype.UXPurposeRole, Details: authz.Format(tree),
		}
		if err := a.call(ctx, "POST", "/api/orgs/"+a.org+"/roles", admin, req, &out); err != nil {
			return err
		}
		w.roles[r].id = out.ID
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("seeding roles: %w", err)
	}
	st.roles = time.Since(t0)

	t0 = time.Now()
	err = parallel(nRoles, conc, func(r int) error {
		var out apitype.CreateTokenResponse
		req := apitype.CreateOrgTokenRequest{Name: fmt.Sprintf("load-%s-%04d", runID, r), Description: "load test", RoleID: w.roles[r].id}
		if err := a.call(ctx, "POST", "/api/orgs/"+a.org+"/tokens", admin, req, &out); err != nil {
			return err
		}
		w.roles[r].tokenID, w.roles[r].tokenValue = out.ID, out.TokenValue
		return nil
	})
	if err != nil {
		return st, fmt.Errorf("seeding tokens: %w", err)
	}
	st.tokens = time.Since(t0)
	st.total = time.Since(start)
	return st, nil
}

// checkSet is a pre-encoded access-check request body and the answers it must get.
type checkSet struct {
	body   []byte
	expect []bool
}

var actions = []string{"stack:read", "stack:write", "stack:delete", "environment:open", "audit_logs:read"}

// genChecks builds n request bodies of size checks each: half the checks are grants a role
// really has (one of its grants, drawn at random), half random (principal, action, entity)
// triples, mostly denied. Entities are named by ID or by project/name, alternately.
func genChecks(w *world, rng *rand.Rand, n, size int) []checkSet {
	out := make([]checkSet, n)
	for b := range out {
		req := apitype.AccessCheckRequest{Checks: make([]apitype.AccessCheck, size)}
		exp := make([]bool, size)
		for i := range req.Checks {
			r := rng.IntN(len(w.roles))
			ro := &w.roles[r]
			var action string
			p, s, env := -1, -1, -1
			if rng.IntN(2) == 0 { // a real grant
				k := rng.IntN(3)
				if ro.audit && rng.IntN(4) == 0 {
					k = 3
				}
				switch k {
				case 0:
					action, p, s = "stack:read", ro.readProject, rng.IntN(w.stacksPer)
				case 1:
					ws := ro.writes[rng.IntN(len(ro.writes))]
					action, p, s = []string{"stack:write", "stack:delete"}[rng.IntN(2)], ws[0], ws[1]
				case 2:
					action, env = "environment:open", ro.env
				case 3:
					action = "audit_logs:read"
				}
			} else {
				action = actions[rng.IntN(len(actions))]
				switch action {
				case "environment:open":
					env = rng.IntN(len(w.envs))
				case "audit_logs:read":
				default:
					p, s = rng.IntN(w.projects), rng.IntN(w.stacksPer)
				}
			}
			chk := apitype.AccessCheck{Principal: ro.tokenID, Action: action}
			byName := i%2 == 1
			switch {
			case p >= 0:
				chk.Entity = apitype.EntityRef{Kind: apitype.EntityStack, ID: w.stacks[p][s]}
				if byName {
					chk.Entity = apitype.EntityRef{Kind: apitype.EntityStack, Project: projectName(p), Name: stackName(s)}
				}
			case env >= 0:
				chk.Entity = apitype.EntityRef{Kind: apitype.EntityEnvironment, ID: w.envs[env]}
				if byName {
					chk.Entity = apitype.EntityRef{Kind: apitype.EntityEnvironment, Project: envProject, Name: envName(env)}
				}
			default:
				chk.Entity = apitype.EntityRef{Kind: apitype.EntityOrg}
			}
			req.Checks[i] = chk
			exp[i] = w.allowed(r, action, p, s, env)
		}
		body, _ := json.Marshal(req)
		out[b] = checkSet{body: body, expect: exp}
	}
	return out
}

// verify sends every check set once and compares the answers with the grant model.
// sizes are the average request and response bodies in bytes, of batches ([0]) and single
// checks ([1]).
func verify(ctx context.Context, a *api, admin string, sets []checkSet) (checks, allowed int, mismatches []string, sizes [2][2]int, err error) {
	var count [2]int
	path := "/api/orgs/" + a.org + "/access/check"
	for _, cs := range sets {
		code, body, err := a.send(ctx, "POST", path, admin, cs.body)
		if err != nil {
			return 0, 0, nil, sizes, err
		}
		if code != http.StatusOK {
			return 0, 0, nil, sizes, fmt.Errorf("access check: HTTP %d: %s", code, body)
		}
		var resp apitype.AccessCheckResponse
		if err := json.Unmarshal(body, &resp); err != nil {
			return 0, 0, nil, sizes, err
		}
		if len(resp.Results) != len(cs.expect) {
			return 0, 0, nil, sizes, fmt.Errorf("access check: %d results for %d checks", len(resp.Results), len(cs.expect))
		}
		k := 0
		if len(cs.expect) == 1 {
			k = 1
		}
		sizes[k][0] += len(cs.body)
		sizes[k][1] += len(body)
		count[k]++
		var req apitype.AccessCheckRequest
		_ = json.Unmarshal(cs.body, &req)
		for i, res := range resp.Results {
			checks++
			if res.Allowed {
				allowed++
			}
			if res.Error != "" || res.Allowed != cs.expect[i] {
				if len(mismatches) < 5 {
					mismatches = append(mismatches, fmt.Sprintf("%+v: got allowed=%v error=%q, want %v", req.Checks[i], res.Allowed, res.Error, cs.expect[i]))
				} else {
					mismatches = append(mismatches, "")
				}
			}
		}
	}
	for k := range count {
		if count[k] > 0 {
			sizes[k][0] /= count[k]
			sizes[k][1] /= count[k]
		}
	}
	return checks, allowed, mismatches, sizes, nil
}
