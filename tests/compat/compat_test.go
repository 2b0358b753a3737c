// Package compat_test checks that iamref is wire-compatible with Pulumi's OFFICIAL Go client,
// github.com/pulumi/pulumi-cloud-sdk/go (apiclient + apitype, generated from Pulumi Cloud's
// OpenAPI spec): every IAM call below goes through that client and its decoders, against the
// real server handler over HTTP. A failure here that is a decoding error means the server's JSON
// deviates from what the official client expects.
package compat_test

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"

	"github.com/pulumi/pulumi-cloud-sdk/go/apiclient"
	papi "github.com/pulumi/pulumi-cloud-sdk/go/apitype"

	ourapi "github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// official returns the official client for the server, authenticating with token the way the
// Pulumi CLI and the pulumiservice provider do ("Authorization: token <value>"). The client
// itself adds "Accept: application/vnd.pulumi+8"; accept overrides it when not empty.
func official(t *testing.T, baseURL, token, accept string) *apiclient.CloudClient {
	t.Helper()
	hc := &http.Client{Timeout: 30 * time.Second}
	return &apiclient.CloudClient{
		BaseURL: baseURL,
		Executor: func(req *http.Request) (*http.Response, error) {
			req.Header.Set("Authorization", "token "+token)
			req.Header.Set("User-Agent", "pulumi-cloud-sdk-compat-test/1")
			if accept != "" {
				req.Header.Set("Accept", accept)
			}
			return hc.Do(req)
		},
	}
}

// status is the HTTP status of an official-client error (0 when it is not an API error).
func status(err error) int {
	var ae *apiclient.APIError
	if errors.As(err, &ae) {
		return ae.HTTPStatusCode()
	}
	return 0
}

var tokenValue = regexp.MustCompile(`^pul-[0-9a-f]{40}$`)

