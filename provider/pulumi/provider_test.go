package pulumi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

func TestSchema(t *testing.T) {
	e := setup(t)
	resp, err := e.s.GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Name     string
		Language map[string]map[string]any
		Config   struct {
			Variables map[string]struct{ Secret bool }
		}
		Resources map[string]struct {
			InputProperties map[string]struct{ ReplaceOnChanges bool }
			Properties      map[string]struct{ Secret bool }
		}
		Functions map[string]json.RawMessage
		Types     map[string]json.RawMessage
	}
	if err := json.Unmarshal([]byte(resp.Schema), &spec); err != nil {
		t.Fatal(err)
	}
	keys := func(m any) []string {
		var out []string
		b, _ := json.Marshal(m)
		var x map[string]json.RawMessage
		_ = json.Unmarshal(b, &x)
		for k := range x {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	for _, c := range []struct {
		what string
		got  []string
		want []string
	}{
		{"resources", keys(spec.Resources), []string{iampulumi.AuthPolicyType, iampulumi.CustomRoleType, iampulumi.GuardrailType, iampulumi.OidcIssuerType, iampulumi.OrganizationAccessTokenType, iampulumi.OrganizationMemberType,
			iampulumi.PermissionType, iampulumi.PolicyType, iampulumi.TeamType, iampulumi.TeamAccessTokenType, iampulumi.TeamRoleAssignmentType}},
		{"functions", keys(spec.Functions), []string{iampulumi.CheckAccessFunction, iampulumi.GetCustomRoleFunction, iampulumi.GetPermissionFunction, iampulumi.GetScopesFunction, iampulumi.WhoCanFunction}},
		{"types", keys(spec.Types), []string{"iam:index:AuthPolicyDefinition", "iam:index:Grant", "iam:index:Scope", "iam:index:WhoCanPrincipal"}},
		{"config", keys(spec.Config.Variables), []string{"accessToken", "apiUrl", "insecure", "maxRetries", "organization", "requestTimeout"}},
	} {
		if !slices.Equal(c.got, c.want) {
			t.Errorf("%s: %v, want %v", c.what, c.got, c.want)
		}
	}
	if spec.Name != "iam" || !spec.Config.Variables["accessToken"].Secret || !spec.Resources[iampulumi.OrganizationAccessTokenType].Properties["value"].Secret {
		t.Errorf("name %q, secrets %+v", spec.Name, spec.Config.Variables)
	}
	if !spec.Resources[iampulumi.PermissionType].InputProperties["organization"].ReplaceOnChanges ||
		spec.Resources[iampulumi.OrganizationAccessTokenType].InputProperties["rotateBefore"].ReplaceOnChanges ||
		!spec.Resources[iampulumi.OrganizationAccessTokenType].InputProperties["name"].ReplaceOnChanges {
		t.Error("replaceOnChanges flags")
	}
	if spec.Language["go"]["importBasePath"] != "github.com/iamref/iam/sdk/go/iam" || spec.Language["nodejs"]["packageName"] != "@iamref/iam" ||
		spec.Language["python"]["packageName"] != "iamref_iam" {
		t.Errorf("language: %v", spec.Language)
	}
}

func TestImport(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	perm, err := e.srv.Client.CreateRole(ctx, e.srv.Org, apitype.CreateRoleRequest{Name: "by-hand-set", UXPurpose: apitype.UXPurposeSet, ResourceType: "stack",
		Details: []byte(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:delete"]}`)})
	if err != nil {
		t.Fatal(err)
	}
	role, err := e.srv.Client.CreateRole(ctx, e.srv.Org, apitype.CreateRoleRequest{Name: "by-hand", Description: "made in the console", UXPurpose: apitype.UXPurposeRole,
		Details: []byte(`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`)})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.srv.Client.CreateToken(ctx, e.srv.Org, apitype.CreateOrgTokenRequest{Name: "by-hand", Description: "d", RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}

	// imported reads a resource by "{org}/{id}" alone, then checks that the imported inputs
	// show no diff against the state (what `pulumi import` requires).
	imported := func(s interface {
		Read(p.ReadRequest) (p.ReadResponse, error)
		Check(p.CheckRequest) (p.CheckResponse, error)
		Diff(p.DiffRequest) (p.DiffResponse, error)
	}, typ, id string) p.ReadResponse {
		t.Helper()
		r, err := s.Read(p.ReadRequest{Urn: urn(typ, "imp"), ID: e.srv.Org + "/" + id})
		if err != nil || r.ID != e.srv.Org+"/"+id {
			t.Fatalf("import %s: %v %q", typ, err, r.ID)
		}
		c, err := s.Check(p.CheckRequest{Urn: urn(typ, "imp"), Inputs: r.Inputs})
		if err != nil || len(c.Failures) > 0 {
			t.Fatalf("check imported %s: %v %+v", typ, err, c.Failures)
		}
		d, err := s.Diff(p.DiffRequest{Urn: urn(typ, "imp"), ID: r.ID, State: r.Properties, OldInputs: r.Inputs, Inputs: c.Inputs})
		if err != nil || d.HasChanges {
			t.Fatalf("imported %s differs from its state: %v %+v", typ, err, d)
		}
		return r
	}

	r := imported(e.s, iampulumi.PermissionType, perm.ID)
	if r.Inputs.Get("name").AsString() != "by-hand-set" || strings.Join(strs(r.Inputs.Get("scopes")), ",") != "stack:delete,stack:read" || has(r.Inputs, "organization") {
		t.Errorf("imported permission inputs %v", r.Inputs)
	}
	r = imported(e.s, iampulumi.CustomRoleType, role.ID)
	if r.Inputs.Get("description").AsString() != "made in the console" || !strings.Contains(fmt.Sprint(r.Inputs.Get("grants")), "audit_logs:read") || has(r.Inputs, "organization") {
		t.Errorf("imported role inputs %v", r.Inputs)
	}
	r = imported(e.s, iampulumi.OrganizationAccessTokenType, tok.ID)
	if r.Inputs.Get("roleId").AsString() != role.ID || r.Properties.Get("tokenId").AsString() != tok.ID || has(r.Inputs, "organization") {
		t.Errorf("imported token %v %v", r.Inputs, r.Properties)
	}

	// Without iam:organization, the imported organization becomes an input.
	other := newServer(t, config(e.srv, ""))
	r = imported(other, iampulumi.CustomRoleType, role.ID)
	if r.Inputs.Get("organization").AsString() != e.srv.Org {
		t.Errorf("imported organization %v", r.Inputs)
	}
	if _, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.CustomRoleType, "imp"), ID: "acme/x/y"}); err == nil {
		t.Error("a malformed ID was accepted")
	}
}

// Changing the token or URL updates the provider in place; another organization replaces it.
func TestDiffConfig(t *testing.T) {
	e := setup(t)
	olds := config(e.srv, "acme")
	d, err := e.s.DiffConfig(p.DiffRequest{Urn: urn("pulumi:providers:iam", "default"), OldInputs: olds, State: olds,
		Inputs: olds.Set("accessToken", property.New("pul-other").WithSecret(true)).Set("apiUrl", property.New("http://localhost:1"))})
	if err != nil || d.DetailedDiff["accessToken"].Kind != p.Update || d.DetailedDiff["apiUrl"].Kind != p.Update {
		t.Fatalf("token change: %v %+v", err, d)
	}
	d, err = e.s.DiffConfig(p.DiffRequest{Urn: urn("pulumi:providers:iam", "default"), OldInputs: olds, State: olds, Inputs: olds.Set("organization", property.New("other"))})
	if err != nil || d.DetailedDiff["organization"].Kind != p.UpdateReplace {
		t.Fatalf("organization change: %v %+v", err, d)
	}
	d, err = e.s.DiffConfig(p.DiffRequest{Urn: urn("pulumi:providers:iam", "default"), OldInputs: olds, State: olds, Inputs: olds})
	if err != nil || d.HasChanges {
		t.Fatalf("no change: %v %+v", err, d)
	}
}

func TestGetScopes(t *testing.T) {
	e := setup(t)
	resp, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.GetScopesFunction, Args: obj(map[string]any{"entityType": "stack"})})
	if err != nil || len(resp.Failures) > 0 {
		t.Fatal(err, resp.Failures)
	}
	var names []string
	for _, s := range resp.Return.Get("scopes").AsArray().All {
		m := s.AsMap()
		if m.Get("entityType").AsString() != "stack" || m.Get("description").AsString() == "" || m.Get("group").AsString() == "" {
			t.Errorf("scope %v", m)
		}
		names = append(names, m.Get("name").AsString())
	}
	if !slices.Contains(names, "stack:delete") || slices.Contains(names, "environment:open") {
		t.Fatalf("stack scopes %v", names)
	}
	all, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.GetScopesFunction, Args: property.Map{}})
	if err != nil || all.Return.Get("scopes").AsArray().Len() <= len(names) {
		t.Fatalf("all scopes: %v", err)
	}
	if _, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.GetScopesFunction, Args: obj(map[string]any{"entityType": "stak"})}); err == nil {
		t.Fatal("an unknown entity type was accepted")
	}
}

