package server_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	papi "github.com/pulumi/pulumi/sdk/v3/go/common/apitype"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
)

// backendAudited are the Pulumi backend's audited routes, which TestBackendAudit performs
// (TestEveryMutationIsAudited leaves them to it).
var backendAudited = []string{
	"POST /api/stacks/{org}/{project}/{stack}/rename",
	"POST /api/stacks/{org}/{project}/{stack}/import",
	"POST /api/stacks/{org}/{project}/{stack}/preview",
	"POST /api/stacks/{org}/{project}/{stack}/update",
	"POST /api/stacks/{org}/{project}/{stack}/refresh",
	"POST /api/stacks/{org}/{project}/{stack}/destroy",
	"POST /api/stacks/{org}/{project}/{stack}/update/{updateID}",
	"POST /api/stacks/{org}/{project}/{stack}/update/{updateID}/cancel",
	"POST /api/stacks/{org}/{project}/{stack}/update/{updateID}/complete",
}

// program is the body the CLI sends to create an update of project.
func program(project string, dryRun bool) papi.UpdateProgramRequest {
	return papi.UpdateProgramRequest{Name: project, Runtime: "yaml", Main: "",
		Options:  papi.UpdateOptions{DryRun: dryRun},
		Metadata: papi.UpdateMetadata{Message: "ci run", Environment: map[string]string{"git.head": "abc"}}}
}

// stackPath is /api/stacks/acme/<project>/<stack>.
func stackPath(qualified string) string { return "/api/stacks/acme/" + qualified }

// newUpdate creates and starts an update of kind on stack as token and returns its ID and lease.
func (h *harness) newUpdate(token, stack, kind string) (id, lease string, version int) {
	h.t.Helper()
	project, _, _ := strings.Cut(stack, "/")
	var cr papi.UpdateProgramResponse
	h.must(200, "POST", stackPath(stack)+"/"+kind, token, program(project, false)).decode(h.t, &cr)
	var sr papi.StartUpdateResponse
	h.must(200, "POST", stackPath(stack)+"/update/"+cr.UpdateID, token, papi.StartUpdateRequest{
		Tags: map[string]string{"pulumi:project": project, "pulumi:runtime": "yaml"}}).decode(h.t, &sr)
	if !strings.HasPrefix(sr.Token, "upd-") || sr.TokenExpiration == 0 {
		h.t.Fatalf("start: %+v", sr)
	}
	return cr.UpdateID, sr.Token, sr.Version
}

// leased sends a call under an update's lease.
func (h *harness) leased(method, path, lease string, body any) *response {
	h.t.Helper()
	return h.do(method, path, "", body, "Authorization", "update-token "+lease)
}

func deployment(resources ...string) []byte {
	rs := make([]string, len(resources))
	for i, r := range resources {
		rs[i] = `{"urn":"` + r + `","type":"iam:index:Permission","custom":true}`
	}
	return []byte(`{"version":3,"deployment":{"manifest":{"time":"2025-01-01T00:00:00Z","magic":"m","version":"v3"},"resources":[` + strings.Join(rs, ",") + `]}}`)
}

