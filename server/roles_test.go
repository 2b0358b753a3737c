package server_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestRoleVersioning: PATCH bumps the version; a stale version (body or If-Match) is a 409 and
// changes nothing; renaming onto another role's name is a 409.
func TestRoleVersioning(t *testing.T) {
	t.Parallel()
	h := start(t)
	r := h.grantRole("ops", authz.GrantSpec{Scopes: []string{"stack:list"}})
	h.grantRole("dev", authz.GrantSpec{Scopes: []string{"stack:list"}})
	if r.Version != 1 || r.UXPurpose != apitype.UXPurposeRole || r.ResourceType != "global" || r.OrgID != org || r.IsOrgDefault || r.DefaultIdentifier != "" {
		t.Fatalf("created role = %+v", r)
	}
	path := "/api/orgs/acme/roles/" + r.ID
	patch := func(want int, body apitype.UpdateRoleRequest, hdr ...string) apitype.Role {
		t.Helper()
		var out apitype.Role
		resp := h.must(want, "PATCH", path, h.admin(), body, hdr...)
		if want == 200 {
			resp.decode(t, &out)
		} else {
			resp.errorBody(t)
		}
		return out
	}
	v2 := patch(200, apitype.UpdateRoleRequest{Description: ptr("on call")})
	if v2.Version != 2 || v2.Description != "on call" || v2.Name != "ops" || !v2.Modified.After(r.Modified) && !v2.Modified.Equal(r.Modified) {
		t.Errorf("after PATCH: %+v", v2)
	}
	if string(v2.Details) != string(r.Details) {
		t.Errorf("details changed by a description-only PATCH: %s", v2.Details)
	}
	patch(409, apitype.UpdateRoleRequest{Description: ptr("stale"), Version: ptr(1)})
	patch(409, apitype.UpdateRoleRequest{Description: ptr("stale")}, "If-Match", `"1"`)
	patch(409, apitype.UpdateRoleRequest{Description: ptr("stale")}, "If-Match", `W/"3"`)
	v3 := patch(200, apitype.UpdateRoleRequest{Description: ptr("fresh"), Version: ptr(2)})
	v4 := patch(200, apitype.UpdateRoleRequest{
		Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:list", "role:read"}}),
	}, "If-Match", `"3"`)
	if v3.Version != 3 || v4.Version != 4 || v4.Description != "fresh" || !strings.Contains(string(v4.Details), "role:read") {
		t.Errorf("v3 %+v\nv4 %+v", v3, v4)
	}
	patch(409, apitype.UpdateRoleRequest{Name: ptr("dev")})
	var got apitype.Role
	h.must(200, "GET", path, h.admin(), nil).decode(t, &got)
	if got.Version != 4 || got.Name != "ops" || got.Description != "fresh" {
		t.Errorf("after refused PATCHes: %+v", got)
	}
	// The new details take effect for tokens at once.
	_, tok := h.token("t", r.ID)
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", tok, nil)
	patch(200, apitype.UpdateRoleRequest{Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:list"}})})
	h.must(403, "GET", "/api/orgs/acme/roles?uxPurpose=role", tok, nil)
	h.must(404, "PATCH", "/api/orgs/acme/roles/no-such-role", h.admin(), apitype.UpdateRoleRequest{Description: ptr("x")})
	h.must(404, "GET", "/api/orgs/acme/roles/no-such-role", h.admin(), nil)
}

// TestBuiltinRecordsAreFixed: built-in sets and roles can be read and used, not changed.
func TestBuiltinRecordsAreFixed(t *testing.T) {
	t.Parallel()
	h := start(t)
	for _, id := range []string{"member", "admin", "stack-read"} {
		rid := h.builtin(id)
		r := h.must(400, "PATCH", "/api/orgs/acme/roles/"+rid, h.admin(), apitype.UpdateRoleRequest{Description: ptr("mine")})
		if !strings.Contains(r.errorBody(t).Message, "built-in") {
			t.Errorf("PATCH %s: %s", id, r)
		}
		h.must(400, "DELETE", "/api/orgs/acme/roles/"+rid+"?force=true", h.admin(), nil)
	}
}

// TestRoleDeletion: deleting a role in use needs force (and then its tokens have no rights);
// a set composed by a role cannot be deleted even with force; the default role cannot be
// deleted; only a role can be the default.
func TestRoleDeletion(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("p", "s", nil)
	set := h.role("readers", apitype.UXPurposeSet, "stack", buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}}))
	role := h.grantRole("used",
		authz.GrantSpec{Scopes: []string{"stack:list", "role:read", "org_token:read"}},
		authz.GrantSpec{Permissions: []string{set.ID}})
	_, tok := h.token("holder", role.ID)
	h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)

	r := h.must(409, "DELETE", "/api/orgs/acme/roles/"+role.ID, h.admin(), nil)
	if !strings.Contains(r.errorBody(t).Message, `"holder"`) {
		t.Errorf("409 does not name the token: %s", r)
	}
	for _, q := range []string{"", "?force=true"} {
		r := h.must(409, "DELETE", "/api/orgs/acme/roles/"+set.ID+q, h.admin(), nil)
		if !strings.Contains(r.errorBody(t).Message, `"used"`) {
			t.Errorf("deleting a composed set%s does not name the role: %s", q, r)
		}
	}
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+role.ID+"?force=true", h.admin(), nil)
	h.must(404, "GET", "/api/orgs/acme/roles/"+role.ID, h.admin(), nil)
	h.must(404, "DELETE", "/api/orgs/acme/roles/"+role.ID, h.admin(), nil)
	for _, p := range [][2]string{
		{"GET", "/api/stacks/acme/p/s"}, {"GET", "/api/user/stacks?organization=acme"},
		{"GET", "/api/orgs/acme/roles?uxPurpose=role"}, {"GET", "/api/orgs/acme/tokens"},
	} {
		h.must(403, p[0], p[1], tok, nil)
	}
	h.must(200, "GET", "/api/user", tok, nil) // still authenticated, just without rights
	// Once nothing composes the set, it can go.
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+set.ID, h.admin(), nil)

	// The default role.
	def := h.grantRole("default", authz.GrantSpec{Scopes: []string{"stack:list"}})
	h.must(204, "PATCH", "/api/orgs/acme/roles/"+def.ID+"/default", h.admin(), nil)
	var got apitype.Role
	h.must(200, "GET", "/api/orgs/acme/roles/"+def.ID, h.admin(), nil).decode(t, &got)
	if !got.IsOrgDefault {
		t.Error("new default role not marked isOrgDefault")
	}
	var roles apitype.ListRolesResponse
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", h.admin(), nil).decode(t, &roles)
	for _, r := range roles.Roles {
		if r.IsOrgDefault != (r.ID == def.ID) {
			t.Errorf("role %q isOrgDefault = %v", r.Name, r.IsOrgDefault)
		}
	}
	h.must(409, "DELETE", "/api/orgs/acme/roles/"+def.ID+"?force=true", h.admin(), nil)
	setRead := h.builtin("stack-read")
	r = h.must(400, "PATCH", "/api/orgs/acme/roles/"+setRead+"/default", h.admin(), nil)
	if eb := r.errorBody(t); len(eb.Errors) == 0 || eb.Errors[0].Attribute != "roleID" || !strings.Contains(eb.Message, "Invalid role type") {
		t.Errorf("default := set: %s", r)
	}
	h.must(404, "PATCH", "/api/orgs/acme/roles/no-such-role/default", h.admin(), nil)
	h.must(204, "PATCH", "/api/orgs/acme/roles/"+h.builtin("member")+"/default", h.admin(), nil)
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+def.ID, h.admin(), nil)
}

