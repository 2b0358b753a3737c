package pulumi_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// TestCheckAccessUserAndTeam: checkAccess with user or team answers from the server's access
// check — the member's or team's effective rights, the reasons naming the path — and follows
// changes to the team; user or team with roleId is refused, an unknown member named.
func TestCheckAccessUserAndTeam(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	e.addMembers("alice", "bob")
	_, _, role := e.create(iampulumi.CustomRoleType, obj(map[string]any{
		"name":   "prod-deleter",
		"grants": []any{map[string]any{"scopes": []string{"stack:delete"}, "stacks": []string{"myapp/prod"}}},
	}))
	roleID := role.Get("roleId").AsString()
	if _, err := e.srv.Client.CreateTeam(ctx, e.srv.Org, apitype.CreateTeamRequest{Name: "platform"}); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.Client.AddTeamRole(ctx, e.srv.Org, "platform", roleID); err != nil {
		t.Fatal(err)
	}
	add, remove := apitype.MemberActionAdd, apitype.MemberActionRemove
	alice := "alice"
	if err := e.srv.Client.UpdateTeam(ctx, e.srv.Org, "platform", apitype.UpdateTeamRequest{Member: &alice, MemberAction: &add}); err != nil {
		t.Fatal(err)
	}

	invoke := func(args map[string]any) (property.Map, error) {
		resp, err := e.s.Invoke(p.InvokeRequest{Token: iampulumi.CheckAccessFunction, Args: obj(args)})
		if err == nil && len(resp.Failures) > 0 {
			err = fmt.Errorf("failures: %+v", resp.Failures)
		}
		return resp.Return, err
	}
	const path = "via team platform → role prod-deleter: "
	for _, c := range []struct {
		who, name, stack string
		allowed          bool
	}{
		{"user", "alice", "myapp/prod", true},
		{"user", "alice", "myapp/dev", false},
		{"user", "bob", "myapp/prod", false},
		{"team", "platform", "myapp/prod", true},
		{"team", "platform", "myapp/dev", false},
	} {
		got, err := invoke(map[string]any{c.who: c.name, "action": "stack:delete", "stack": c.stack})
		if err != nil {
			t.Fatalf("%s %s on %s: %v", c.who, c.name, c.stack, err)
		}
		reasons := strs(got.Get("reasons"))
		if got.Get("allowed").AsBool() != c.allowed || len(reasons) == 0 || c.allowed && !strings.HasPrefix(reasons[0], path) {
			t.Errorf("%s %s on %s: %v, want allowed=%v (with the path when allowed)", c.who, c.name, c.stack, got, c.allowed)
		}
	}

	// Out of the team: the next check says so (the server's answer, not a cached one).
	if err := e.srv.Client.UpdateTeam(ctx, e.srv.Org, "platform", apitype.UpdateTeamRequest{Member: &alice, MemberAction: &remove}); err != nil {
		t.Fatal(err)
	}
	if got, err := invoke(map[string]any{"user": "alice", "action": "stack:delete", "stack": "myapp/prod"}); err != nil || got.Get("allowed").AsBool() {
		t.Errorf("alice out of the team: %v %v", got, err)
	}

	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"user": "alice", "roleId": roleID, "action": "role:read"}, "set exactly one of roleId, details, user and team"},
		{map[string]any{"user": "alice", "team": "platform", "action": "role:read"}, "set exactly one of"},
		{map[string]any{"user": "nobody", "action": "role:read"}, `"nobody" is not a member`},
		{map[string]any{"team": "nothere", "action": "role:read"}, `no team named "nothere"`},
		{map[string]any{"team": "platform", "action": "stack:delete", "stack": "myapp/missing"}, "not found"},
	} {
		if _, err := invoke(c.args); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("checkAccess %v: %v, want an error with %q", c.args, err, c.want)
		}
	}
}
