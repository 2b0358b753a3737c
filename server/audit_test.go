package server_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
)

// TestAuditLog: every mutation and every denial (401 and 403) is recorded with the token,
// action, entity, decision and reason; reading the log needs audit_logs:read.
func TestAuditLog(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("web", "prod", nil)
	h.must(204, "DELETE", "/api/stacks/acme/web/prod", h.admin(), nil)
	h.stack("web", "dev", nil)
	_, tok := h.scopedToken("reader", authz.GrantSpec{Scopes: []string{"stack:list"}})
	h.must(403, "DELETE", "/api/stacks/acme/web/dev", tok, nil)
	h.must(401, "GET", "/api/orgs/acme/tokens", "", nil)
	h.must(401, "POST", "/api/orgs/acme/roles", "pul-"+strings.Repeat("0f", 20), nil)
	h.must(403, "GET", "/api/orgs/acme/auditlogs", tok, nil)
	h.must(409, "POST", "/api/stacks/acme/web", h.admin(), apitype.CreateStackRequest{StackName: "dev"}) // failed mutation

	cases := []struct {
		what  string
		match func(apitype.AuditLogEvent) bool
	}{
		{"stack create by admin", func(e apitype.AuditLogEvent) bool {
			return e.Action == "stack:create" && e.TokenName == "admin" && e.Decision == "allow" && e.Status == 200 &&
				e.Entity != nil && e.Entity.Kind == "org" && e.Event == "post:stack:create" && e.User.GitHubLogin == org
		}},
		{"stack delete by admin", func(e apitype.AuditLogEvent) bool {
			return e.Action == "stack:delete" && e.TokenName == "admin" && e.Decision == "allow" && e.Status == 204 &&
				e.Entity != nil && e.Entity.Kind == "stack" && e.Entity.Name == "web/prod" && e.TokenID != ""
		}},
		{"token create by admin", func(e apitype.AuditLogEvent) bool {
			return e.Action == "org_token:create" && e.Decision == "allow" && e.Status == 200
		}},
		{"403 on stack delete", func(e apitype.AuditLogEvent) bool {
			return e.Action == "stack:delete" && e.TokenName == "reader" && e.Decision == "deny" && e.Status == 403 &&
				e.Entity != nil && e.Entity.Name == "web/dev" && strings.Contains(e.Reason, "stack:delete") &&
				e.Event == "access-denied" && strings.Contains(e.Description, `token "reader" was denied DELETE /api/stacks/acme/web/dev`)
		}},
		{"403 on audit log read", func(e apitype.AuditLogEvent) bool {
			return e.Action == "audit_logs:read" && e.TokenName == "reader" && e.Decision == "deny" && e.Status == 403
		}},
		{"401 without token", func(e apitype.AuditLogEvent) bool {
			return e.Status == 401 && e.AuthFailure && e.Decision == "deny" && e.TokenName == "" &&
				e.Action == "org_token:read" && e.Reason == "no token" && e.SourceIP == "127.0.0.1"
		}},
		{"401 with an unknown token", func(e apitype.AuditLogEvent) bool {
			return e.Status == 401 && e.AuthFailure && e.Action == "role:create" && e.Reason == "bad token"
		}},
		{"failed create", func(e apitype.AuditLogEvent) bool {
			return e.Action == "stack:create" && e.Status == 409 && strings.Contains(e.Reason, "already exists")
		}},
	}
	for _, c := range cases {
		h.waitAudit(c.what, c.match)
	}
	// Reads that succeed are not mutations and are not logged.
	for _, e := range h.auditEvents() {
		if e.Decision == "allow" && (e.Action == "audit_logs:read" || e.Action == "stack:read" || e.Action == "org_token:read") {
			t.Errorf("successful read audited: %+v", e)
		}
	}
}

