"""The YAML example in Python: a Permission, a CustomRole bound to myapp/prod, and a CI token
whose value is a secret output."""
import pulumi
import iamref_iam as iam

stack_deleters = iam.Permission(
    "stackDeleters",
    name="stack-deleters",
    description="Read and delete stacks.",
    scopes=["stack:read", "stack:delete"],
)

prod_deployer = iam.CustomRole(
    "prodDeployer",
    name="prod-deployer",
    description="Deploys myapp/prod from CI.",
    grants=[
        iam.GrantArgs(permissions=[stack_deleters.permission_id, "stack-write"], stacks=["myapp/prod"]),
        iam.GrantArgs(scopes=["environment:open"], environments=["myapp/prod"]),
    ],
)

ci_token = iam.OrganizationAccessToken(
    "ciToken",
    name="ci-deployer",
    description="GitHub Actions deploys of myapp/prod",
    role_id=prod_deployer.role_id,
    expires_in="720h",
    rotate_before="168h",
)

dev_check = iam.check_access_output(role_id=prod_deployer.role_id, action="stack:delete", stack="myapp/dev")

pulumi.export("roleId", prod_deployer.role_id)
pulumi.export("tokenName", ci_token.token_name)
pulumi.export("ciToken", ci_token.value)
pulumi.export("mayDeleteDev", dev_check.allowed)
