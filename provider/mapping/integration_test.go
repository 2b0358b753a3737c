package mapping_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/provider/mapping"
)

func setup(t *testing.T) (*testserver.Server, *mapping.Provider) {
	t.Helper()
	srv := testserver.Start(t)
	srv.SeedExample(t, "prod", "dev", "staging")
	p, err := mapping.New(mapping.Config{APIURL: srv.URL, AccessToken: srv.AdminToken, Organization: srv.Org}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return srv, p
}

func TestRoleLifecycle(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	perm, err := p.CreatePermission(ctx, mapping.PermissionArgs{Name: "deleters", Scopes: []string{"stack:delete", "stack:read", "stack:delete"}})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(perm.Scopes, []string{"stack:delete", "stack:read"}) || perm.ResourceType != "stack" {
		t.Fatalf("permission state %+v", perm)
	}
	args := mapping.CustomRoleArgs{Name: "deployer", Grants: []mapping.Grant{
		{Permissions: []string{perm.PermissionID, "stack-write"}, Refs: authz.Refs{Stacks: []string{"myapp/prod"}}},
		{Scopes: []string{"environment:open"}, Refs: authz.Refs{Environments: []string{"myapp/prod"}}},
	}}
	role, err := p.CreateRole(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	if role.Version != 1 || !strings.Contains(role.CanonicalDetails, "PermissionDescriptorCompose") {
		t.Fatalf("role state %+v", role)
	}
	// Unchanged inputs: no change, and Read keeps the inputs as given.
	if u, r, err := p.RoleChanges(ctx, role, args); err != nil || len(u)+len(r) != 0 {
		t.Fatalf("unchanged inputs show changes %v %v", u, r)
	}
	read, found, err := p.ReadRole(ctx, "", role.RoleID, &args)
	if err != nil || !found || len(read.Grants) != 2 || read.Grants[0].Permissions[0] != perm.PermissionID {
		t.Fatalf("read: %+v %v %v", read, found, err)
	}
	// Update in place.
	args.Grants[0].Stacks = []string{"myapp/prod", "myapp/staging"}
	if u, _, _ := p.RoleChanges(ctx, read, args); !slices.Contains(u, "grants") {
		t.Fatalf("a new stack is not a change: %v", u)
	}
	upd, err := p.UpdateRole(ctx, read, args)
	if err != nil || upd.Version != 2 {
		t.Fatalf("update: %+v %v", upd, err)
	}
	// Out-of-band change: drift shows on read, as named grants.
	details := `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["audit_logs:read"]}]}`
	if _, err := srv.Client.UpdateRole(ctx, srv.Org, upd.RoleID, apitype.UpdateRoleRequest{Details: []byte(details)}); err != nil {
		t.Fatal(err)
	}
	drifted, _, err := p.ReadRole(ctx, "", upd.RoleID, &args)
	if err != nil || len(drifted.Grants) != 1 || drifted.Grants[0].Scopes[0] != "audit_logs:read" || drifted.Version != 3 {
		t.Fatalf("drift: %+v %v", drifted, err)
	}
	if u, _, _ := p.RoleChanges(ctx, drifted, args); !slices.Contains(u, "grants") {
		t.Fatal("drift is not a change")
	}
	// A stale version is refused with advice.
	if _, err := p.UpdateRole(ctx, upd, args); err == nil || !strings.Contains(err.Error(), "refresh") {
		t.Fatalf("stale update: %v", err)
	}
	restored, err := p.UpdateRole(ctx, drifted, args)
	if err != nil {
		t.Fatal(err)
	}
	// Import: no prior inputs; grants come back with names and built-in identifiers.
	imp, found, err := p.ReadRole(ctx, "", restored.RoleID, nil)
	if err != nil || !found {
		t.Fatal(err)
	}
	if len(imp.Grants) != 2 || !slices.Equal(imp.Grants[0].Stacks, []string{"myapp/prod", "myapp/staging"}) || !slices.Contains(imp.Grants[0].Permissions, "stack-write") {
		t.Fatalf("import grants %+v", imp.Grants)
	}
	if u, _, _ := p.RoleChanges(ctx, imp, imp.CustomRoleArgs); len(u) != 0 {
		t.Fatalf("imported inputs do not reproduce the role: %v", u)
	}
	// The role is used by a token: delete is refused and names it.
	tok, err := p.CreateToken(ctx, mapping.TokenArgs{Name: "ci", RoleID: role.RoleID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteRole(ctx, restored); err == nil || !strings.Contains(err.Error(), `"ci"`) || strings.Contains(err.Error(), "already exists") {
		t.Fatalf("delete of a used role: %v", err)
	}
	// The permission is still granted by the role: delete is refused, naming the role and the
	// fix, and not with the client's rendering of the 409's field error ("(roleID already
	// exists)").
	err = p.DeletePermission(ctx, perm)
	want := fmt.Sprintf(`delete permission "deleters": it is still granted by role "deployer" (%s): remove it from their grants first, or delete after update`, role.RoleID)
	if err == nil || err.Error() != want {
		t.Fatalf("delete of a granted permission:\n got %v\nwant %s", err, want)
	}
	if err := p.DeleteToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteRole(ctx, restored); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := p.ReadRole(ctx, "", restored.RoleID, &args); found {
		t.Fatal("deleted role still found")
	}
	if err := p.DeletePermission(ctx, perm); err != nil {
		t.Fatal(err)
	}
	if err := p.DeleteRole(ctx, restored); err != nil {
		t.Fatalf("deleting twice must be fine: %v", err)
	}
}

func TestRoleErrors(t *testing.T) {
	_, p := setup(t)
	ctx := context.Background()
	_, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: "r", Grants: []mapping.Grant{{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{"myapp/nope"}}}}})
	if err == nil || !strings.Contains(err.Error(), `stack "myapp/nope" does not exist`) {
		t.Fatalf("missing stack: %v", err)
	}
	if !errors.Is(err, mapping.ErrNoEntity) {
		t.Fatalf("a missing stack is not ErrNoEntity: %v", err)
	}
	noToken, _ := mapping.New(mapping.Config{APIURL: p.Config().APIURL, Organization: "acme"}, nil)
	if _, err := noToken.CreatePermission(ctx, mapping.PermissionArgs{Name: "x", Scopes: []string{"stack:read"}}); !errors.Is(err, mapping.ErrNoToken) {
		t.Fatalf("no token: %v", err)
	}

	// A failed lookup is an error, never a change or drift.
	args := mapping.CustomRoleArgs{Name: "r", Grants: []mapping.Grant{{Permissions: []string{"stack-read"}, Refs: authz.Refs{Stacks: []string{"myapp/prod"}}}}}
	role, err := p.CreateRole(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	refused, _ := mapping.New(mapping.Config{APIURL: p.Config().APIURL, AccessToken: "pul-" + strings.Repeat("0", 40), Organization: p.Config().Organization}, nil)
	if u, _, err := refused.RoleChanges(ctx, role, args); err == nil {
		t.Fatalf("a refused lookup reads as changes %v", u)
	}
	// A stack named by the inputs that does not exist is an error at preview/plan (the
	// providers do not create stacks), both when comparing with the server and when checking
	// the entities of a role to be created; names not known yet are left to apply.
	missing := args
	missing.Grants = []mapping.Grant{
		{Permissions: []string{"stack-read"}, Refs: authz.Refs{Stacks: []string{"myapp/prod", "web/qa"}}},
		{Scopes: []string{"environment:open"}, Refs: authz.Refs{Environments: []string{"web/qa", "myapp/prod"}}},
	}
	if u, _, err := p.RoleChanges(ctx, role, missing); !errors.Is(err, mapping.ErrNoEntity) {
		t.Fatalf("inputs naming a stack that does not exist: %v %v", u, err)
	}
	err = p.CheckRoleEntities(ctx, missing, nil)
	var ps mapping.Problems
	if !errors.As(err, &ps) || len(ps) != 2 || ps[0].Path.String() != "grants[0].stacks[1]" || ps[1].Path.String() != "grants[1].environments[0]" {
		t.Fatalf("missing entities: %v", err)
	}
	wantMsg := `stack "web/qa" does not exist in organization acme: stacks are not managed by this provider, so create it first (` +
		"`pulumi stack init`" + `, or register it with the IAM server) or correct the name`
	if got := ps[0].Msg.String(); got != wantMsg {
		t.Errorf("message:\n got %s\nwant %s", got, wantMsg)
	}
	var u mapping.Unknowns
	u.Add(mapping.Root(mapping.FieldGrants).At(0).Dot(mapping.FieldStacks).At(1))
	u.Add(mapping.Root(mapping.FieldGrants).At(1).Dot(mapping.FieldEnvironments))
	if err := p.CheckRoleEntities(ctx, missing, u); err != nil {
		t.Fatalf("names not known yet are checked: %v", err)
	}
	if err := refused.CheckRoleEntities(ctx, args, nil); err == nil || errors.Is(err, mapping.ErrNoEntity) {
		t.Fatalf("a refused lookup: %v", err)
	}
}

func TestTokenLifecycle(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	now := time.Now()
	tok, err := p.CreateToken(ctx, mapping.TokenArgs{Name: "ci-deployer", ExpiresIn: "720h", RotateBefore: "24h"}, now)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(tok.Value, "pul-") || tok.TokenName != "ci-deployer" || tok.ExpiresAt == "" {
		t.Fatalf("token %+v", tok)
	}
	c := srv.NewClient(t, tok.Value)
	if u, err := c.GetCurrentUser(ctx); err != nil || u.TokenInfo.Name != "ci-deployer" {
		t.Fatalf("token does not work: %v", err)
	}
	// Refresh keeps the value; a replacement gets a fresh name because names stay reserved.
	read, found, err := p.ReadToken(ctx, tok)
	if err != nil || !found || read.Value != tok.Value {
		t.Fatalf("read: %+v %v", read, err)
	}
	repl, err := p.CreateToken(ctx, mapping.TokenArgs{Name: "ci-deployer", ExpiresIn: "720h"}, now)
	if err != nil || repl.TokenName != "ci-deployer-2" {
		t.Fatalf("replacement while the old one exists: %+v %v", repl, err)
	}
	if err := p.DeleteToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if _, found, _ := p.ReadToken(ctx, tok); found {
		t.Fatal("deleted token still found")
	}
	if _, err := c.GetCurrentUser(ctx); err == nil {
		t.Fatal("deleted token still works")
	}
	// Import reads the inputs from the server.
	imp, found, err := p.ReadToken(ctx, mapping.TokenState{TokenID: repl.TokenID})
	if err != nil || !found || imp.Name != "ci-deployer-2" || imp.Value != "" || imp.RoleID == "" {
		t.Fatalf("import: %+v %v", imp, err)
	}
}

// CheckAccess in the provider must give the server's answer.
func TestCheckAccessAgreesWithServer(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 4))
	stacks := []string{"myapp/prod", "myapp/dev", "myapp/staging"}
	stackScopes := []string{"stack:read", "stack:write", "stack:delete"}
	perm, err := p.CreatePermission(ctx, mapping.PermissionArgs{Name: "set", Scopes: []string{"stack:delete"}})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 8 {
		var grants []mapping.Grant
		for range 1 + r.IntN(3) {
			g := mapping.Grant{Scopes: []string{stackScopes[r.IntN(3)]}}
			if r.IntN(3) == 0 {
				g.Permissions = []string{perm.PermissionID}
			}
			if r.IntN(4) > 0 {
				g.Stacks = []string{stacks[r.IntN(3)]}
			}
			grants = append(grants, g)
		}
		if r.IntN(3) == 0 {
			grants = append(grants, mapping.Grant{Scopes: []string{"audit_logs:read"}})
		}
		role, err := p.CreateRole(ctx, mapping.CustomRoleArgs{Name: fmt.Sprintf("role-%d", i), Grants: grants})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := p.CreateToken(ctx, mapping.TokenArgs{Name: fmt.Sprintf("tok-%d", i), RoleID: role.RoleID}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		for range 12 {
			action := append(stackScopes, "audit_logs:read", "role:read")[r.IntN(5)]
			args := mapping.CheckAccessArgs{RoleID: role.RoleID, Action: action}
			ref := apitype.EntityRef{Kind: "org"}
			if authz.MustScope(action).Kind == authz.KindStack {
				args.Stack = stacks[r.IntN(3)]
				proj, name, _ := strings.Cut(args.Stack, "/")
				ref = apitype.EntityRef{Kind: "stack", Project: proj, Name: name}
			}
			mine, err := p.CheckAccess(ctx, args)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := srv.Client.CheckAccess(ctx, srv.Org, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{{Principal: tok.TokenID, Action: action, Entity: ref}}})
			if err != nil {
				t.Fatal(err)
			}
			if res := theirs.Results[0]; res.Error != "" || res.Allowed != mine.Allowed {
				t.Fatalf("%s on %s: provider %v, server %+v (grants %+v)", action, args.Stack, mine.Allowed, res, grants)
			}
		}
	}
	if _, err := p.CheckAccess(ctx, mapping.CheckAccessArgs{Details: `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`, Action: "stack:read"}); err == nil || !strings.Contains(err.Error(), "name one") {
		t.Fatalf("missing stack: %v", err)
	}
}