// TestBuiltinsListed: every org has the 13 built-in records with defaultIdentifier set, the
// member role is the default, and they match the authz catalog.
func TestBuiltinsListed(t *testing.T) {
	t.Parallel()
	h := start(t)
	want := map[string]string{
		"member": "role", "admin": "role", "billing-manager": "role",
		"stack-read": "set", "stack-write": "set", "stack-admin": "set",
		"environment-read": "set", "environment-open": "set", "environment-write": "set", "environment-admin": "set",
		"insights-account-read": "set", "insights-account-write": "set", "insights-account-admin": "set",
	}
	got := map[string]apitype.Role{}
	for _, p := range []string{"role", "set", "policy"} {
		var out apitype.ListRolesResponse
		r := h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose="+p, h.admin(), nil)
		r.decode(t, &out)
		if p == "policy" && (len(out.Roles) != 0 || !strings.Contains(string(r.body), `"roles":[]`)) {
			t.Errorf("policies: %s, want an empty list", r.body)
		}
		for _, rec := range out.Roles {
			if string(rec.UXPurpose) != p {
				t.Errorf("uxPurpose=%s listed %q with uxPurpose %s", p, rec.Name, rec.UXPurpose)
			}
			if rec.DefaultIdentifier == "" {
				t.Errorf("custom record %q in a fresh org", rec.Name)
				continue
			}
			got[rec.DefaultIdentifier] = rec
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d built-ins, want %d", len(got), len(want))
	}
	for id, purpose := range want {
		rec, ok := got[id]
		if !ok {
			t.Errorf("built-in %q missing", id)
			continue
		}
		b, _ := authz.BuiltinByIdentifier(id)
		if string(rec.UXPurpose) != purpose || rec.Name != b.Name || rec.Version != 1 || rec.IsOrgDefault != (id == "member") {
			t.Errorf("built-in %q = %+v", id, rec)
		}
		if purpose == "set" && rec.ResourceType != b.Kind.ResourceType() {
			t.Errorf("built-in %q resourceType %q, want %q", id, rec.ResourceType, b.Kind.ResourceType())
		}
		if string(rec.Details) != string(authz.Format(b.Details)) {
			t.Errorf("built-in %q details differ from authz:\n%s\n%s", id, rec.Details, authz.Format(b.Details))
		}
	}
}

// TestScopesListing: the catalog grouped by resource type and console group, each scope once.
func TestScopesListing(t *testing.T) {
	t.Parallel()
	h := start(t)
	var resp apitype.ListScopesResponse
	h.must(200, "GET", "/api/orgs/acme/roles/scopes", h.admin(), nil).decode(t, &resp)
	buckets := make([]string, 0, len(resp))
	for b := range resp {
		buckets = append(buckets, b)
	}
	sort.Strings(buckets)
	if strings.Join(buckets, ",") != "environment,global,insights-account,stack" {
		t.Errorf("buckets %v", buckets)
	}
	seen := map[string]int{}
	for bucket, groups := range resp {
		if len(groups) == 0 {
			t.Errorf("bucket %s has no groups", bucket)
		}
		for _, g := range groups {
			if g.Name == "" || len(g.Scopes) == 0 {
				t.Errorf("bucket %s: group %+v", bucket, g)
			}
			for _, s := range g.Scopes {
				seen[s.Name]++
				sc, err := authz.LookupScope(s.Name)
				if err != nil {
					t.Errorf("listed scope %s: %v", s.Name, err)
					continue
				}
				if sc.Kind.ResourceType() != bucket || sc.Group != g.Name || s.Metadata.Description == "" || s.Metadata.EntityKind != sc.Kind.String() {
					t.Errorf("scope %s in %s/%s: %+v, catalog %+v", s.Name, bucket, g.Name, s, sc)
				}
			}
		}
	}
	for _, sc := range authz.Scopes() {
		if seen[sc.Name] != 1 {
			t.Errorf("scope %s listed %d times", sc.Name, seen[sc.Name])
		}
	}
	if len(seen) != len(authz.Scopes()) {
		t.Errorf("%d scopes listed, catalog has %d", len(seen), len(authz.Scopes()))
	}
}

// TestPermissionSetsAndPolicies: a custom set composed on one stack grants its scopes there;
// editing the set changes what the role's token may do; a cycle is refused.
func TestPermissionSetsAndPolicies(t *testing.T) {
	t.Parallel()
	h := start(t)
	s := h.stack("p", "s", nil)
	h.stack("p", "other", nil)
	set := h.role("deployers", apitype.UXPurposeSet, "stack", buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}}))
	policy := h.role("tagger", apitype.UXPurposePolicy, "", buildDetails(t, authz.GrantSpec{Scopes: []string{"stack_tags:update"}, Refs: authz.Refs{Stacks: []string{s.ID}}}))
	role := h.grantRole("composite",
		authz.GrantSpec{Permissions: []string{set.ID}, Refs: authz.Refs{Stacks: []string{s.ID}}},
		authz.GrantSpec{Permissions: []string{policy.ID}})
	_, tok := h.token("c", role.ID)
	h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)
	h.must(403, "GET", "/api/stacks/acme/p/other", tok, nil)
	h.must(204, "PATCH", "/api/stacks/acme/p/s/tags", tok, map[string]string{"team": "a"})
	h.must(403, "PATCH", "/api/stacks/acme/p/other/tags", tok, map[string]string{"team": "a"})
	h.must(403, "DELETE", "/api/stacks/acme/p/s", tok, nil)
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+set.ID, h.admin(), apitype.UpdateRoleRequest{
		Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}}),
	})
	h.must(403, "DELETE", "/api/stacks/acme/p/other", tok, nil)
	h.must(204, "DELETE", "/api/stacks/acme/p/s", tok, nil)

	// A set that composes itself through another is refused.
	inner := h.role("inner", apitype.UXPurposeSet, "", buildDetails(t, authz.GrantSpec{Permissions: []string{set.ID}}))
	r := h.must(400, "PATCH", "/api/orgs/acme/roles/"+set.ID, h.admin(), apitype.UpdateRoleRequest{
		Details: buildDetails(t, authz.GrantSpec{Permissions: []string{inner.ID}}),
	})
	if eb := r.errorBody(t); !strings.Contains(eb.Message, "cycle") {
		t.Errorf("cycle: %s", r)
	}
	h.must(400, "PATCH", "/api/orgs/acme/roles/"+set.ID, h.admin(), apitype.UpdateRoleRequest{
		Details: buildDetails(t, authz.GrantSpec{Permissions: []string{set.ID}}),
	})
}