func TestOfficialClient(t *testing.T) {
	srv := testserver.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	org := srv.Org
	admin := official(t, srv.URL, srv.AdminToken, "")
	admin9 := official(t, srv.URL, srv.AdminToken, "application/vnd.pulumi+9") // what the PSP provider and newer CLIs send

	// Entities are not IAM: the stack comes from our client.
	stack, err := srv.Client.CreateStack(ctx, org, "payments", ourapi.CreateStackRequest{StackName: "prod"})
	if err != nil {
		t.Fatalf("create stack (our client): %v", err)
	}
	if stack.ID == "" {
		t.Fatal("create stack: empty ID")
	}

	// 1. A permission set (uxPurpose set) of stack scopes.
	setDetails := papi.PermissionDescriptorAllowBuilder{
		Permissions: papi.RbacPermissionSlice{papi.RbacPermissionStackRead, papi.RbacPermissionStackWrite},
	}.Build()
	set, err := admin.CreateRole(ctx, org, nil, papi.PermissionDescriptorBase{
		Name: "payments-deployers", Description: "read and write stacks", ResourceType: "stack",
		UxPurpose: papi.PermissionDescriptorUXPurposeSet, Details: setDetails,
	})
	if err != nil {
		t.Fatalf("CreateRole(set): %v", err)
	}
	if set.ID == "" || set.OrgID == "" || set.Version != 1 || set.UxPurpose != papi.PermissionDescriptorUXPurposeSet ||
		set.Name != "payments-deployers" || set.ResourceType != "stack" || set.DefaultIdentifier != "" || set.IsOrgDefault {
		t.Fatalf("CreateRole(set) record: %+v", set)
	}
	if set.Created.IsZero() || set.Modified.IsZero() {
		t.Errorf("CreateRole(set): created %v / modified %v should be set", set.Created, set.Modified)
	}
	allow, ok := set.Details.(papi.PermissionDescriptorAllow)
	if !ok {
		t.Fatalf("set details decoded as %T, want PermissionDescriptorAllow", set.Details)
	}
	if got := allow.Permissions(); !slices.Equal(got, papi.RbacPermissionSlice{"stack:read", "stack:write"}) {
		t.Errorf("set permissions = %v", got)
	}

	// 2. A role: Compose(set) under Condition(stack == payments/prod).
	roleDetails := func(composed ...string) papi.PermissionDescriptor {
		return papi.PermissionDescriptorConditionBuilder{
			Condition: papi.PermissionExpressionEqualBuilder{
				Left:  papi.PermissionExpressionStackBuilder{}.Build(),
				Right: papi.PermissionLiteralExpressionStackBuilder{Identity: stack.ID}.Build(),
			}.Build(),
			SubNode: papi.PermissionDescriptorComposeBuilder{PermissionDescriptors: composed}.Build(),
		}.Build()
	}
	role, err := admin.CreateRole(ctx, org, nil, papi.PermissionDescriptorBase{
		Name: "payments-deployer", Description: "deploys payments/prod",
		UxPurpose: papi.PermissionDescriptorUXPurposeRole, Details: roleDetails(set.ID),
	})
	if err != nil {
		t.Fatalf("CreateRole(role): %v", err)
	}
	if role.ID == "" || role.Version != 1 || role.UxPurpose != papi.PermissionDescriptorUXPurposeRole || role.ResourceType != "global" {
		t.Fatalf("CreateRole(role) record: %+v (resourceType should default to global)", role)
	}
	checkRoleDetails(t, "CreateRole", role.Details, stack.ID, set.ID)

	// 3. The scope catalog.
	scopes, err := admin.ListAvailableScopes(ctx, org)
	if err != nil {
		t.Fatalf("ListAvailableScopes: %v", err)
	}
	found := false
	for _, g := range (*scopes)["stack"] {
		for _, sc := range g.Scopes {
			if sc.Name == papi.RbacPermissionStackRead {
				found = true
				if g.Name != papi.RbacScopeGroupNameStacks {
					t.Errorf("stack:read is in group %q, want %q", g.Name, papi.RbacScopeGroupNameStacks)
				}
				if sc.Metadata.Description == "" {
					t.Error("stack:read has no description")
				}
			}
		}
	}
	if !found {
		t.Errorf(`ListAvailableScopes: no stack:read in bucket "stack"; buckets: %v`, keys(*scopes))
	}
	for _, bucket := range []string{"stack", "environment", "insights-account", "global"} {
		if len((*scopes)[bucket]) == 0 {
			t.Errorf("ListAvailableScopes: bucket %q is empty", bucket)
		}
	}
	for bucket, groups := range *scopes {
		for _, g := range groups {
			if !g.Name.IsValid() {
				t.Errorf("ListAvailableScopes: group %q (bucket %s) is not in the official RbacScopeGroupName enum", g.Name, bucket)
			}
		}
	}

	// 4. Listing by uxPurpose, with +9 (the built-ins' details must decode too).
	sets, err := admin9.ListRolesByOrgIDAndUXPurpose(ctx, org, nil, papi.PermissionDescriptorUXPurposeSet)
	if err != nil {
		t.Fatalf("ListRolesByOrgIDAndUXPurpose(set): %v", err)
	}
	if r := find(sets.Roles, set.ID); r == nil {
		t.Errorf("set %s not listed among %d sets", set.ID, len(sets.Roles))
	} else if r.Name != set.Name || r.Details == nil {
		t.Errorf("listed set: %+v", r)
	}
	if r := findDefault(sets.Roles, papi.DefaultIdentifierStackRead); r == nil {
		t.Error(`built-in set "stack-read" not listed`)
	}
	roles, err := admin.ListRolesByOrgIDAndUXPurpose(ctx, org, nil, papi.PermissionDescriptorUXPurposeRole)
	if err != nil {
		t.Fatalf("ListRolesByOrgIDAndUXPurpose(role): %v", err)
	}
	if find(roles.Roles, role.ID) == nil {
		t.Errorf("role %s not listed", role.ID)
	}
	if find(roles.Roles, set.ID) != nil {
		t.Error("the permission set is listed among roles")
	}
	member := findDefault(roles.Roles, papi.DefaultIdentifierMember)
	if member == nil || !member.IsOrgDefault {
		t.Errorf("built-in member role missing or not the org default: %+v", member)
	}
	if findDefault(roles.Roles, papi.DefaultIdentifierAdmin) == nil {
		t.Error("built-in admin role not listed")
	}
	for _, r := range append(sets.Roles, roles.Roles...) {
		if r.DefaultIdentifier != "" && !papi.DefaultIdentifier(r.DefaultIdentifier).IsValid() {
			t.Errorf("record %q has defaultIdentifier %q, not in the official enum", r.Name, r.DefaultIdentifier)
		}
	}

	// 5. Get and update: version bumps, only sent fields change.
	got, err := admin.GetRole(ctx, org, role.ID)
	if err != nil {
		t.Fatalf("GetRole: %v", err)
	}
	if got.ID != role.ID || got.Version != 1 || got.Name != role.Name {
		t.Errorf("GetRole: %+v", got)
	}
	// The create's answer and a later read must agree exactly (the server stamps times at the
	// store's microsecond precision).
	if !got.Created.Equal(role.Created) {
		t.Errorf("GetRole: created %v, but the create answered %v", got.Created, role.Created)
	}
	checkRoleDetails(t, "GetRole", got.Details, stack.ID, set.ID)

	newDesc := "deploys payments/prod (updated)"
	upd, err := admin.UpdateRole(ctx, org, role.ID, papi.UpdateRoleRequest{Description: &newDesc})
	if err != nil {
		t.Fatalf("UpdateRole(description): %v", err)
	}
	if upd.Version != 2 || upd.Description != newDesc || upd.Name != role.Name {
		t.Errorf("UpdateRole(description): version %d, description %q, name %q", upd.Version, upd.Description, upd.Name)
	}
	checkRoleDetails(t, "UpdateRole(description)", upd.Details, stack.ID, set.ID)
	if upd.Modified.Before(upd.Created) {
		t.Errorf("modified %v before created %v", upd.Modified, upd.Created)
	}
	newName := "payments-prod-deployer"
	upd, err = admin.UpdateRole(ctx, org, role.ID, papi.UpdateRoleRequest{Name: &newName, Details: roleDetails(set.ID)})
	if err != nil {
		t.Fatalf("UpdateRole(name, details): %v", err)
	}
	if upd.Version != 3 || upd.Name != newName || upd.Description != newDesc {
		t.Errorf("UpdateRole(name, details): version %d, name %q, description %q", upd.Version, upd.Name, upd.Description)
	}
	if got, err = admin.GetRole(ctx, org, role.ID); err != nil || got.Version != 3 || got.Name != newName {
		t.Errorf("GetRole after updates: %+v, %v", got, err)
	}

	// 6. An org token with that role, and GET /api/user with the new token.
	tokName := "payments-ci"
	created, err := admin.CreateOrgToken(ctx, org, nil, papi.CreateOrgAccessTokenRequest{
		BaseCreateAccessTokenRequest: papi.BaseCreateAccessTokenRequest{Description: "CI for payments", Expires: 0},
		Name:                         tokName, Admin: false, RoleID: &role.ID,
	})
	if err != nil {
		t.Fatalf("CreateOrgToken: %v", err)
	}
	if created.ID == "" || !tokenValue.MatchString(created.TokenValue) {
		t.Fatalf("CreateOrgToken: id %q, value %q (want pul- + 40 hex)", created.ID, created.TokenValue)
	}
	me, err := official(t, srv.URL, created.TokenValue, "application/vnd.pulumi+9").GetCurrentUser(ctx)
	if err != nil {
		t.Fatalf("GetCurrentUser with the new token: %v", err)
	}
	if me.GitHubLogin != org {
		t.Errorf("githubLogin = %q, want the org %q", me.GitHubLogin, org)
	}
	if me.TokenInfo == nil || me.TokenInfo.Name != tokName || me.TokenInfo.Organization == nil || *me.TokenInfo.Organization != org {
		t.Errorf("tokenInfo = %+v, want name %q organization %q", me.TokenInfo, tokName, org)
	}
	if me.TokenInfo != nil && me.TokenInfo.Team != nil && *me.TokenInfo.Team != "" {
		t.Errorf("tokenInfo.team = %q for an org token", *me.TokenInfo.Team)
	}
	if len(me.Organizations) != 1 || me.Organizations[0].GitHubLogin != org || me.Organizations[0].Role != papi.OrganizationRoleMember {
		t.Errorf("organizations = %+v, want [%s as member]", me.Organizations, org)
	}
	if me.ID == "" || me.Identities == nil {
		t.Errorf("user: id %q, identities %v (both required)", me.ID, me.Identities)
	}

	// The token can act on the stack through the composed set, and only there.
	tokClient := srv.NewClient(t, created.TokenValue)
	if _, err := tokClient.GetStack(ctx, org, "payments", "prod"); err != nil {
		t.Errorf("the new token cannot read payments/prod: %v", err)
	}

	// 7. Token listings.
	list, err := admin.ListOrgTokens(ctx, org, nil, nil, nil, nil, nil, nil)
	if err != nil {
		t.Fatalf("ListOrgTokens: %v", err)
	}
	tok := findToken(list.Tokens, created.ID)
	if tok == nil {
		t.Fatalf("token %s not in ListOrgTokens (%d tokens)", created.ID, len(list.Tokens))
	}
	checkToken(t, "ListOrgTokens", tok, tokName, role.ID, newName)
	filter := "all"
	if all, err := admin.ListOrgTokens(ctx, org, nil, &filter, nil, nil, nil, nil); err != nil || findToken(all.Tokens, created.ID) == nil {
		t.Errorf("ListOrgTokens(filter=all): token missing or %v", err)
	}
	byRole, err := admin.ListOrgTokensWithRole(ctx, org, role.ID)
	if err != nil {
		t.Fatalf("ListOrgTokensWithRole: %v", err)
	}
	if len(byRole.Tokens) != 1 {
		t.Fatalf("ListOrgTokensWithRole: %d tokens, want 1", len(byRole.Tokens))
	}
	checkToken(t, "ListOrgTokensWithRole", &byRole.Tokens[0], tokName, role.ID, newName)

	// A role still held by a token is not deleted without force (PSP relies on the 409).
	if err := admin.DeleteRole(ctx, org, role.ID, nil); status(err) != http.StatusConflict {
		t.Errorf("DeleteRole while a token holds it: %v, want HTTP 409", err)
	}

	// 8. Revoke the token: it stops working at once.
	if err := admin.DeleteOrgToken(ctx, org, created.ID); err != nil {
		t.Fatalf("DeleteOrgToken: %v", err)
	}
	if _, err := official(t, srv.URL, created.TokenValue, "").GetCurrentUser(ctx); status(err) != http.StatusUnauthorized {
		t.Errorf("GetCurrentUser with the revoked token: %v, want HTTP 401", err)
	}
	if list, err = admin.ListOrgTokens(ctx, org, nil, nil, nil, nil, nil, nil); err != nil || findToken(list.Tokens, created.ID) != nil {
		t.Errorf("ListOrgTokens after delete: token still active or %v", err)
	}
	if err := admin.DeleteOrgToken(ctx, org, created.ID); status(err) != http.StatusNotFound {
		t.Errorf("DeleteOrgToken twice: %v, want HTTP 404", err)
	}

	// 9. Delete the role and the set. The set cannot go first: the role composes it (409).
	if err := admin.DeleteRole(ctx, org, set.ID, new(true)); status(err) != http.StatusConflict {
		t.Errorf("DeleteRole(set) while composed, even with force: %v, want HTTP 409", err)
	}
	if err := admin.DeleteRole(ctx, org, role.ID, nil); err != nil {
		t.Fatalf("DeleteRole(role): %v", err)
	}
	if _, err := admin.GetRole(ctx, org, role.ID); status(err) != http.StatusNotFound {
		t.Errorf("GetRole after delete: %v, want HTTP 404", err)
	}
	if err := admin.DeleteRole(ctx, org, set.ID, nil); err != nil {
		t.Fatalf("DeleteRole(set): %v", err)
	}
	sets, err = admin.ListRolesByOrgIDAndUXPurpose(ctx, org, nil, papi.PermissionDescriptorUXPurposeSet)
	if err != nil || find(sets.Roles, set.ID) != nil {
		t.Errorf("set still listed after delete, or %v", err)
	}
}