func hexHash(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestBackendAudit runs updates through the backend API the way the CLI does, with a CI token
// scoped to one stack: what it may do, what it may not (403 naming the scope), the one-writer
// rule (409), leases bound to their update, stack and starting token, and an audit record of
// every update step with the token that ran it.
func TestBackendAudit(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now, Config: func(c *server.Config) { c.MaxCheckpointBytes = 4096 }})
	prod := h.stack("payments", "prod", nil)
	dev := h.stack("payments", "dev", nil)
	ciID, ci := h.scopedToken("ci", authz.GrantSpec{Scopes: []string{"stack:read", "stack:write", "stack:export"},
		Refs: authz.Refs{Stacks: []string{prod.ID}}})
	_, reader := h.scopedToken("reader", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{prod.ID}}})
	_ = dev

	// Scopes per kind: previews read, updates write, destroys delete.
	h.must(200, "POST", stackPath("payments/prod/preview"), reader, program("payments", true))
	for _, tc := range []struct{ token, path, scope string }{
		{reader, "payments/prod/update", "stack:write"},
		{ci, "payments/dev/update", "stack:write"},
		{ci, "payments/prod/destroy", "stack:delete"},
	} {
		r := h.do("POST", stackPath(tc.path), tc.token, program("payments", false))
		if r.status != 403 || !strings.Contains(r.errorBody(t).Message, tc.scope) {
			t.Errorf("POST %s: %s, want a 403 naming %s", tc.path, r, tc.scope)
		}
	}
	if r := h.do("POST", stackPath("payments/prod/update"), ci, program("billing", false)); r.status != 400 || firstAttr(r.errorBody(t)) != "name" {
		t.Errorf("a program of another project: %s, want a 400 naming name", r)
	}

	id, lease, version := h.newUpdate(ci, "payments/prod", "update")
	if version != 1 {
		t.Errorf("first update version %d, want 1", version)
	}
	var st papi.Stack
	h.must(200, "GET", stackPath("payments/prod"), ci, nil).decode(t, &st)
	if st.ActiveUpdate != id || st.Tags["pulumi:project"] != "payments" {
		t.Errorf("stack during the update: %+v", st)
	}

	// A second writer on the same stack conflicts; a preview does not.
	var second papi.UpdateProgramResponse
	h.must(200, "POST", stackPath("payments/prod/refresh"), ci, program("payments", false)).decode(t, &second)
	if r := h.do("POST", stackPath("payments/prod/update/"+second.UpdateID), ci, papi.StartUpdateRequest{}); r.status != 409 ||
		!strings.Contains(r.errorBody(t).Message, "Another update is currently in progress") {
		t.Errorf("second start: %s, want 409", r)
	}
	h.newUpdate(reader, "payments/prod", "preview")

	// The lease: only with its scheme, only for its update and stack.
	base := stackPath("payments/prod/update/" + id)
	verbatim := func(d []byte, seq int) papi.PatchUpdateVerbatimCheckpointRequest {
		return papi.PatchUpdateVerbatimCheckpointRequest{Version: 3, UntypedDeployment: d, SequenceNumber: seq}
	}
	d1 := deployment("urn:a")
	for name, r := range map[string]*response{
		"API token":           h.do("PATCH", base+"/checkpointverbatim", ci, verbatim(d1, 1)),
		"admin token":         h.do("PATCH", base+"/checkpointverbatim", h.admin(), verbatim(d1, 1)),
		"another update":      h.leased("PATCH", stackPath("payments/prod/update/"+second.UpdateID+"/checkpointverbatim"), lease, verbatim(d1, 1)),
		"another stack":       h.leased("PATCH", stackPath("payments/dev/update/"+id+"/checkpointverbatim"), lease, verbatim(d1, 1)),
		"lease as API token":  h.do("GET", stackPath("payments/prod"), lease, nil),
		"a guessed lease":     h.leased("PATCH", base+"/checkpointverbatim", "upd-"+strings.Repeat("0", 64), verbatim(d1, 1)),
		"lease in token form": h.do("PATCH", base+"/checkpointverbatim", "", verbatim(d1, 1), "Authorization", "token "+lease),
	} {
		if r.status != 401 && r.status != 403 {
			t.Errorf("%s: %s, want 401 or 403", name, r)
		}
	}
	h.must(204, "PATCH", base+"/checkpointverbatim", "", verbatim(d1, 1), "Authorization", "update-token "+lease)

	// Deltas apply to the update's last checkpoint and are checked against the CLI's hash.
	d2 := deployment("urn:a", "urn:b")
	i := bytes.Index(d1, []byte(`]}}`))
	edit := fmt.Sprintf(`[{"Span":{"uri":"","start":{"line":1,"column":0,"offset":%d},"end":{"line":1,"column":0,"offset":%d}},"NewText":%q}]`,
		i, i, `,{"urn":"urn:b","type":"iam:index:Permission","custom":true}`)
	delta := papi.PatchUpdateCheckpointDeltaRequest{Version: 3, CheckpointHash: hexHash(d2), SequenceNumber: 2, DeploymentDelta: json.RawMessage(edit)}
	bad := delta
	bad.CheckpointHash = hexHash([]byte("x"))
	if r := h.leased("PATCH", base+"/checkpointdelta", lease, bad); r.status != 400 || firstAttr(r.errorBody(t)) != "checkpointHash" {
		t.Errorf("delta with a wrong hash: %s, want a 400 naming checkpointHash", r)
	}
	if r := h.leased("PATCH", base+"/checkpointdelta", lease, delta); r.status != 204 {
		t.Fatalf("delta: %s", r)
	}
	h.must(204, "PATCH", base+"/checkpointdelta", "", delta, "Authorization", "update-token "+lease) // a retry is a no-op
	if got := h.must(200, "GET", stackPath("payments/prod/export"), ci, nil).body; !bytes.Equal(got, d2) {
		t.Errorf("export after the delta:\n%s\nwant\n%s", got, d2)
	}

	// Sizes: a checkpoint past the limit is a 413, gzip bodies included.
	huge := deployment(strings.Repeat("x", 5000))
	if r := h.leased("PATCH", base+"/checkpointverbatim", lease, verbatim(huge, 3)); r.status != 413 {
		t.Errorf("oversized checkpoint: %s, want 413", r)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_ = json.NewEncoder(zw).Encode(verbatim(deployment(strings.Repeat("y", 6000)), 3))
	_ = zw.Close()
	if r := h.do("PATCH", base+"/checkpointverbatim", "", gz.Bytes(), "Authorization", "update-token "+lease, "Content-Encoding", "gzip"); r.status != 413 {
		t.Errorf("oversized gzip checkpoint: %s, want 413", r)
	}
	if r := h.leased("PATCH", base+"/checkpointverbatim", lease, `{"version":3,"untypedDeployment":[1,2]}`); r.status != 400 {
		t.Errorf("a checkpoint that is no deployment: %s, want 400", r)
	}

	h.must(204, "POST", base+"/events/batch", "", map[string]any{"events": []map[string]any{{"sequence": 1, "timestamp": 1}}}, "Authorization", "update-token "+lease)
	var renewed papi.RenewUpdateLeaseResponse
	h.must(200, "POST", base+"/renew_lease", "", papi.RenewUpdateLeaseRequest{Token: lease, Duration: 600}, "Authorization", "update-token "+lease).decode(t, &renewed)
	if renewed.Token != lease || renewed.TokenExpiration != clk.Now().Add(600*time.Second).Unix() {
		t.Errorf("renewed lease: %+v", renewed)
	}
	if r := h.leased("POST", base+"/renew_lease", lease, papi.RenewUpdateLeaseRequest{Duration: 86400}); r.status != 400 {
		t.Errorf("a day-long lease: %s, want 400", r)
	}
	h.must(204, "POST", base+"/complete", "", papi.CompleteUpdateRequest{Status: papi.StatusSucceeded}, "Authorization", "update-token "+lease)
	if r := h.leased("PATCH", base+"/checkpointverbatim", lease, verbatim(d1, 4)); r.status != 401 {
		t.Errorf("the lease after complete: %s, want 401", r)
	}

	// The slot is free: the refresh starts now; its lease dies with its starting token.
	var sr papi.StartUpdateResponse
	h.must(200, "POST", stackPath("payments/prod/update/"+second.UpdateID), ci, papi.StartUpdateRequest{}).decode(t, &sr)
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+ciID, h.admin(), nil)
	if r := h.leased("PATCH", stackPath("payments/prod/update/"+second.UpdateID+"/checkpointverbatim"), sr.Token, verbatim(d1, 1)); r.status != 401 ||
		!strings.Contains(r.errorBody(t).Message, "revoked") {
		t.Errorf("the lease of a revoked token: %s, want 401", r)
	}
	// A crashed update is cancelled by someone holding stack:cancel_update.
	if r := h.do("POST", stackPath("payments/prod/update/"+second.UpdateID+"/cancel"), reader, nil); r.status != 403 {
		t.Errorf("cancel without stack:cancel_update: %s", r)
	}
	h.must(204, "POST", stackPath("payments/prod/update/"+second.UpdateID+"/cancel"), h.admin(), nil)

	// An expired lease is refused.
	id3, lease3, _ := h.newUpdate(h.admin(), "payments/prod", "update")
	clk.Advance(6 * time.Minute)
	if r := h.leased("PATCH", stackPath("payments/prod/update/"+id3+"/checkpointverbatim"), lease3, verbatim(d1, 1)); r.status != 401 ||
		!strings.Contains(r.errorBody(t).Message, "expired") {
		t.Errorf("an expired lease: %s, want 401", r)
	}
	h.must(204, "POST", stackPath("payments/prod/update/"+id3+"/cancel"), h.admin(), nil)

	// Destroy with stack:delete, import, rename.
	idD, leaseD, _ := h.newUpdate(h.admin(), "payments/dev", "destroy")
	h.must(204, "POST", stackPath("payments/dev/update/"+idD+"/complete"), "", papi.CompleteUpdateRequest{Status: papi.StatusFailed}, "Authorization", "update-token "+leaseD)
	var imp papi.ImportStackResponse
	h.must(200, "POST", stackPath("payments/dev/import"), h.admin(), json.RawMessage(d2)).decode(t, &imp)
	h.must(204, "POST", stackPath("payments/dev/rename"), h.admin(), papi.StackRenameRequest{NewName: "staging"})

	var hist papi.GetHistoryResponse
	h.must(200, "GET", stackPath("payments/prod/updates"), h.admin(), nil).decode(t, &hist)
	var kinds []string
	for _, u := range hist.Updates {
		kinds = append(kinds, fmt.Sprintf("%s/%d/%s", u.Kind, u.Version, u.Result))
	}
	if got := strings.Join(kinds, " "); got != "update/3/failed refresh/2/failed update/1/succeeded" {
		t.Errorf("history: %s", got)
	}
	if hist.Updates[2].Message != "ci run" || hist.Updates[2].Environment["git.head"] != "abc" {
		t.Errorf("history entry: %+v", hist.Updates[2])
	}

	// The audit log: each step with the token that ran it.
	for _, want := range []struct{ token, action, reason string }{
		{"ci", "stack:write", "update update " + id + " created"},
		{"ci", "stack:read", "update update " + id + " started"},
		{"ci", "stack:write", "update update " + id + " succeeded"},
		{"admin", "stack:cancel_update", "refresh update " + second.UpdateID + " cancelled (started by token " + ciID + ")"},
		{"admin", "stack:delete", "destroy update " + idD + " created"},
		{"admin", "stack:import", "import update " + imp.UpdateID},
		{"admin", "stack:rename", "renamed to payments/staging"},
		{"reader", "stack:read", "preview update"},
	} {
		h.waitAudit(want.token+" "+want.reason, func(e apitype.AuditLogEvent) bool {
			return e.TokenName == want.token && e.Action == want.action && e.Decision == "allow" && strings.Contains(e.Reason, want.reason)
		})
	}
	h.waitAudit("of ci's refused destroy", func(e apitype.AuditLogEvent) bool {
		return e.TokenName == "ci" && e.Action == "stack:delete" && e.Decision == "deny"
	})
}

