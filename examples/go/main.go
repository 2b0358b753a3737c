// Command go is the YAML example in Go: a Permission, a CustomRole bound to myapp/prod, and a
// CI token whose value is a secret output. It compiles with the repository (go build ./...).
package main

import (
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/iamref/iam/sdk/go/iam"
)

func main() {
	pulumi.Run(program)
}

func program(ctx *pulumi.Context) error {
	deleters, err := iam.NewPermission(ctx, "stackDeleters", &iam.PermissionArgs{
		Name:        pulumi.String("stack-deleters"),
		Description: pulumi.StringPtr("Read and delete stacks."),
		Scopes:      pulumi.StringArray{pulumi.String("stack:read"), pulumi.String("stack:delete")},
	})
	if err != nil {
		return err
	}
	role, err := iam.NewCustomRole(ctx, "prodDeployer", &iam.CustomRoleArgs{
		Name:        pulumi.String("prod-deployer"),
		Description: pulumi.StringPtr("Deploys myapp/prod from CI."),
		Grants: iam.GrantArray{
			iam.GrantArgs{
				Permissions: pulumi.StringArray{deleters.PermissionId, pulumi.String("stack-write")},
				Stacks:      pulumi.StringArray{pulumi.String("myapp/prod")},
			},
			iam.GrantArgs{
				Scopes:       pulumi.StringArray{pulumi.String("environment:open")},
				Environments: pulumi.StringArray{pulumi.String("myapp/prod")},
			},
		},
	})
	if err != nil {
		return err
	}
	token, err := iam.NewOrganizationAccessToken(ctx, "ciToken", &iam.OrganizationAccessTokenArgs{
		Name:         pulumi.String("ci-deployer"),
		Description:  pulumi.StringPtr("GitHub Actions deploys of myapp/prod"),
		RoleId:       role.RoleId,
		ExpiresIn:    pulumi.StringPtr("720h"),
		RotateBefore: pulumi.StringPtr("168h"),
	})
	if err != nil {
		return err
	}
	ctx.Export("roleId", role.RoleId)
	ctx.Export("tokenName", token.TokenName)
	ctx.Export("ciToken", token.Value)
	return nil
}
