package server_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

func stackRefs(ids ...string) authz.Refs {
	var r authz.Refs
	r.Set(authz.KindStack, ids)
	return r
}

// TestListEntities: the console's entity listing shows only what the caller may read, filters
// by project and tag on the server, pages with a continuation token bound to its filters, and
// names the field of a bad query.
func TestListEntities(t *testing.T) {
	h := start(t)
	prod := h.stack("web", "prod", map[string]string{"env": "prod", "team": "a"})
	h.stack("web", "dev", map[string]string{"env": "dev"})
	h.stack("api", "prod", map[string]string{"env": "prod"})
	hidden := h.stack("secret", "prod", map[string]string{"env": "prod"})
	_, reader := h.scopedToken("reader",
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(prod.ID)},
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(h.stackID("web", "dev"), h.stackID("api", "prod"))})

	list := func(token, query string) apitype.ListEntitiesResponse {
		t.Helper()
		var out apitype.ListEntitiesResponse
		h.must(200, "GET", "/api/orgs/acme/entities?"+query, token, nil).decode(t, &out)
		return out
	}
	names := func(r apitype.ListEntitiesResponse) []string {
		var out []string
		for _, e := range r.Entities {
			out = append(out, e.Project+"/"+e.Name)
		}
		return out
	}
	tests := []struct {
		name, token, query string
		want               []string
	}{
		{"admin sees all", h.admin(), "kind=stack", []string{"api/prod", "secret/prod", "web/dev", "web/prod"}},
		{"reader sees its stacks", reader, "kind=stack", []string{"api/prod", "web/dev", "web/prod"}},
		{"project", reader, "kind=stack&project=web", []string{"web/dev", "web/prod"}},
		{"tag value", reader, "kind=stack&tag=env=prod", []string{"api/prod", "web/prod"}},
		{"tag key", reader, "kind=stack&tag=team", []string{"web/prod"}},
		{"no environments", reader, "kind=environment", nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := names(list(tc.token, tc.query)); !slices.Equal(got, tc.want) {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := list(h.admin(), "kind=stack&tag=env=prod"); len(got.Entities) != 3 || got.Entities[2].ID != prod.ID || got.Entities[1].ID != hidden.ID || got.Entities[2].Tags["team"] != "a" {
		t.Errorf("admin, env=prod: %+v", got.Entities)
	}

	// Paging: one at a time, through the filtered list.
	var seen []string
	query := "kind=stack&tag=env=prod&maxResults=1"
	for page := list(reader, query); ; {
		seen = append(seen, names(page)...)
		if page.ContinuationToken == "" {
			break
		}
		if len(seen) > 5 {
			t.Fatal("paging does not end")
		}
		// A token of one filter is refused by another.
		h.must(400, "GET", "/api/orgs/acme/entities?kind=stack&tag=env=dev&continuationToken="+page.ContinuationToken, reader, nil)
		page = list(reader, query+"&continuationToken="+page.ContinuationToken)
	}
	if !slices.Equal(seen, []string{"api/prod", "web/prod"}) {
		t.Errorf("pages: %v", seen)
	}

	for _, bad := range []struct{ query, field string }{
		{"", "kind"},
		{"kind=org", "kind"},
		{"kind=stacks", "kind"},
		{"kind=stack&tag==x", "tag"},
		{"kind=stack&tag=" + strings.Repeat("k", 600), "tag"},
		{"kind=stack&maxResults=0", "maxResults"},
	} {
		r := h.must(400, "GET", "/api/orgs/acme/entities?"+bad.query, reader, nil)
		if e := r.errorBody(t); len(e.Errors) == 0 || e.Errors[0].Attribute != bad.field {
			t.Errorf("%q: %s, want the error to name %s", bad.query, r, bad.field)
		}
	}
	h.must(404, "GET", "/api/orgs/globex/entities?kind=stack", reader, nil)
}

// stackID is the ID of an existing stack.
func (h *harness) stackID(project, name string) string {
	h.t.Helper()
	var out apitype.Stack
	h.must(200, "GET", "/api/stacks/acme/"+project+"/"+name, h.admin(), nil).decode(h.t, &out)
	return out.ID
}

// TestRolePreview: the preview lists exactly the gains and losses of every principal holding
// the role (token, team, the team's member, a member through a composing role), stores
// nothing, hides what the caller may not read and says when saving would be refused.
func TestRolePreview(t *testing.T) {
	h := start(t)
	prod := h.stack("web", "prod", nil)
	dev := h.stack("web", "dev", nil)
	role := h.grantRole("deployer", authz.GrantSpec{Scopes: []string{"stack:read"}})
	tokID, _ := h.token("ci", role.ID)
	h.team("platform", role.ID)
	h.member("alice", "member", "")
	h.teamMember("platform", "add", "alice")

	preview := func(token, roleID string, details []byte) apitype.RolePreviewResponse {
		t.Helper()
		var out apitype.RolePreviewResponse
		h.must(200, "POST", "/api/orgs/acme/roles/"+roleID+"/preview", token, apitype.RolePreviewRequest{Details: details}).decode(t, &out)
		return out
	}
	type change struct{ who, entity, gained, lost string }
	changes := func(r apitype.RolePreviewResponse) []change {
		var out []change
		for _, c := range r.Changes {
			out = append(out, change{c.PrincipalType + " " + c.PrincipalName, c.Entity.Kind + " " + c.Entity.Project + "/" + c.Entity.Name,
				strings.Join(c.Gained, ","), strings.Join(c.Lost, ",")})
		}
		return out
	}

	// stack:read everywhere → stack:read on dev only, plus stack:delete on prod.
	next := buildDetails(t,
		authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(dev.ID)},
		authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: stackRefs(prod.ID)})
	got := preview(h.admin(), role.ID, next)
	want := []change{
		{"team platform", "stack web/prod", "stack:delete", ""},
		{"token ci", "stack web/prod", "stack:delete", ""},
		{"user alice", "stack web/prod", "stack:delete", ""},
	}
	if !slices.Equal(changes(got), want) || got.Refused != "" || got.Principals != 3 || got.EntitiesScanned != 2 {
		t.Errorf("preview:\n got %+v\n %+v\nwant %+v", changes(got), got, want)
	}

	// Dropping stack:read: every holder loses it on both stacks, except alice, who keeps it
	// through her own role (member holds stack:read? the built-in member role decides).
	none := []byte(`{"__type":"PermissionDescriptorGroup","entries":[]}`)
	got = preview(h.admin(), role.ID, none)
	for _, c := range got.Changes {
		if len(c.Gained) != 0 || !slices.Equal(c.Lost, []string{"stack:read"}) {
			t.Errorf("empty role: unexpected change %+v", c)
		}
	}
	lost := map[string]int{}
	for _, c := range got.Changes {
		lost[c.PrincipalType+" "+c.PrincipalName]++
	}
	if lost["token ci"] != 2 || lost["team platform"] != 2 {
		t.Errorf("empty role: losses %v, want the token and the team to lose stack:read on 2 stacks", lost)
	}
	// The token's own answer agrees with the access check today (nothing was stored).
	var check apitype.AccessCheckResponse
	h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: tokID, Action: "stack:delete", Entity: apitype.EntityRef{Kind: "stack", ID: prod.ID}},
	}}).decode(t, &check)
	if check.Results[0].Allowed {
		t.Errorf("the preview stored the role: the token may delete prod")
	}

	// A role whose grants all name their stacks: only those stacks are compared (qa is not).
	h.stack("web", "qa", nil)
	pinned := h.grantRole("pinned", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(prod.ID)})
	h.token("pinned-ci", pinned.ID)
	got = preview(h.admin(), pinned.ID, buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(dev.ID, "gone-stack")}))
	if c := changes(got); !slices.Equal(c, []change{
		{"token pinned-ci", "stack web/dev", "stack:read", ""},
		{"token pinned-ci", "stack web/prod", "", "stack:read"},
	}) || got.EntitiesScanned != 2 {
		t.Errorf("pinned preview (scanned %d of 3 stacks): %+v", got.EntitiesScanned, c)
	}

	// A set composed by a role: previewing the set shows the role's holders' changes.
	set := h.role("readers", apitype.UXPurposeSet, "stack", buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}}))
	composer := h.role("composer", apitype.UXPurposeRole, "", []byte(`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["`+set.ID+`"]}`))
	h.token("composed", composer.ID)
	got = preview(h.admin(), set.ID, buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read", "stack:export"}}))
	if len(got.Roles) != 1 || got.Roles[0].ID != composer.ID {
		t.Errorf("set preview roles: %+v", got.Roles)
	}
	if c := changes(got); len(c) != 3 || c[0].who != "token composed" || c[0].gained != "stack:export" {
		t.Errorf("set preview: %+v", c)
	}

	// A caller with role:read only: no principal is listed (it may not read tokens, members,
	// teams), and saving would be refused (it cannot grant stack:delete).
	_, viewer := h.scopedToken("viewer", authz.GrantSpec{Scopes: []string{"role:read"}})
	got = preview(viewer, role.ID, next)
	if len(got.Changes) != 0 || got.HiddenPrinc != 3 || got.HiddenEntities != 3 || got.Refused == "" {
		t.Errorf("viewer preview: %+v", got)
	}
	// Built-in records cannot be changed.
	if got := preview(h.admin(), h.builtin("stack-read"), next); !strings.Contains(got.Refused, "built-in") {
		t.Errorf("built-in preview: refused %q", got.Refused)
	}

	// Bad input names the field.
	huge := func(n int) []byte {
		return []byte(`{"__type":"PermissionDescriptorGroup","entries":[` + strings.Repeat(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]},`, n) + `{"__type":"PermissionDescriptorGroup","entries":[]}]}`)
	}
	for _, bad := range []struct {
		name string
		body any
		want int
		says string
	}{
		{"no details", apitype.RolePreviewRequest{}, 400, "details"},
		{"a typo in a scope", apitype.RolePreviewRequest{Details: []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:reed"]}`)}, 400, "stack:read"},
		{"a typo in a field", map[string]any{"detials": json.RawMessage(`{}`)}, 400, "detials"},
		{"an unknown set", apitype.RolePreviewRequest{Details: []byte(`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["no-such-set"]}`)}, 400, "no-such-set"},
		{"details past the size limit", apitype.RolePreviewRequest{Details: huge(20_000)}, 400, "details"},
		{"a body past the request limit", apitype.RolePreviewRequest{Details: huge(40_000)}, 413, "larger than"},
	} {
		r := h.do("POST", "/api/orgs/acme/roles/"+role.ID+"/preview", h.admin(), bad.body)
		if r.status != bad.want {
			t.Errorf("%s: %d, want %d: %.300s", bad.name, r.status, bad.want, r.body)
		} else if e := r.errorBody(t); !strings.Contains(e.Message, bad.says) {
			t.Errorf("%s: %q does not say %q", bad.name, e.Message, bad.says)
		}
	}
	h.must(404, "POST", "/api/orgs/acme/roles/nope/preview", h.admin(), apitype.RolePreviewRequest{Details: none})
	_, nobody := h.scopedToken("nobody", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.must(403, "POST", "/api/orgs/acme/roles/"+role.ID+"/preview", nobody, apitype.RolePreviewRequest{Details: none})
}

