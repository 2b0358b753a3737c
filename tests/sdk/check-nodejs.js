// Loads the Node.js SDK as a user's program does (`require("@iamref/iam")`, resolved through
// package.json's main to the compiled bin/index.js) and uses it under Pulumi's mocks: a resource
// and an invoke, which read the package version (bin/package.json) for their default options.
// Run by `make check-sdk-nodejs` from a folder where node_modules/@iamref/iam is the unpacked
// npm package; argv[2] is the version the package must carry.
"use strict";
const pulumi = require("@pulumi/pulumi");

async function main(want) {
    const pkg = require("@iamref/iam/package.json");
    if (pkg.version !== want) {
        throw new Error(`@iamref/iam is version ${pkg.version}, want ${want}`);
    }
    const registered = [];
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            registered.push(args.type);
            return { id: `${args.name}-id`, state: { ...args.inputs, permissionId: "perm-1" } };
        },
        call: (args) => {
            if (args.token !== "iam:index:getScopes") {
                throw new Error(`unexpected invoke ${args.token}`);
            }
            return { scopes: [{ name: "stack:read", description: "Read a stack.", group: "Stacks", entityType: "stack" }] };
        },
    }, "project", "stack", false);

    const iam = require("@iamref/iam");
    for (const name of ["Provider", "Permission", "CustomRole", "OrganizationAccessToken", "getScopes", "checkAccess"]) {
        if (typeof iam[name] !== "function") {
            throw new Error(`@iamref/iam does not export ${name}`);
        }
    }
    const perm = new iam.Permission("deleters", { name: "stack-deleters", scopes: ["stack:read", "stack:delete"] });
    const id = await new Promise((resolve) => perm.permissionId.apply(resolve));
    if (id !== "perm-1") {
        throw new Error(`permissionId ${id}`);
    }
    const scopes = await iam.getScopes({ entityType: "stack" });
    if (scopes.scopes.length !== 1 || scopes.scopes[0].name !== "stack:read") {
        throw new Error(`getScopes ${JSON.stringify(scopes)}`);
    }
    if (!registered.includes("iam:index:Permission")) {
        throw new Error(`registered ${registered}`);
    }
    console.log(`@iamref/iam ${pkg.version}: loads from ${require.resolve("@iamref/iam")}, a resource and an invoke work under mocks`);
}

main(process.argv[2]).catch((err) => {
    console.error(err);
    process.exit(1);
});
