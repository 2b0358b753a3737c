package server_test

import (
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestBadInput: each malformed request gets the right status and an error that names the
// offending field, and changes nothing.
func TestBadInput(t *testing.T) {
	t.Parallel()
	h := start(t)
	stackReadSet := h.builtin("stack-read")
	memberRole := h.builtin("member")
	custom := h.grantRole("custom", authz.GrantSpec{Scopes: []string{"stack:list"}})
	h.token("dup", "")
	goneID, _ := h.token("gone", "")
	h.must(204, "DELETE", "/api/orgs/acme/tokens/"+goneID, h.admin(), nil)
	now := time.Now().Unix()

	unknownScope := `{"name":"typo","uxPurpose":"role","details":{"__type":"PermissionDescriptorGroup","entries":[
	  {"__type":"PermissionDescriptorCondition",
	   "condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},
	                "right":{"__type":"PermissionLiteralExpressionStack","identity":"x"}},
	   "subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:delet"]}}]}}`
	allow := func(scopes ...string) string {
		return `{"__type":"PermissionDescriptorAllow","permissions":["` + strings.Join(scopes, `","`) + `"]}`
	}
	compose := func(ids ...string) string {
		return `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["` + strings.Join(ids, `","`) + `"]}`
	}

	tests := []struct {
		name         string
		method, path string
		body         any
		hdr          []string
		status       int
		attribute    string   // errors[0].attribute, when set
		contains     []string // in message or errors[0].customMessage
	}{
		{name: "unknown scope deep in details", method: "POST", path: "/api/orgs/acme/roles", body: unknownScope,
			status: 400, attribute: "details.entries[0].subNode.permissions[1]", contains: []string{`did you mean "stack:delete"`}},
		{name: "unknown __type", method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"t","details":{"__type":"PermissionDescriptorAlow","permissions":[]}}`, status: 400, attribute: "details.__type"},
		{name: "unknown field in token body", method: "POST", path: "/api/orgs/acme/tokens",
			body: `{"name":"x","description":"","admin":false,"expires":0,"rolez":"r"}`, status: 400, attribute: "rolez", contains: []string{"unknown field"}},
		{name: "unknown field in role body", method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"x","permissions":[],"details":` + allow("stack:read") + `}`, status: 400, attribute: "permissions"},
		{name: "wrong JSON type", method: "POST", path: "/api/orgs/acme/tokens",
			body: `{"name":"x","expires":"tomorrow"}`, status: 400, attribute: "expires"},
		{name: "list roles without uxPurpose", method: "GET", path: "/api/orgs/acme/roles",
			status: 400, attribute: "uxPurpose", contains: []string{"uxPurpose"}},
		{name: "list roles with unknown uxPurpose", method: "GET", path: "/api/orgs/acme/roles?uxPurpose=roles",
			status: 400, attribute: "uxPurpose"},
		{name: "token list filter", method: "GET", path: "/api/orgs/acme/tokens?filter=old", status: 400, attribute: "filter"},
		{name: "token name over 40 characters", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: strings.Repeat("n", 41)}, status: 400, attribute: "name", contains: []string{"40"}},
		{name: "token name missing", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Description: "no name"}, status: 400, attribute: "name"},
		{name: "duplicate token name", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "dup"}, status: 409, attribute: "name", contains: []string{"dup"}},
		{name: "deleted token's name stays reserved", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "gone"}, status: 409, attribute: "name", contains: []string{"reserved"}},
		{name: "expires in the past", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "past", Expires: now - 60}, status: 400, attribute: "expires"},
		{name: "expires more than two years ahead", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "far", Expires: now + 2*366*24*3600}, status: 400, attribute: "expires", contains: []string{"two years"}},
		{name: "admin and roleID", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "both", Admin: true, RoleID: memberRole}, status: 400, attribute: "roleID"},
		{name: "unknown roleID", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "norole", RoleID: "00000000-0000-4000-8000-000000000000"}, status: 400, attribute: "roleID",
			contains: []string{"00000000-0000-4000-8000-000000000000"}},
		{name: "roleID of a permission set", method: "POST", path: "/api/orgs/acme/tokens",
			body: apitype.CreateOrgTokenRequest{Name: "setrole", RoleID: stackReadSet}, status: 400, attribute: "roleID", contains: []string{"set"}},
		{name: "body over the limit", method: "POST", path: "/api/orgs/acme/tokens",
			body: `{"name":"big","description":"` + strings.Repeat("x", 3<<20) + `"}`, status: 413},
		{name: "role body over the limit", method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"big","details":` + allow(strings.Split(strings.Repeat("stack:read,", 300_000), ",")...) + `}`, status: 413},
		{name: "invalid JSON", method: "POST", path: "/api/orgs/acme/tokens", body: `{"name":`, status: 400, attribute: "body"},
		{name: "not JSON at all", method: "POST", path: "/api/orgs/acme/roles", body: `name=x`, status: 400, attribute: "body"},
		{name: "trailing data", method: "POST", path: "/api/orgs/acme/tokens", body: `{"name":"a"}{"name":"b"}`, status: 400, attribute: "body"},
		{name: "empty body", method: "POST", path: "/api/orgs/acme/tokens", status: 400, attribute: "body"},
		{name: "details missing", method: "POST", path: "/api/orgs/acme/roles", body: `{"name":"nodetails"}`, status: 400, attribute: "details"},
		{name: "role name missing", method: "POST", path: "/api/orgs/acme/roles", body: `{"details":` + allow("stack:read") + `}`, status: 400, attribute: "name"},
		{name: "unknown resourceType", method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"rt","resourceType":"bucket","details":` + allow("stack:read") + `}`, status: 400, attribute: "resourceType"},
		{name: "compose of a missing ID", method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"c1","details":` + compose("11111111-1111-4111-8111-111111111111") + `}`, status: 400, attribute: "details",
			contains: []string{"11111111-1111-4111-8111-111111111111"}},
		{name: "compose of a role", method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"c2","details":` + compose(memberRole) + `}`, status: 400, attribute: "details", contains: []string{"only permission sets and policies"}},
		{name: "stack set holding an environment scope", method: "POST", path: "/api/orgs/acme/roles",
			body:   `{"name":"mixed","uxPurpose":"set","resourceType":"stack","details":` + allow("stack:read", "environment:open") + `}`,
			status: 400, attribute: "details", contains: []string{"environment:open"}},
		{name: "If-Match not a version", method: "PATCH", path: "/api/orgs/acme/roles/" + custom.ID, body: `{"description":"d"}`,
			hdr: []string{"If-Match", `"abc"`}, status: 400, attribute: "If-Match"},
		{name: "PATCH with an unknown scope", method: "PATCH", path: "/api/orgs/acme/roles/" + custom.ID,
			body: `{"details":` + allow("stack:list", "audit_log:read") + `}`, status: 400, attribute: "details.permissions[1]",
			contains: []string{`did you mean "audit_logs:read"`}},
		{name: "PATCH with an empty name", method: "PATCH", path: "/api/orgs/acme/roles/" + custom.ID, body: `{"name":""}`, status: 400, attribute: "name"},
		{name: "audit page size", method: "GET", path: "/api/orgs/acme/auditlogs?pageSize=0", status: 400, attribute: "pageSize"},
		{name: "audit continuation token", method: "GET", path: "/api/orgs/acme/auditlogs?continuationToken=zz", status: 400, attribute: "continuationToken"},
		{name: "stack name invalid", method: "POST", path: "/api/stacks/acme/proj", body: apitype.CreateStackRequest{StackName: "no/slash"}, status: 400, attribute: "stackName"},
		{name: "stack reserved tag", method: "POST", path: "/api/stacks/acme/proj",
			body: apitype.CreateStackRequest{StackName: "s", Tags: map[string]string{"pulumi:secret": "x"}}, status: 400, attribute: "tags.pulumi:secret"},
		{name: "account provider", method: "POST", path: "/api/preview/insights/acme/accounts/a1",
			body: apitype.CreateInsightsAccountRequest{Provider: "dropbox"}, status: 400, attribute: "provider"},
		{name: "account reserved tag", method: "POST", path: "/api/preview/insights/acme/accounts/a2",
			body: apitype.CreateInsightsAccountRequest{Provider: "aws", Tags: map[string]string{"pulumi:provider": "gcp"}}, status: 400, attribute: "tags.pulumi:provider"},
		{name: "environment without project", method: "POST", path: "/api/esc/environments/acme",
			body: apitype.CreateEnvironmentRequest{Name: "e"}, status: 400, attribute: "project"},
		{name: "access check without checks", method: "POST", path: "/api/orgs/acme/access/check", body: `{"checks":[]}`, status: 400, attribute: "checks"},
		{name: "idempotency key too long", method: "POST", path: "/api/orgs/acme/tokens", body: apitype.CreateOrgTokenRequest{Name: "k"},
			hdr: []string{"Idempotency-Key", strings.Repeat("k", 256)}, status: 400, attribute: "Idempotency-Key"},
	}
	before := len(h.tokens("all"))
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := h.do(tc.method, tc.path, h.admin(), tc.body, tc.hdr...)
			if r.status != tc.status {
				t.Fatalf("got %s, want %d", r, tc.status)
			}
			eb := r.errorBody(t)
			if tc.attribute != "" {
				if len(eb.Errors) == 0 || eb.Errors[0].Attribute != tc.attribute {
					t.Errorf("errors[0].attribute: got %s, want %q", r, tc.attribute)
				}
			}
			for _, s := range tc.contains {
				if !strings.Contains(eb.Message+" "+firstCustom(eb), s) {
					t.Errorf("error does not mention %q: %s", s, r)
				}
			}
		})
	}
	if after := len(h.tokens("all")); after != before {
		t.Errorf("bad requests created tokens: %d before, %d after", before, after)
	}
	var roles apitype.ListRolesResponse
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", h.admin(), nil).decode(t, &roles)
	for _, r := range roles.Roles {
		if r.DefaultIdentifier == "" && r.ID != custom.ID {
			t.Errorf("bad requests created role %q", r.Name)
		}
		if r.ID == custom.ID && r.Version != 1 {
			t.Errorf("bad requests changed role %q to version %d", r.Name, r.Version)
		}
	}
}