// TestOfficialClientErrors checks that error answers come through the official client's error
// path with the right code and message (it reads {code, message}).
func TestOfficialClientErrors(t *testing.T) {
	srv := testserver.Start(t)
	ctx := context.Background()
	admin := official(t, srv.URL, srv.AdminToken, "")

	_, err := admin.GetRole(ctx, srv.Org, "00000000-0000-0000-0000-000000000000")
	var ae *apiclient.APIError
	if !errors.As(err, &ae) || !ae.IsNotFound() || ae.ResponseMessage() == "" {
		t.Errorf("GetRole(unknown): %v, want a 404 APIError with a message", err)
	}
	_, err = admin.CreateRole(ctx, srv.Org, nil, papi.PermissionDescriptorBase{
		Name: "bad", UxPurpose: papi.PermissionDescriptorUXPurposeRole,
		Details: papi.PermissionDescriptorAllowBuilder{Permissions: papi.RbacPermissionSlice{"stack:update"}}.Build(),
	})
	if status(err) != http.StatusBadRequest {
		t.Errorf("CreateRole with an unknown scope: %v, want HTTP 400", err)
	}
	if _, err := official(t, srv.URL, "pul-"+"ffffffffffffffffffffffffffffffffffffffff", "").GetCurrentUser(ctx); status(err) != http.StatusUnauthorized {
		t.Errorf("GetCurrentUser with an unknown token: %v, want HTTP 401", err)
	}
	if _, err := admin.ListRolesByOrgIDAndUXPurpose(ctx, "other-org", nil, papi.PermissionDescriptorUXPurposeRole); status(err) != http.StatusNotFound {
		t.Errorf("ListRoles of another org: %v, want HTTP 404", err)
	}
}

