package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
)

const org = "acme"

// tokenRE is the shape of every token value; the secrets tests grep for it.
var tokenRE = regexp.MustCompile(`pul-[0-9a-f]{40}`)

// harness is a running server plus helpers that talk to it over HTTP.
type harness struct {
	t  testing.TB
	ts *testserver.Server
}

func start(t testing.TB, opts ...testserver.Options) *harness {
	t.Helper()
	return &harness{t: t, ts: testserver.Start(t, opts...)}
}

func (h *harness) admin() string { return h.ts.AdminToken }

// response is a raw HTTP answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errorBody decodes a Pulumi error body, failing the test if it is not one.
func (r *response) errorBody(t testing.TB) apitype.ErrorResponse {
	t.Helper()
	var e apitype.ErrorResponse
	if err := json.Unmarshal(r.body, &e); err != nil {
		t.Fatalf("error body is not JSON: %v\n%s", err, r.body)
	}
	if e.Code != r.status {
		t.Errorf("error body code %d, HTTP status %d", e.Code, r.status)
	}
	return e
}

func (r *response) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %T: %v\n%s", v, err, r.body)
	}
}

func (r *response) String() string { return fmt.Sprintf("%d %s", r.status, bytes.TrimSpace(r.body)) }

// do sends one request. body is sent as is when it is a string or []byte, else as JSON; nil
// sends none. hdr is name/value pairs. token "" sends no Authorization header.
func (h *harness) do(method, path, token string, body any, hdr ...string) *response {
	h.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			h.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, h.ts.URL+path, rd)
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Accept", apitype.AcceptV8)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: data}
}

// must sends a request and fails the test unless the status is want.
func (h *harness) must(want int, method, path, token string, body any, hdr ...string) *response {
	h.t.Helper()
	r := h.do(method, path, token, body, hdr...)
	if r.status != want {
		h.t.Fatalf("%s %s: got %s, want %d", method, path, r, want)
	}
	return r
}

// role creates a record as admin.
func (h *harness) role(name string, purpose apitype.UXPurpose, resourceType string, details []byte) apitype.Role {
	h.t.Helper()
	var out apitype.Role
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{
		Name: name, UXPurpose: purpose, ResourceType: resourceType, Details: details,
	}).decode(h.t, &out)
	return out
}

// grantRole creates a role from grants (authz.BuildRole) as admin.
func (h *harness) grantRole(name string, grants ...authz.GrantSpec) apitype.Role {
	h.t.Helper()
	return h.role(name, apitype.UXPurposeRole, "", buildDetails(h.t, grants...))
}

func buildDetails(t testing.TB, grants ...authz.GrantSpec) []byte {
	t.Helper()
	n, err := authz.BuildRole(grants)
	if err != nil {
		t.Fatal(err)
	}
	return authz.Format(n)
}

// token creates a token with the role as admin and returns its ID and value.
func (h *harness) token(name, roleID string) (id, value string) {
	h.t.Helper()
	return h.tokenAs(h.admin(), name, roleID)
}

func (h *harness) tokenAs(caller, name, roleID string) (id, value string) {
	h.t.Helper()
	var out apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", caller, apitype.CreateOrgTokenRequest{Name: name, RoleID: roleID}).decode(h.t, &out)
	return out.ID, out.TokenValue
}

// scopedToken creates a role from grants and a token holding it.
func (h *harness) scopedToken(name string, grants ...authz.GrantSpec) (id, value string) {
	h.t.Helper()
	r := h.grantRole(name+"-role", grants...)
	return h.token(name, r.ID)
}

func (h *harness) stack(project, name string, tags map[string]string) apitype.Stack {
	h.t.Helper()
	var out apitype.Stack
	h.must(200, "POST", "/api/stacks/acme/"+project, h.admin(), apitype.CreateStackRequest{StackName: name, Tags: tags}).decode(h.t, &out)
	return out
}

func (h *harness) env(project, name string) apitype.Environment {
	h.t.Helper()
	var out apitype.Environment
	h.must(200, "POST", "/api/esc/environments/acme", h.admin(), apitype.CreateEnvironmentRequest{Project: project, Name: name}).decode(h.t, &out)
	return out
}

func (h *harness) account(name string, tags map[string]string) apitype.InsightsAccount {
	h.t.Helper()
	var out apitype.InsightsAccount
	h.must(200, "POST", "/api/preview/insights/acme/accounts/"+name, h.admin(), apitype.CreateInsightsAccountRequest{Provider: "aws", Tags: tags}).decode(h.t, &out)
	return out
}

// builtin returns the ID of a built-in record by its defaultIdentifier.
func (h *harness) builtin(identifier string) string {
	h.t.Helper()
	for _, p := range []string{"role", "set"} {
		var out apitype.ListRolesResponse
		h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose="+p, h.admin(), nil).decode(h.t, &out)
		for _, r := range out.Roles {
			if r.DefaultIdentifier == identifier {
				return r.ID
			}
		}
	}
	h.t.Fatalf("no built-in %q", identifier)
	return ""
}

func (h *harness) tokens(filter string) []apitype.AccessToken {
	h.t.Helper()
	var out apitype.ListTokensResponse
	h.must(200, "GET", "/api/orgs/acme/tokens?filter="+filter, h.admin(), nil).decode(h.t, &out)
	return out.Tokens
}

func findToken(toks []apitype.AccessToken, name string) (apitype.AccessToken, bool) {
	for _, t := range toks {
		if t.Name == name {
			return t, true
		}
	}
	return apitype.AccessToken{}, false
}

// auditEvents reads the whole audit log (newest first) as admin.
func (h *harness) auditEvents() []apitype.AuditLogEvent {
	h.t.Helper()
	var all []apitype.AuditLogEvent
	ct := ""
	for range 100 {
		path := "/api/orgs/acme/auditlogs?pageSize=1000"
		if ct != "" {
			path += "&continuationToken=" + ct
		}
		var page apitype.ListAuditLogsResponse
		h.must(200, "GET", path, h.admin(), nil).decode(h.t, &page)
		all = append(all, page.AuditLogEvents...)
		if page.ContinuationToken == "" {
			return all
		}
		ct = page.ContinuationToken
	}
	h.t.Fatal("audit log paging does not end")
	return nil
}

// waitAudit polls the audit log (it is written asynchronously) until match finds an event.
func (h *harness) waitAudit(what string, match func(apitype.AuditLogEvent) bool) apitype.AuditLogEvent {
	h.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		evs := h.auditEvents()
		for _, e := range evs {
			if match(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			var b strings.Builder
			for _, e := range evs {
				fmt.Fprintf(&b, "  %+v\n", e)
			}
			h.t.Fatalf("no audit event %s within 5s; have:\n%s", what, b.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// clock is a settable clock for Options.Now.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Unix(1_900_000_000, 0)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// syncBuffer is a bytes.Buffer safe for concurrent writers (log handlers, subprocesses).
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// firstCustom is errors[0].customMessage, or "" when there is none.
func firstCustom(e apitype.ErrorResponse) string {
	if len(e.Errors) == 0 {
		return ""
	}
	return e.Errors[0].CustomMessage
}