// checkAccess gives the server's answer (its access-check endpoint, for a token with the role).
// TestLookupFunctions finds a Permission and a CustomRole by name (IDs, scopes, tree, named
// grants), built-in ones by identifier, and fails for a name that does not exist, saying so in
// the Pulumi spelling.
func TestLookupFunctions(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	_, _, role := e.create(iampulumi.CustomRoleType, obj(map[string]any{
		"name":        "deployer",
		"description": "Deploys myapp/prod.",
		"grants": []any{
			map[string]any{"permissions": []string{perm, "stack-read"}, "stacks": []string{"myapp/prod"}},
			map[string]any{"scopes": []string{"environment:open"}, "environments": []string{"myapp/prod"}},
		},
	}))
	invoke := func(token string, args map[string]any) (property.Map, error) {
		resp, err := e.s.Invoke(p.InvokeRequest{Token: tokens.Type(token), Args: obj(args)})
		if err == nil && len(resp.Failures) > 0 {
			err = fmt.Errorf("failures: %+v", resp.Failures)
		}
		return resp.Return, err
	}

	got, err := invoke(iampulumi.GetCustomRoleFunction, map[string]any{"name": "deployer"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("roleId").AsString() != role.Get("roleId").AsString() || got.Get("details").AsString() != role.Get("details").AsString() ||
		got.Get("description").AsString() != "Deploys myapp/prod." || got.Get("version").AsNumber() != 1 {
		t.Errorf("getCustomRole: %v", got)
	}
	grants := got.Get("grants").AsArray()
	if grants.Len() != 2 {
		t.Fatalf("getCustomRole grants: %v", grants)
	}
	g0 := grants.Get(0).AsMap()
	if perms := g0.Get("permissions").AsArray(); perms.Len() != 2 || !slices.Contains([]string{perms.Get(0).AsString(), perms.Get(1).AsString()}, perm) ||
		g0.Get("stacks").AsArray().Get(0).AsString() != "myapp/prod" {
		t.Errorf("getCustomRole grants[0]: %v", g0)
	}

	got, err = invoke(iampulumi.GetPermissionFunction, map[string]any{"name": "deleters"})
	if err != nil {
		t.Fatal(err)
	}
	if got.Get("permissionId").AsString() != perm || got.Get("scopes").AsArray().Len() == 0 {
		t.Errorf("getPermission: %v", got)
	}
	for _, c := range []struct{ token, name string }{{iampulumi.GetPermissionFunction, "stack-read"}, {iampulumi.GetCustomRoleFunction, "member"}} {
		got, err := invoke(c.token, map[string]any{"name": c.name})
		id := got.Get("permissionId")
		if c.token == iampulumi.GetCustomRoleFunction {
			id = got.Get("roleId")
		}
		if err != nil || len(id.AsString()) != 36 {
			t.Errorf("%s %q: %v %v", c.token, c.name, got, err)
		}
	}

	_, err = invoke(iampulumi.GetPermissionFunction, map[string]any{"name": "nope"})
	if err == nil || !strings.Contains(err.Error(), `name: no permission named "nope" in organization acme (there are: "Account Admin" (insights-account-admin)`) {
		t.Errorf("getPermission of a missing name: %v", err)
	}
	_, err = invoke(iampulumi.GetCustomRoleFunction, map[string]any{"name": "Deployer"})
	if err == nil || !strings.Contains(err.Error(), `did you mean "deployer"?`) {
		t.Errorf("getCustomRole with the wrong case: %v", err)
	}
}

func TestCheckAccessAgreesWithServer(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	_, _, role := e.create(iampulumi.CustomRoleType, obj(map[string]any{
		"name": "deployer",
		"grants": []any{
			map[string]any{"permissions": []string{perm, "stack-read"}, "stacks": []string{"myapp/prod"}},
			map[string]any{"scopes": []string{"environment:open"}, "environments": []string{"myapp/prod"}},
			map[string]any{"scopes": []string{"audit_logs:read"}},
		},
	}))
	roleID := role.Get("roleId").AsString()
	tok, err := e.srv.Client.CreateToken(context.Background(), e.srv.Org, apitype.CreateOrgTokenRequest{Name: "probe", RoleID: roleID})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		action, kind, project, name string
	}{
		{"stack:delete", "stack", "myapp", "prod"},
		{"stack:delete", "stack", "myapp", "dev"},
		{"stack:read", "stack", "myapp", "prod"},
		{"stack:write", "stack", "myapp", "prod"},
		{"environment:open", "environment", "myapp", "prod"},
		{"audit_logs:read", "org", "", ""},
		{"role:read", "org", "", ""},
	}
	allowed := 0
	for _, c := range cases {
		args := map[string]any{"roleId": roleID, "action": c.action}
		switch c.kind {
		case "stack":
			args["stack"] = c.project + "/" + c.name
		case "environment":
			args["environment"] = c.project + "/" + c.name
		}
		theirs, err := e.srv.Client.CheckAccess(context.Background(), e.srv.Org, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
			{Principal: tok.ID, Action: c.action, Entity: apitype.EntityRef{Kind: c.kind, Project: c.project, Name: c.name}}}})
		if err != nil || theirs.Results[0].Error != "" {
			t.Fatalf("server check %+v: %v %+v", c, err, theirs)
		}
		// By role ID, and by the role's details: the same answer.
		for _, in := range []map[string]any{args, withDetails(args, role.Get("details").AsString())} {
			resp, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.CheckAccessFunction, Args: obj(in)})
			if err != nil || len(resp.Failures) > 0 {
				t.Fatalf("checkAccess %v: %v %+v", in, err, resp.Failures)
			}
			if got := resp.Return.Get("allowed").AsBool(); got != theirs.Results[0].Allowed {
				t.Errorf("%s on %s/%s: checkAccess %v, server %v", c.action, c.project, c.name, got, theirs.Results[0].Allowed)
			}
			if !resp.Return.Get("reasons").IsArray() {
				t.Errorf("reasons %v", resp.Return)
			}
		}
		if theirs.Results[0].Allowed {
			allowed++
		}
	}
	if allowed == 0 || allowed == len(cases) {
		t.Fatalf("%d of %d allowed: the cases do not discriminate", allowed, len(cases))
	}
	if _, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.CheckAccessFunction, Args: obj(map[string]any{"roleId": roleID, "action": "stack:delet", "stack": "myapp/prod"})}); err == nil ||
		!strings.Contains(err.Error(), `did you mean "stack:delete"`) {
		t.Fatalf("typo'd action: %v", err)
	}
}

func has(m property.Map, k string) bool {
	_, ok := m.GetOk(k)
	return ok
}

func withDetails(args map[string]any, details string) map[string]any {
	out := map[string]any{"details": details}
	for k, v := range args {
		if k != "roleId" {
			out[k] = v
		}
	}
	return out
}

// Errors name settings the Pulumi way (iam:apiUrl), whatever mapping calls them.
func TestErrorsNameSettings(t *testing.T) {
	clearEnv(t)
	prov, err := iampulumi.Provider()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(t.Context(), iampulumi.Name, semver.MustParse("0.1.0"), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	err = s.Configure(p.ConfigureRequest{Args: property.NewMap(map[string]property.Value{"apiUrl": property.New("ftp://x")})})
	if err == nil || !strings.Contains(err.Error(), `iam:apiUrl "ftp://x" must be an http:// or https:// URL`) {
		t.Fatalf("bad apiUrl: %v", err)
	}
}