func checkRoleDetails(t *testing.T, what string, d papi.PermissionDescriptor, stackID, setID string) {
	t.Helper()
	cond, ok := d.(papi.PermissionDescriptorCondition)
	if !ok {
		t.Errorf("%s: details decoded as %T, want PermissionDescriptorCondition", what, d)
		return
	}
	eq, ok := cond.Condition().(papi.PermissionExpressionEqual)
	if !ok {
		t.Errorf("%s: condition decoded as %T, want PermissionExpressionEqual", what, cond.Condition())
		return
	}
	if _, ok := eq.Left().(papi.PermissionExpressionStack); !ok {
		t.Errorf("%s: condition left is %T, want PermissionExpressionStack", what, eq.Left())
	}
	if lit, ok := eq.Right().(papi.PermissionLiteralExpressionStack); !ok || lit.Identity() != stackID {
		t.Errorf("%s: condition right is %T %+v, want PermissionLiteralExpressionStack{%s}", what, eq.Right(), eq.Right(), stackID)
	}
	comp, ok := cond.SubNode().(papi.PermissionDescriptorCompose)
	if !ok || !slices.Equal(comp.PermissionDescriptors(), []string{setID}) {
		t.Errorf("%s: subNode is %T, want Compose[%s]", what, cond.SubNode(), setID)
	}
}