// TestBackendSecrets: the service secrets provider encrypts with a key per stack; a value of
// one stack does not decrypt in another; encrypt and decrypt are separate scopes.
func TestBackendSecrets(t *testing.T) {
	t.Parallel()
	h := start(t)
	a := h.stack("payments", "prod", nil)
	h.stack("payments", "dev", nil)
	_, enc := h.scopedToken("enc", authz.GrantSpec{Scopes: []string{"stack:encrypt"}, Refs: authz.Refs{Stacks: []string{a.ID}}})

	var er papi.EncryptValueResponse
	h.must(200, "POST", stackPath("payments/prod/encrypt"), enc, papi.EncryptValueRequest{Plaintext: []byte("hunter2")}).decode(t, &er)
	if bytes.Contains(er.Ciphertext, []byte("hunter2")) {
		t.Fatal("ciphertext holds the plaintext")
	}
	if r := h.do("POST", stackPath("payments/prod/decrypt"), enc, papi.DecryptValueRequest{Ciphertext: er.Ciphertext}); r.status != 403 ||
		!strings.Contains(r.errorBody(t).Message, "stack:decrypt") {
		t.Errorf("decrypt with only stack:encrypt: %s", r)
	}
	var dr papi.DecryptValueResponse
	h.must(200, "POST", stackPath("payments/prod/decrypt"), h.admin(), papi.DecryptValueRequest{Ciphertext: er.Ciphertext}).decode(t, &dr)
	if string(dr.Plaintext) != "hunter2" {
		t.Errorf("decrypt: %q", dr.Plaintext)
	}
	if r := h.do("POST", stackPath("payments/dev/decrypt"), h.admin(), papi.DecryptValueRequest{Ciphertext: er.Ciphertext}); r.status != 400 ||
		firstAttr(r.errorBody(t)) != "ciphertext" {
		t.Errorf("another stack's ciphertext: %s, want a 400 naming ciphertext", r)
	}
	var be papi.BatchEncryptResponse
	h.must(200, "POST", stackPath("payments/prod/batch-encrypt"), h.admin(), papi.BatchEncryptRequest{Plaintexts: [][]byte{[]byte("a"), []byte("b")}}).decode(t, &be)
	var bd papi.BatchDecryptResponse
	h.must(200, "POST", stackPath("payments/prod/batch-decrypt"), h.admin(), papi.BatchDecryptRequest{Ciphertexts: be.Ciphertexts}).decode(t, &bd)
	if len(bd.Plaintexts) != 2 {
		t.Errorf("batch decrypt: %v", bd.Plaintexts)
	}
	for i, want := range []string{"a", "b"} {
		if got := bd.Plaintexts[b64(be.Ciphertexts[i])]; string(got) != want {
			t.Errorf("batch decrypt [%d]: %q, want %q", i, got, want)
		}
	}
	many := make([][]byte, 10_001)
	if r := h.do("POST", stackPath("payments/prod/batch-encrypt"), h.admin(), papi.BatchEncryptRequest{Plaintexts: many}); r.status != 400 {
		t.Errorf("an oversized batch: %s, want 400", r)
	}
}