// TestScopeUsage: authorized requests are counted per scope; the usage answer says held vs.
// used, and the suggested role keeps only used scopes, within what the token holds (pinned
// entities stay pinned), exported as YAML and HCL.
func TestScopeUsage(t *testing.T) {
	h := start(t)
	prod := h.stack("web", "prod", nil)
	h.stack("web", "dev", nil)
	id, value := h.scopedToken("ci",
		authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: stackRefs(prod.ID)},
		authz.GrantSpec{Scopes: []string{"role:read", "audit_logs:read"}})
	for range 3 {
		h.must(200, "GET", "/api/stacks/acme/web/prod", value, nil)
	}
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", value, nil)
	h.must(403, "GET", "/api/stacks/acme/web/dev", value, nil) // denied: not counted
	h.ts.API.Housekeep(ctx(t))

	var got apitype.ScopeUsageResponse
	h.must(200, "GET", "/api/orgs/acme/usage?principal="+id+"&days=7", h.admin(), nil).decode(t, &got)
	used := map[string]int64{}
	for _, u := range got.Used {
		used[u.Scope] = u.Count
	}
	if want := map[string]int64{"stack:read": 3, "role:read": 1}; fmt.Sprint(used) != fmt.Sprint(want) {
		t.Errorf("used %v, want %v", used, want)
	}
	if held := slices.Sorted(slices.Values(got.Held)); !slices.Equal(held, []string{"audit_logs:read", "role:read", "stack:delete", "stack:read"}) {
		t.Errorf("held %v", got.Held)
	}
	if !slices.Contains(got.Unused, "stack:delete") || !slices.Contains(got.Unused, "audit_logs:read") || slices.Contains(got.Unused, "stack:read") {
		t.Errorf("unused %v", got.Unused)
	}
	// The suggestion: stack:read on prod only, role:read org-wide; nothing else.
	node, err := authz.Parse(got.Suggested.Details)
	if err != nil {
		t.Fatalf("suggested details: %v\n%s", err, got.Suggested.Details)
	}
	ix := authz.MustCompile(node, nil)
	target := func(e apitype.Stack) authz.Entity { return authz.Entity{Kind: authz.KindStack, ID: e.ID} }
	for _, c := range []struct {
		scope string
		e     authz.Entity
		want  authz.Decision
	}{
		{"stack:read", target(prod), authz.Allowed},
		{"stack:read", authz.Entity{Kind: authz.KindStack, ID: "other"}, authz.Denied},
		{"stack:delete", target(prod), authz.Denied},
		{"role:read", authz.OrgEntity, authz.Allowed},
		{"audit_logs:read", authz.OrgEntity, authz.Denied},
	} {
		if d, _ := ix.DecideName(c.scope, c.e); d != c.want {
			t.Errorf("suggested role: %s on %v = %v, want %v", c.scope, c.e, d, c.want)
		}
	}
	for _, text := range []string{got.Suggested.PulumiYAML, got.Suggested.Terraform} {
		if !strings.Contains(text, "least-privilege-") || !strings.Contains(text, "stack:read") || strings.Contains(text, "stack:delete") {
			t.Errorf("export:\n%s", text)
		}
	}
	// The suggested role can be created by the same admin (valid, within the guard).
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{Name: "narrowed", UXPurpose: apitype.UXPurposeRole, Details: got.Suggested.Details})

	// Bad input and permissions.
	for _, bad := range []struct{ query, field string }{
		{"", "principal"},
		{"principal=" + id + "&days=0", "days"},
		{"principal=" + id + "&days=401", "days"},
		{"principal=" + id + "&days=x", "days"},
	} {
		r := h.must(400, "GET", "/api/orgs/acme/usage?"+bad.query, h.admin(), nil)
		if e := r.errorBody(t); len(e.Errors) == 0 || e.Errors[0].Attribute != bad.field {
			t.Errorf("%q: %s, want the error to name %s", bad.query, r, bad.field)
		}
	}
	h.must(404, "GET", "/api/orgs/acme/usage?principal=nope", h.admin(), nil)
	h.must(404, "GET", "/api/orgs/acme/usage?principal=team:nope", h.admin(), nil)
	h.must(403, "GET", "/api/orgs/acme/usage?principal="+id, value, nil) // no org_token:read
	_, tokReader := h.scopedToken("tok-reader", authz.GrantSpec{Scopes: []string{"org_token:read"}})
	h.must(200, "GET", "/api/orgs/acme/usage?principal="+id, tokReader, nil)
	h.must(403, "GET", "/api/orgs/acme/usage?principal=user:alice", tokReader, nil) // needs org_member_access:read

	// A scope a handler checks itself counts too: asking about another token needs
	// org_token:read beside the route's role:read.
	checkerID, checker := h.scopedToken("checker", authz.GrantSpec{Scopes: []string{"role:read", "org_token:read", "audit_logs:read"}})
	h.must(200, "POST", "/api/orgs/acme/access/check", checker, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Principal: id, Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: prod.ID}},
	}})
	h.ts.API.Housekeep(ctx(t))
	var checkerUsage apitype.ScopeUsageResponse
	h.must(200, "GET", "/api/orgs/acme/usage?principal="+checkerID, h.admin(), nil).decode(t, &checkerUsage)
	if !slices.Equal(checkerUsage.Unused, []string{"audit_logs:read"}) || len(checkerUsage.Used) != 2 {
		t.Errorf("checker: used %+v, unused %v; want role:read and org_token:read used", checkerUsage.Used, checkerUsage.Unused)
	}
}

