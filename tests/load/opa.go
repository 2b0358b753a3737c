package main

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// The OPA peer: the same grant model as Rego (iamref.rego) and data, served by `opa run
// --server`, asked the same request bodies by the same load generator. OPA answers booleans
// only; iamref's answers also carry the grants that allowed or why not (reasons, grounds,
// denial), so iamref does more work per decision.

//go:embed iamref.rego
var opaPolicy []byte

// opaPath is where the policy answers a batch: POST {"input": <access-check body>}.
const opaPath = "/v1/data/iamref/results"

// opaData is the seeded world as OPA data.
func opaData(w *world) ([]byte, error) {
	type grant struct {
		All bool            `json:"all,omitempty"`
		On  map[string]bool `json:"on,omitempty"`
	}
	tokens := make(map[string]int, len(w.roles))
	roles := make([]map[string]grant, len(w.roles))
	for i := range w.roles {
		ro := &w.roles[i]
		tokens[ro.tokenID] = i
		read := grant{On: map[string]bool{}}
		for _, id := range w.stacks[ro.readProject] {
			read.On[id] = true
		}
		write := grant{On: map[string]bool{}}
		for _, ws := range ro.writes {
			write.On[w.stacks[ws[0]][ws[1]]] = true
		}
		g := map[string]grant{
			"stack:read": read, "stack:write": write, "stack:delete": write,
			"environment:open": {On: map[string]bool{w.envs[ro.env]: true}},
		}
		if ro.audit {
			g["audit_logs:read"] = grant{All: true}
		}
		roles[i] = g
	}
	names := map[string]map[string]string{"stack": {}, "environment": {}}
	for p, ids := range w.stacks {
		for s, id := range ids {
			names["stack"][projectName(p)+"/"+stackName(s)] = id
		}
	}
	for e, id := range w.envs {
		names["environment"][envProject+"/"+envName(e)] = id
	}
	return json.Marshal(map[string]any{"tokens": tokens, "roles": roles, "names": names})
}

// opaServer is a running `opa run --server`.
type opaServer struct {
	url, version string
	pid          int
	stop         func()
}

// startOPA writes the policy and data to a temporary folder, starts the OPA binary on a free
// loopback port and waits until it answers.
func startOPA(bin string, w *world) (*opaServer, error) {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return nil, fmt.Errorf("%s version: %w", bin, err)
	}
	version, _, _ := strings.Cut(strings.TrimPrefix(string(out), "Version: "), "\n")
	dir, err := os.MkdirTemp("", "iamref-opa-")
	if err != nil {
		return nil, err
	}
	data, err := opaData(w)
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "data.json"), data, 0o600); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "iamref.rego"), opaPolicy, 0o600); err != nil {
		return nil, err
	}
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.Create(filepath.Join(dir, "opa.log"))
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "run", "--server", "--addr", addr, "--log-level", "error", "--disable-telemetry",
		filepath.Join(dir, "data.json"), filepath.Join(dir, "iamref.rego"))
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	stop := func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		logf.Close()
		os.RemoveAll(dir)
	}
	url := "http://" + addr
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(url + "/health")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "opa.log"))
			stop()
			return nil, fmt.Errorf("opa exited before answering: %s", tail(log, 2000))
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			stop()
			return nil, errors.New("opa did not answer /health within 60 s")
		}
	}
	return &opaServer{url: url, version: version, pid: cmd.Process.Pid, stop: stop}, nil
}

// opaSets wraps each access-check body as OPA input: the same checks, the same answers due.
func opaSets(sets []checkSet) []checkSet {
	out := make([]checkSet, len(sets))
	for i, cs := range sets {
		out[i] = checkSet{body: append(append([]byte(`{"input":`), cs.body...), '}'), expect: cs.expect}
	}
	return out
}

// verifyOPA asks OPA every check set once and compares its answers with the grant model
// (which iamref's answers were compared with too): the peer must agree before it is timed.
func verifyOPA(ctx context.Context, a *api, sets []checkSet) (checks, mismatches int, err error) {
	for _, cs := range sets {
		code, body, err := a.send(ctx, "POST", opaPath, "", cs.body)
		if err != nil {
			return 0, 0, err
		}
		if code != http.StatusOK {
			return 0, 0, fmt.Errorf("opa: HTTP %d: %.300s", code, body)
		}
		var resp struct {
			Result []bool `json:"result"`
		}
		if err := json.NewDecoder(bytes.NewReader(body)).Decode(&resp); err != nil {
			return 0, 0, fmt.Errorf("opa answer: %w", err)
		}
		if len(resp.Result) != len(cs.expect) {
			return 0, 0, fmt.Errorf("opa: %d results for %d checks: %.300s", len(resp.Result), len(cs.expect), body)
		}
		for i, got := range resp.Result {
			checks++
			if got != cs.expect[i] {
				mismatches++
			}
		}
	}
	return checks, mismatches, nil
}