// TestBackendStacks: delete refuses a stack with resources (the CLI's message) unless forced,
// a rename keeps the stack's grants (by ID), listing filters by tag, and the CLI's project tags
// are accepted while other "pulumi:" tags stay reserved.
func TestBackendStacks(t *testing.T) {
	t.Parallel()
	h := start(t)
	prod := h.stack("payments", "prod", map[string]string{"env": "prod"})
	h.stack("payments", "dev", map[string]string{"env": "dev"})
	h.must(200, "POST", "/api/stacks/acme/payments", h.admin(), apitype.CreateStackRequest{StackName: "qa", Tags: map[string]string{"pulumi:project": "payments"}})
	if r := h.do("POST", "/api/stacks/acme/payments", h.admin(), apitype.CreateStackRequest{StackName: "qa2", Tags: map[string]string{"pulumi:owner": "x"}}); r.status != 400 {
		t.Errorf("a reserved tag: %s, want 400", r)
	}
	if r := h.do("POST", "/api/stacks/acme/payments", h.admin(), apitype.CreateStackRequest{StackName: "qa3", Teams: []string{"ops"}}); r.status != 400 || firstAttr(r.errorBody(t)) != "teams" {
		t.Errorf("teams at create: %s, want a 400 naming teams", r)
	}
	// `pulumi stack tag set` sends the CLI's tags back with the new one.
	h.must(204, "PATCH", stackPath("payments/qa/tags"), h.admin(), map[string]string{"pulumi:project": "payments", "team": "core"})
	if r := h.do("PATCH", stackPath("payments/qa/tags"), h.admin(), map[string]string{"pulumi:project": "other"}); r.status != 400 {
		t.Errorf("changing a CLI tag: %s, want 400", r)
	}

	var ls apitype.ListStacksResponse
	h.must(200, "GET", "/api/user/stacks?organization=acme&tagName=env&tagValue=prod", h.admin(), nil).decode(t, &ls)
	if len(ls.Stacks) != 1 || ls.Stacks[0].StackName != "prod" {
		t.Errorf("tag filter: %+v", ls.Stacks)
	}
	h.must(200, "GET", "/api/user/stacks?organization=acme&tagName=team", h.admin(), nil).decode(t, &ls)
	if len(ls.Stacks) != 1 || ls.Stacks[0].StackName != "qa" {
		t.Errorf("tag name filter: %+v", ls.Stacks)
	}

	h.must(200, "POST", stackPath("payments/prod/import"), h.admin(), json.RawMessage(deployment("urn:a")))
	h.must(200, "GET", "/api/user/stacks?organization=acme&tagName=env&tagValue=prod", h.admin(), nil).decode(t, &ls)
	if s := ls.Stacks[0]; s.ResourceCount == nil || *s.ResourceCount != 1 || s.LastUpdate == nil {
		t.Errorf("summary after the import: %+v", s)
	}
	r := h.do("DELETE", stackPath("payments/prod"), h.admin(), nil)
	if r.status != 400 || r.errorBody(t).Message != "Bad Request: Stack still contains resources." {
		t.Errorf("delete with resources: %s", r)
	}
	if r := h.do("POST", stackPath("payments/prod/import"), h.admin(), `{"version":3}`); r.status != 400 {
		t.Errorf("import without a deployment: %s, want 400", r)
	}

	// A rename keeps the ID, and so the grants on it.
	_, renamer := h.scopedToken("renamer", authz.GrantSpec{Scopes: []string{"stack:rename", "stack:read"}})
	var devStack papi.Stack
	h.must(200, "GET", stackPath("payments/dev"), h.admin(), nil).decode(t, &devStack)
	_, devReader := h.scopedToken("dev-reader", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{devStack.ID}}})
	if r := h.do("POST", stackPath("payments/dev/rename"), devReader, papi.StackRenameRequest{NewName: "dev2"}); r.status != 403 {
		t.Errorf("rename without stack:rename: %s, want 403", r)
	}
	h.must(204, "POST", stackPath("payments/dev/rename"), renamer, papi.StackRenameRequest{NewName: "dev2"})
	if r := h.do("GET", stackPath("payments/dev2"), devReader, nil); r.status != 200 {
		t.Errorf("the renamed stack for a token granted on its ID: %s, want 200", r)
	}
	if r := h.do("GET", stackPath("payments/dev"), h.admin(), nil); r.status != 404 {
		t.Errorf("the old name after the rename: %s, want 404", r)
	}
	_ = prod
	if r := h.do("POST", stackPath("payments/dev2/rename"), renamer, papi.StackRenameRequest{NewName: "prod"}); r.status != 409 {
		t.Errorf("rename onto an existing stack: %s, want 409", r)
	}
	h.must(204, "DELETE", stackPath("payments/prod")+"?force=true", h.admin(), nil)
	if r := h.do("GET", stackPath("payments/prod/export"), h.admin(), nil); r.status != 404 {
		t.Errorf("export of a deleted stack: %s, want 404", r)
	}
}

