// Package sdk_test compiles and exercises the generated Go SDK (sdk/go/iam) against Pulumi's
// mocks: a program declaring a Permission, a CustomRole and an OrganizationAccessToken.
package sdk_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/iamref/iam/sdk/go/iam"
)

const tokenValue = "pul-0123456789abcdef0123456789abcdef01234567"

// mocks plays the engine and the provider: outputs are the inputs plus server-assigned fields,
// and outputs the SDK lists as additional secret outputs come back secret (as the engine does).
type mocks struct {
	mu     sync.Mutex
	inputs map[string]resource.PropertyMap // by type token
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	m.mu.Lock()
	m.inputs[args.TypeToken] = args.Inputs
	m.mu.Unlock()
	outs := args.Inputs.Copy()
	id := "acme/" + args.Name + "-id"
	switch args.TypeToken {
	case "iam:index:Permission":
		outs["permissionId"] = resource.NewProperty("perm-1")
		outs["version"] = resource.NewProperty(1.0)
	case "iam:index:CustomRole":
		outs["roleId"] = resource.NewProperty("role-1")
		outs["version"] = resource.NewProperty(1.0)
		outs["details"] = resource.NewProperty(`{"__type":"PermissionDescriptorGroup","entries":[]}`)
	case "iam:index:OrganizationAccessToken":
		outs["tokenId"] = resource.NewProperty("tok-1")
		outs["tokenName"] = args.Inputs["name"]
		outs["value"] = resource.NewProperty(tokenValue)
		outs["expiresAt"] = resource.NewProperty("2027-01-01T00:00:00Z")
	default:
		return "", nil, fmt.Errorf("unexpected resource %s", args.TypeToken)
	}
	if args.RegisterRPC != nil {
		for _, k := range args.RegisterRPC.GetAdditionalSecretOutputs() {
			if v, ok := outs[resource.PropertyKey(k)]; ok {
				outs[resource.PropertyKey(k)] = resource.MakeSecret(v)
			}
		}
	}
	return id, outs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	switch args.Token {
	case "iam:index:getScopes":
		return resource.PropertyMap{"scopes": resource.NewProperty([]resource.PropertyValue{resource.NewProperty(resource.PropertyMap{
			"name": resource.NewProperty("stack:delete"), "description": resource.NewProperty("Delete a stack."),
			"group": resource.NewProperty("Stacks"), "entityType": resource.NewProperty("stack"),
		})})}, nil
	case "iam:index:checkAccess":
		allowed := args.Args["stack"].StringValue() == "myapp/prod"
		return resource.PropertyMap{"allowed": resource.NewProperty(allowed), "reasons": resource.NewProperty([]resource.PropertyValue{})}, nil
	}
	return nil, fmt.Errorf("unexpected invoke %s", args.Token)
}

// await returns an output's value and whether it is secret.
func await[T any](t *testing.T, o pulumi.Output) (T, bool) {
	t.Helper()
	ch := make(chan T, 1)
	o.ApplyT(func(v T) T { ch <- v; return v })
	return <-ch, pulumi.IsSecret(o)
}

func TestProgram(t *testing.T) {
	m := &mocks{inputs: map[string]resource.PropertyMap{}}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		perm, err := iam.NewPermission(ctx, "deleters", &iam.PermissionArgs{
			Name:   pulumi.String("stack-deleters"),
			Scopes: pulumi.StringArray{pulumi.String("stack:read"), pulumi.String("stack:delete")},
		})
		if err != nil {
			return err
		}
		role, err := iam.NewCustomRole(ctx, "deployer", &iam.CustomRoleArgs{
			Name: pulumi.String("prod-deployer"),
			Grants: iam.GrantArray{
				iam.GrantArgs{Permissions: pulumi.StringArray{perm.PermissionId, pulumi.String("stack-write")}, Stacks: pulumi.StringArray{pulumi.String("myapp/prod")}},
				iam.GrantArgs{Scopes: pulumi.StringArray{pulumi.String("environment:open")}, Environments: pulumi.StringArray{pulumi.String("myapp/prod")}},
			},
		})
		if err != nil {
			return err
		}
		tok, err := iam.NewOrganizationAccessToken(ctx, "ci", &iam.OrganizationAccessTokenArgs{
			Name:         pulumi.String("ci-deployer"),
			RoleId:       role.RoleId,
			ExpiresIn:    pulumi.String("720h"),
			RotateBefore: pulumi.String("168h"),
		})
		if err != nil {
			return err
		}
		scopes, err := iam.GetScopes(ctx, &iam.GetScopesArgs{EntityType: pulumi.StringRef("stack")})
		if err != nil {
			return err
		}
		if len(scopes.Scopes) != 1 || scopes.Scopes[0].Name != "stack:delete" || scopes.Scopes[0].EntityType != "stack" {
			return fmt.Errorf("getScopes: %+v", scopes)
		}
		check, err := iam.CheckAccess(ctx, &iam.CheckAccessArgs{RoleId: pulumi.StringRef("role-1"), Action: "stack:delete", Stack: pulumi.StringRef("myapp/prod")})
		if err != nil {
			return err
		}
		if !check.Allowed {
			return fmt.Errorf("checkAccess: %+v", check)
		}

		if id, _ := await[string](t, perm.PermissionId); id != "perm-1" {
			t.Errorf("permissionId %q", id)
		}
		if id, _ := await[pulumi.ID](t, role.ID()); id != "acme/deployer-id" {
			t.Errorf("role ID %q", id)
		}
		if d, _ := await[string](t, role.Details); d == "" {
			t.Error("role details empty")
		}
		if name, _ := await[string](t, tok.TokenName); name != "ci-deployer" {
			t.Errorf("tokenName %q", name)
		}
		if v, secret := await[string](t, tok.Value); v != tokenValue || !secret {
			t.Errorf("value %q secret=%v: want the token value, secret", v, secret)
		}
		if exp, _ := await[*string](t, tok.ExpiresAt); exp == nil || *exp != "2027-01-01T00:00:00Z" {
			t.Errorf("expiresAt %v", exp)
		}
		ctx.Export("ciToken", tok.Value)
		return nil
	}, pulumi.WithMocks("project", "stack", m))
	if err != nil {
		t.Fatal(err)
	}

	// What the provider would have received.
	if got := m.inputs["iam:index:OrganizationAccessToken"]["roleId"]; !got.IsString() || got.StringValue() != "role-1" {
		t.Errorf("token roleId input %v: want the role's roleId output", got)
	}
	grants := m.inputs["iam:index:CustomRole"]["grants"].ArrayValue()
	perms := grants[0].ObjectValue()["permissions"].ArrayValue()
	if len(grants) != 2 || perms[0].StringValue() != "perm-1" || perms[1].StringValue() != "stack-write" {
		t.Errorf("role grants input %v", grants)
	}
	var scopes []string
	for _, s := range m.inputs["iam:index:Permission"]["scopes"].ArrayValue() {
		scopes = append(scopes, s.StringValue())
	}
	if !slices.Equal(scopes, []string{"stack:read", "stack:delete"}) {
		t.Errorf("permission scopes input %v", scopes)
	}
}