// TestAuditLogPaging: pages follow continuationToken, newest first, without gaps or repeats.
func TestAuditLogPaging(t *testing.T) {
	t.Parallel()
	h := start(t)
	const n = 11
	for i := range n {
		h.stack("p", fmt.Sprintf("s%02d", i), nil)
	}
	var all []apitype.AuditLogEvent
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) { // written asynchronously
		if all = h.auditEvents(); len(all) >= n || time.Now().After(deadline) {
			break
		}
	}
	total := len(all)
	if total < n {
		t.Fatalf("%d events, want at least %d", total, n)
	}
	var paged []apitype.AuditLogEvent
	ct, pages := "", 0
	for {
		path := "/api/orgs/acme/auditlogs?pageSize=3"
		if ct != "" {
			path += "&continuationToken=" + ct
		}
		var page apitype.ListAuditLogsResponse
		h.must(200, "GET", path, h.admin(), nil).decode(t, &page)
		pages++
		if len(page.AuditLogEvents) > 3 {
			t.Fatalf("page of %d events with pageSize=3", len(page.AuditLogEvents))
		}
		paged = append(paged, page.AuditLogEvents...)
		if page.ContinuationToken == "" {
			break
		}
		if pages > 100 {
			t.Fatal("paging does not end")
		}
		ct = page.ContinuationToken
	}
	if len(paged) != total || pages != (total+2)/3+btoi(total%3 == 0) {
		t.Fatalf("paged %d events in %d pages, want %d events", len(paged), pages, total)
	}
	names := func(evs []apitype.AuditLogEvent) string {
		var b strings.Builder
		for _, e := range evs {
			fmt.Fprintf(&b, "%s %d|", e.Description, e.Timestamp)
		}
		return b.String()
	}
	if names(paged) != names(all) {
		t.Errorf("paged events differ from one big page:\n%s\n%s", names(paged), names(all))
	}
	// Newest first: the last stack created comes before the first.
	first, last := -1, -1
	for i, e := range paged {
		if strings.Contains(e.Description, "/api/stacks/acme/p") && first < 0 {
			first = i
		}
		if strings.Contains(e.Description, "/api/stacks/acme/p") {
			last = i
		}
	}
	if first < 0 || first >= last {
		t.Errorf("order: first stack event at %d, last at %d", first, last)
	}
	// The client pages the same way.
	var viaClient int
	ct = ""
	for {
		page, err := h.ts.Client.ListAuditLogs(ctx(t), org, ct)
		if err != nil {
			t.Fatal(err)
		}
		viaClient += len(page.AuditLogEvents)
		if ct = page.ContinuationToken; ct == "" {
			break
		}
	}
	if viaClient != total {
		t.Errorf("client paged %d events, want %d", viaClient, total)
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestEveryMutationIsAudited performs every state-changing route of the route table once as
// admin and finds an "allow" audit event for each with the token, action and entity.
// A new mutating route without a row here fails the test.
func TestEveryMutationIsAudited(t *testing.T) {
	t.Parallel()
	idp := testoidc.Discovery(t)
	h := start(t, testserver.Options{Config: func(c *server.Config) { c.OIDCRootCAs = idp.CertPool }})
	_, staticPolicy := h.registerStatic("static", testoidc.Static(t, "https://static.example"))
	h.stack("p", "s", nil)
	h.env("p", "e")
	h.account("acct", nil)
	role := h.grantRole("r", authz.GrantSpec{Scopes: []string{"stack:list"}})
	tokID, _ := h.token("victim", role.ID)
	h.waitAudit("of the setup", func(e apitype.AuditLogEvent) bool { return e.Action == "org_token:create" })
	details := buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:list"}})

	type step struct {
		method, pattern, path string
		body                  any
		status                int
		entity                string // kind:name of the audited entity
		// as names a saved token value to call with ("" = admin); save saves the answer's
		// token ID and value under a name. Paths may use {name.id} of saved tokens.
		as, save string
	}
	steps := []step{
		{"POST", "/api/orgs/{org}/roles", "/api/orgs/acme/roles", apitype.CreateRoleRequest{Name: "new", Details: details}, 200, "org:acme", "", ""},
		{"PATCH", "/api/orgs/{org}/roles/{roleID}", "/api/orgs/acme/roles/" + role.ID, apitype.UpdateRoleRequest{Description: ptr("d")}, 200, "org:acme", "", ""},
		{"PATCH", "/api/orgs/{org}/roles/{roleID}/default", "/api/orgs/acme/roles/" + role.ID + "/default", nil, 204, "org:acme", "", ""},
		{"POST", "/api/orgs/{org}/tokens", "/api/orgs/acme/tokens", apitype.CreateOrgTokenRequest{Name: "t2"}, 200, "org:acme", "", ""},
		{"DELETE", "/api/orgs/{org}/tokens/{tokenID}", "/api/orgs/acme/tokens/" + tokID, nil, 204, "org:acme", "", ""},
		{"POST", "/api/stacks/{org}/{project}", "/api/stacks/acme/p", apitype.CreateStackRequest{StackName: "s2"}, 200, "org:acme", "", ""},
		{"PATCH", "/api/stacks/{org}/{project}/{stack}/tags", "/api/stacks/acme/p/s/tags", map[string]string{"a": "b"}, 204, "stack:p/s", "", ""},
		{"DELETE", "/api/stacks/{org}/{project}/{stack}", "/api/stacks/acme/p/s", nil, 204, "stack:p/s", "", ""},
		{"POST", "/api/esc/environments/{org}", "/api/esc/environments/acme", apitype.CreateEnvironmentRequest{Project: "p", Name: "e2"}, 200, "org:acme", "", ""},
		{"POST", "/api/esc/environments/{org}/{project}/{env}/open", "/api/esc/environments/acme/p/e/open", nil, 200, "environment:p/e", "", ""},
		{"PATCH", "/api/esc/environments/{org}/{project}/{env}/tags", "/api/esc/environments/acme/p/e/tags", map[string]string{"a": "b"}, 204, "environment:p/e", "", ""},
		{"DELETE", "/api/esc/environments/{org}/{project}/{env}", "/api/esc/environments/acme/p/e", nil, 204, "environment:p/e", "", ""},
		{"POST", "/api/preview/insights/{org}/accounts/{account}", "/api/preview/insights/acme/accounts/acct2", apitype.CreateInsightsAccountRequest{Provider: "gcp"}, 200, "org:acme", "", ""},
		{"DELETE", "/api/preview/insights/{org}/accounts/{account}", "/api/preview/insights/acme/accounts/acct", nil, 204, "insights-account:acct", "", ""},
		{method: "POST", pattern: "/api/orgs/{org}/members/{login}", path: "/api/orgs/acme/members/alice", body: apitype.AddMemberRequest{Role: "member"}, status: 200, entity: "member:alice"},
		{method: "PATCH", pattern: "/api/orgs/{org}/members/{login}", path: "/api/orgs/acme/members/alice", body: apitype.UpdateMemberRequest{Role: "billing-manager"}, status: 204, entity: "member:alice"},
		{method: "POST", pattern: "/api/orgs/{org}/members/{login}/tokens", path: "/api/orgs/acme/members/alice/tokens", body: apitype.CreatePersonalTokenRequest{}, status: 200, entity: "member:alice", save: "alice"},
		{method: "POST", pattern: "/api/user/tokens", path: "/api/user/tokens", body: apitype.CreatePersonalTokenRequest{Description: "laptop"}, status: 200, entity: "member:alice", as: "alice", save: "laptop"},
		{method: "DELETE", pattern: "/api/user/tokens/{tokenID}", path: "/api/user/tokens/{laptop.id}", status: 204, entity: "member:alice", as: "alice"},
		{method: "POST", pattern: "/api/orgs/{org}/teams/pulumi", path: "/api/orgs/acme/teams/pulumi", body: apitype.CreateTeamRequest{Name: "platform"}, status: 200, entity: "team:platform"},
		{method: "PATCH", pattern: "/api/orgs/{org}/teams/{team}", path: "/api/orgs/acme/teams/platform", body: apitype.UpdateTeamRequest{Member: ptr("alice"), MemberAction: ptr("add")}, status: 204, entity: "team:platform"},
		{method: "POST", pattern: "/api/orgs/{org}/teams/{team}/roles/{roleID}", path: "/api/orgs/acme/teams/platform/roles/" + role.ID, status: 204, entity: "team:platform"},
		{method: "DELETE", pattern: "/api/orgs/{org}/teams/{team}/roles/{roleID}", path: "/api/orgs/acme/teams/platform/roles/" + role.ID, status: 204, entity: "team:platform"},
		{method: "POST", pattern: "/api/orgs/{org}/teams/{team}/tokens", path: "/api/orgs/acme/teams/platform/tokens", body: apitype.CreateTeamTokenRequest{Name: "platform-ci"}, status: 200, entity: "team:platform", save: "team"},
		{method: "DELETE", pattern: "/api/orgs/{org}/teams/{team}/tokens/{tokenID}", path: "/api/orgs/acme/teams/platform/tokens/{team.id}", status: 204, entity: "team:platform"},
		{method: "DELETE", pattern: "/api/orgs/{org}/teams/{team}", path: "/api/orgs/acme/teams/platform", status: 204, entity: "team:platform"},
		{method: "DELETE", pattern: "/api/orgs/{org}/members/{login}", path: "/api/orgs/acme/members/alice", status: 204, entity: "member:alice"},
		{method: "POST", pattern: "/api/orgs/{org}/oidc/issuers", path: "/api/orgs/acme/oidc/issuers", body: apitype.RegisterIssuerRequest{Name: "gh", URL: idp.URL}, status: 200, entity: "oidc_issuer:gh", save: "iss"},
		{method: "PATCH", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}", path: "/api/orgs/acme/oidc/issuers/{iss.id}", body: apitype.UpdateIssuerRequest{Name: "gh"}, status: 200, entity: "oidc_issuer:gh"},
		{method: "POST", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}/regenerate-thumbprints", path: "/api/orgs/acme/oidc/issuers/{iss.id}/regenerate-thumbprints", status: 200, entity: "oidc_issuer:gh"},
		{method: "PATCH", pattern: "/api/orgs/{org}/auth/policies/{policyID}", path: "/api/orgs/acme/auth/policies/" + staticPolicy.ID,
			body: apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{{Decision: "deny", TokenType: "team"}}}, status: 200, entity: "auth_policy:" + staticPolicy.ID},
		{method: "DELETE", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}", path: "/api/orgs/acme/oidc/issuers/{iss.id}", status: 204, entity: "oidc_issuer:gh"},
		{method: "POST", pattern: "/api/orgs/{org}/guardrails", path: "/api/orgs/acme/guardrails", body: apitype.CreateGuardrailRequest{Name: "g", Actions: []string{"stack:delete"}}, status: 200, entity: "org:acme", save: "guardrail"},
		{method: "PUT", pattern: "/api/orgs/{org}/guardrails/{guardrailID}", path: "/api/orgs/acme/guardrails/{guardrail.id}", body: apitype.UpdateGuardrailRequest{Name: "g", Actions: []string{"stack:write"}}, status: 200, entity: "org:acme"},
		{method: "DELETE", pattern: "/api/orgs/{org}/guardrails/{guardrailID}", path: "/api/orgs/acme/guardrails/{guardrail.id}", status: 204, entity: "org:acme"},
		{"DELETE", "/api/orgs/{org}/roles/{roleID}", "", nil, 204, "org:acme", "", ""}, // path set below
	}
	// Only reads, the side-effect-free access check and the role-edit preview are not mutations.
	// The token exchange audits itself, allowed or refused (TestOIDCExchangeOrganizationToken,
	// TestOIDCExchangeRefusals): its caller has no token.
	notMutations := map[string]bool{"POST /api/orgs/{org}/access/check": true, "POST /api/oauth/token": true, "POST /api/orgs/{org}/roles/{roleID}/preview": true, "POST /api/orgs/{org}/access/who": true}
	// The Pulumi backend's calls that change no IAM state and are not audited one by one
	// (secrets, checkpoints, events, lease renewals), and its audited ones, which
	// TestBackendAudit performs in an update's order.
	for _, p := range []string{"encrypt", "batch-encrypt", "decrypt", "batch-decrypt", "decrypt/log-decryption", "decrypt/log-batch-decryption",
		"update/{updateID}/events/batch", "update/{updateID}/renew_lease"} {
		notMutations["POST /api/stacks/{org}/{project}/{stack}/"+p] = true
	}
	for _, p := range []string{"checkpoint", "checkpointverbatim", "checkpointdelta"} {
		notMutations["PATCH /api/stacks/{org}/{project}/{stack}/update/{updateID}/"+p] = true
	}
	for _, p := range backendAudited {
		notMutations[p] = true
	}
	covered := map[string]bool{}
	scopes := map[string]string{}
	for _, rt := range h.ts.API.Routes() {
		scopes[rt.Method+" "+rt.Pattern] = rt.Scope
	}
	for _, s := range steps {
		covered[s.method+" "+s.pattern] = true
	}
	for _, rt := range h.ts.API.Routes() {
		key := rt.Method + " " + rt.Pattern
		if rt.Method != "GET" && !covered[key] && !notMutations[key] {
			t.Errorf("mutating route %s has no step in this test", key)
		}
	}
	member := h.builtin("member")
	steps[len(steps)-1].path = "/api/orgs/acme/roles/" + role.ID + "?force=true"
	saved := map[string]apitype.CreateTokenResponse{}
	for i := range steps {
		s := &steps[i]
		if i == len(steps)-1 { // the default role cannot be deleted: make member the default again
			h.must(204, "PATCH", "/api/orgs/acme/roles/"+member+"/default", h.admin(), nil)
		}
		for name, tok := range saved {
			s.path = strings.ReplaceAll(s.path, "{"+name+".id}", tok.ID)
		}
		caller := h.admin()
		if s.as != "" {
			caller = saved[s.as].TokenValue
		}
		r := h.must(s.status, s.method, s.path, caller, s.body)
		if s.save != "" {
			var out apitype.CreateTokenResponse
			r.decode(t, &out)
			saved[s.save] = out
		}
	}
	for _, s := range steps {
		scope := scopes[s.method+" "+s.pattern]
		path, _, _ := strings.Cut(s.path, "?")
		kind, name, _ := strings.Cut(s.entity, ":")
		h.waitAudit(fmt.Sprintf("of %s %s", s.method, s.path), func(e apitype.AuditLogEvent) bool {
			who := e.TokenName == "admin"
			if s.as != "" {
				who = e.TokenID == saved[s.as].ID && e.User.GitHubLogin == "alice" && strings.Contains(e.Description, `user "alice"`)
			}
			return e.Action == scope && e.Decision == "allow" && e.Status == s.status && who &&
				e.Entity != nil && e.Entity.Kind == kind && e.Entity.Name == name &&
				strings.Contains(e.Description, s.method+" "+path+" (")
		})
	}
}