func b64(b []byte) string {
	out, _ := json.Marshal(b)
	s, _ := strconv.Unquote(string(out))
	return s
}

// TestBackendConcurrentStarts: updates of one stack started at the same moment: exactly one
// runs, the others are 409s; a preview's lease cannot write state.
func TestBackendConcurrentStarts(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("payments", "prod", nil)
	const n = 8
	ids := make([]string, n)
	for i := range ids {
		var cr papi.UpdateProgramResponse
		h.must(200, "POST", stackPath("payments/prod/update"), h.admin(), program("payments", false)).decode(t, &cr)
		ids[i] = cr.UpdateID
	}
	codes := make(chan int, n)
	for _, id := range ids {
		go func() {
			codes <- h.do("POST", stackPath("payments/prod/update/"+id), h.admin(), papi.StartUpdateRequest{}).status
		}()
	}
	got := map[int]int{}
	for range n {
		got[<-codes]++
	}
	if got[200] != 1 || got[409] != n-1 {
		t.Errorf("concurrent starts: %v, want one 200 and %d 409s", got, n-1)
	}

	pid, pLease, _ := h.newUpdate(h.admin(), "payments/prod", "preview")
	if r := h.leased("PATCH", stackPath("payments/prod/update/"+pid+"/checkpointverbatim"), pLease,
		papi.PatchUpdateVerbatimCheckpointRequest{Version: 3, UntypedDeployment: deployment("urn:x"), SequenceNumber: 1}); r.status != 400 {
		t.Errorf("a preview's lease writing state: %s, want 400", r)
	}
	// Only the token that created an update may start it.
	var cr papi.UpdateProgramResponse
	h.must(200, "POST", stackPath("payments/prod/preview"), h.admin(), program("payments", true)).decode(t, &cr)
	_, other := h.scopedToken("other", authz.GrantSpec{Scopes: []string{"stack:read"}})
	if r := h.do("POST", stackPath("payments/prod/update/"+cr.UpdateID), other, papi.StartUpdateRequest{}); r.status != 403 {
		t.Errorf("starting another token's update: %s, want 403", r)
	}
	h.waitAudit("of the refused start", func(e apitype.AuditLogEvent) bool {
		return e.TokenName == "other" && e.Decision == "deny" && e.Status == 403 && strings.Contains(e.Reason, "created by token")
	})
}

// TestBackendPrunesPreviews: housekeeping drops previews a day old; updates that wrote state
// stay in the history.
func TestBackendPrunesPreviews(t *testing.T) {
	t.Parallel()
	clk := newClock()
	h := start(t, testserver.Options{Now: clk.Now})
	h.stack("payments", "prod", nil)
	pid, _, _ := h.newUpdate(h.admin(), "payments/prod", "preview")
	uid, lease, _ := h.newUpdate(h.admin(), "payments/prod", "update")
	h.must(204, "POST", stackPath("payments/prod/update/"+uid+"/complete"), "", papi.CompleteUpdateRequest{Status: papi.StatusSucceeded}, "Authorization", "update-token "+lease)
	clk.Advance(25 * time.Hour)
	h.ts.API.Housekeep(ctx(t))
	h.must(404, "GET", stackPath("payments/prod/update/"+pid), h.admin(), nil)
	h.must(200, "GET", stackPath("payments/prod/update/"+uid), h.admin(), nil)
}