func checkToken(t *testing.T, what string, tok *papi.AccessToken, name, roleID, roleName string) {
	t.Helper()
	if tok.Name != name || tok.Description != "CI for payments" || tok.Admin || tok.Expires != 0 {
		t.Errorf("%s: token %+v", what, tok)
	}
	if tok.Type != papi.AccessTokenTypeOrganization {
		t.Errorf("%s: type %q, want organization", what, tok.Type)
	}
	if tok.Role == nil || tok.Role.ID != roleID || tok.Role.Name != roleName {
		t.Errorf("%s: role %+v, want {%s %s}", what, tok.Role, roleID, roleName)
	} else if tok.Role.DefaultIdentifier != nil && *tok.Role.DefaultIdentifier != "" {
		t.Errorf("%s: a custom role has defaultIdentifier %q", what, *tok.Role.DefaultIdentifier)
	}
	if _, err := time.Parse(time.RFC3339, tok.Created); err != nil {
		t.Errorf("%s: created %q is not ISO 8601: %v", what, tok.Created, err)
	}
	if tok.CreatedBy == nil || *tok.CreatedBy == "" {
		t.Errorf("%s: createdBy missing", what)
	}
}

func find(rs []papi.PermissionDescriptorRecord, id string) *papi.PermissionDescriptorRecord {
	for i := range rs {
		if rs[i].ID == id {
			return &rs[i]
		}
	}
	return nil
}

func findDefault(rs []papi.PermissionDescriptorRecord, id papi.DefaultIdentifier) *papi.PermissionDescriptorRecord {
	for i := range rs {
		if rs[i].DefaultIdentifier == string(id) {
			return &rs[i]
		}
	}
	return nil
}

func findToken(ts []papi.AccessToken, id string) *papi.AccessToken {
	for i := range ts {
		if ts[i].ID == id {
			return &ts[i]
		}
	}
	return nil
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