// TestConsoleAssets: the server serves the embedded console at /ui with its security headers
// and no cookie (server/ui's tests check the files themselves).
func TestConsoleAssets(t *testing.T) {
	h := start(t)
	for _, path := range []string{"/ui/", "/ui/app.js", "/ui/app.css"} {
		resp, err := http.Get(h.ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || len(body) == 0 {
			t.Fatalf("GET %s: %d", path, resp.StatusCode)
		}
		for k, want := range map[string]string{
			"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer",
		} {
			if got := resp.Header.Get(k); got != want {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, want)
			}
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, d := range []string{"default-src 'none'", "script-src 'self'", "frame-ancestors 'none'", "connect-src 'self'"} {
			if !strings.Contains(csp, d) {
				t.Errorf("GET %s: CSP %q lacks %q", path, csp, d)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("GET %s: CSP allows inline code: %q", path, csp)
		}
		if resp.Header.Get("Set-Cookie") != "" {
			t.Errorf("GET %s sets a cookie", path)
		}
	}
	resp, err := http.Get(h.ts.URL + "/ui")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Request.URL.Path != "/ui/" {
		t.Errorf("/ui led to %s, want /ui/", resp.Request.URL.Path)
	}
	h.must(404, "GET", "/ui/nothing-here.js", "", nil)
}

// TestScopeUsageConcurrent: requests counted while housekeeping flushes concurrently lose no
// count and count none twice.
func TestScopeUsageConcurrent(t *testing.T) {
	h := start(t)
	prod := h.stack("web", "prod", nil)
	id, value := h.scopedToken("ci", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(prod.ID)})
	const workers, each = 8, 25
	var wg sync.WaitGroup
	stop, stopped := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			select {
			case <-stop:
				return
			default:
				h.ts.API.Housekeep(ctx(t))
			}
		}
	}()
	for range workers {
		wg.Go(func() {
			for range each {
				if r := h.do("GET", "/api/stacks/acme/web/prod", value, nil); r.status != 200 {
					t.Errorf("read: %s", r)
				}
			}
		})
	}
	wg.Wait()
	close(stop)
	<-stopped
	h.ts.API.Housekeep(ctx(t))
	var got apitype.ScopeUsageResponse
	h.must(200, "GET", "/api/orgs/acme/usage?principal="+id, h.admin(), nil).decode(t, &got)
	if len(got.Used) != 1 || got.Used[0].Count != workers*each {
		t.Errorf("used %+v, want stack:read × %d", got.Used, workers*each)
	}
}
