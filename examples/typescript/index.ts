// The YAML example in TypeScript: a Permission, a CustomRole bound to myapp/prod, and a CI
// token whose value is a secret output.
import * as pulumi from "@pulumi/pulumi";
import * as iam from "@iamref/iam";

const stackDeleters = new iam.Permission("stackDeleters", {
    name: "stack-deleters",
    description: "Read and delete stacks.",
    scopes: ["stack:read", "stack:delete"],
});

const prodDeployer = new iam.CustomRole("prodDeployer", {
    name: "prod-deployer",
    description: "Deploys myapp/prod from CI.",
    grants: [
        { permissions: [stackDeleters.permissionId, "stack-write"], stacks: ["myapp/prod"] },
        { scopes: ["environment:open"], environments: ["myapp/prod"] },
    ],
});

const ciToken = new iam.OrganizationAccessToken("ciToken", {
    name: "ci-deployer",
    description: "GitHub Actions deploys of myapp/prod",
    roleId: prodDeployer.roleId,
    expiresIn: "720h",
    rotateBefore: "168h",
});

const devCheck = iam.checkAccessOutput({ roleId: prodDeployer.roleId, action: "stack:delete", stack: "myapp/dev" });

export const roleId = prodDeployer.roleId;
export const tokenName = ciToken.tokenName;
export const tokenExpiresAt = ciToken.expiresAt;
export const ciTokenValue = pulumi.secret(ciToken.value);
export const mayDeleteDev: pulumi.Output<boolean> = devCheck.allowed;
