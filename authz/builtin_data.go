package authz

// builtinSpec describes one built-in permission set or role present in every organization.
type builtinSpec struct {
	identifier  string // defaultIdentifier, e.g. "stack-read"
	name        string // display name, e.g. "Stack Read"
	description string
	uxPurpose   string     // "set" for permission sets, "role" for roles
	kind        EntityKind // KindStack/KindEnvironment/KindInsightsAccount for sets; KindOrg for roles
	scopes      []string   // every scope it grants, flattened (a "write" set repeats the "read" scopes)
	allScopes   bool       // true only for "admin": grants every scope in the catalog
}

// Scope lists of the built-in sets. Each level is the previous level plus its additions.
var (
	builtinStackRead = []string{
		"stack:read", "stack:export", "stack:encrypt", "stack:decrypt",
		"stack_deployment:read", "stack_deployment_settings:read", "stack_access:read", "stack_schedule:read",
	}
	builtinStackWrite = builtinConcat(builtinStackRead,
		"stack:import", "stack:cancel_update", "stack:write",
		"stack_deployment_settings:write", "stack_deployment_settings:encrypt", "stack_deployment_cache:read",
		"stack_tags:update",
		"stack_schedule:update", "stack_schedule:create", "stack_schedule:pause", "stack_schedule:resume", "stack_schedule:delete",
		"stack_deployment:create",
		"stack_webhook:create", "stack_webhook:update", "stack_webhook:delete", "stack_webhook:read",
	)
	builtinStackAdmin = builtinConcat(builtinStackWrite,
		"stack:delete", "stack_access:update", "stack:transfer", "stack:rename",
	)

	builtinEnvironmentRead = []string{
		"environment:read", "environment:rotate_history", "environment_version:read",
		"environment_schedule:read", "environment_tag:read",
	}
	// The reference also lists environment_version:read as an Open addition; it is already in Read.
	builtinEnvironmentOpen = builtinConcat(builtinEnvironmentRead,
		"environment:open", "environment:clone", "environment_version:open",
	)
	builtinEnvironmentWrite = builtinConcat(builtinEnvironmentOpen,
		"environment:write", "environment:rotate",
		"environment_version:create", "environment_version:update", "environment_version:delete", "environment_version:retract",
		"environment_tag:create", "environment_tag:update", "environment_tag:delete",
		"environment_schedule:create", "environment_schedule:update", "environment_schedule:pause",
		"environment_schedule:resume", "environment_schedule:delete",
		"environment_webhook:read", "environment_webhook:create", "environment_webhook:update", "environment_webhook:delete",
	)
	builtinEnvironmentAdmin = builtinConcat(builtinEnvironmentWrite,
		"environment:delete",
	)

	builtinInsightsRead = []string{
		"insights_account:read", "insights_account_scan:read", "insights_account_access:read",
	}
	builtinInsightsWrite = builtinConcat(builtinInsightsRead,
		"insights_account:update", "insights_account:scan",
		"insights_account_scan:update", "insights_account_scan:cancel", "insights_account_scan:pause", "insights_account_scan:resume",
	)
	builtinInsightsAdmin = builtinConcat(builtinInsightsWrite,
		"insights_account:delete", "insights_account_access:update",
	)

	// Org-level sets from the permission-sets docs ("Read Only", "Standard", "Billing").
	builtinOrgReadOnly = []string{
		"ai_conversations:read", "deployments:read", "deployments:read_usage",
		"environment:list_deleted", "environment_tags:list",
		"policy_groups:read", "policy_pack:read", "policy_results:read",
		"integrations:read", "org_member:read", "organization_annotations:read", "organization:read_usage",
		"project_annotations:read", "resources:dashboard", "resources:search",
		"saml:read", "tags:read", "team:read", "templates:read", "services:read",
	}
	builtinOrgStandard = builtinConcat(builtinOrgReadOnly,
		"ai_conversations:create", "ai_conversations:update",
		"environment:create", "integrations:update", "project_annotations:update",
		"project:decrypt", "project:encrypt",
		"services:create", "services:write", "services:admin",
		"insights_policy_evaluator:read", "insights_policy_evaluator:delete",
		"insights_policy_evaluator:ensure", "insights_policy_evaluator:update",
		"insights_policy_queue:read",
	)
	builtinOrgBilling = []string{
		"deployments:read_usage", "org_member:read", "organization:billing", "organization:read_usage",
		"resources:dashboard", "saml:read", "team:read",
	}
	builtinMember = builtinConcat(builtinOrgStandard,
		"stack:list", "stack:create", "environment:list", "insights_account:list",
	)
)

var builtinData = []builtinSpec{
	{"stack-read", "Stack Read", "Read a stack's state, settings and deployment history.", "set", KindStack, builtinStackRead, false},
	{"stack-write", "Stack Write", "Everything in Stack Read, plus updating the stack, its deployments, schedules, tags and webhooks.", "set", KindStack, builtinStackWrite, false},
	{"stack-admin", "Stack Admin", "Everything in Stack Write, plus deleting, renaming and transferring the stack and managing who can access it.", "set", KindStack, builtinStackAdmin, false},
	{"environment-read", "Environment Read", "Read an environment's definition, versions, tags and schedules without revealing secrets.", "set", KindEnvironment, builtinEnvironmentRead, false},
	{"environment-open", "Environment Open", "Everything in Environment Read, plus opening the environment to reveal its resolved values and secrets.", "set", KindEnvironment, builtinEnvironmentOpen, false},
	{"environment-write", "Environment Write", "Everything in Environment Open, plus editing the environment, its versions, tags, schedules and webhooks.", "set", KindEnvironment, builtinEnvironmentWrite, false},
	{"environment-admin", "Environment Admin", "Everything in Environment Write, plus deleting the environment.", "set", KindEnvironment, builtinEnvironmentAdmin, false},
	{"insights-account-read", "Account Read", "Read an Insights account, its scans and who can access it.", "set", KindInsightsAccount, builtinInsightsRead, false},
	{"insights-account-write", "Account Write", "Everything in Account Read, plus changing the account and running and controlling its scans.", "set", KindInsightsAccount, builtinInsightsWrite, false},
	{"insights-account-admin", "Account Admin", "Everything in Account Write, plus deleting the account and managing who can access it.", "set", KindInsightsAccount, builtinInsightsAdmin, false},
	{"member", "Member", "The default role for organization members: read organization data, create stacks and environments, and use organization features.", "role", KindOrg, builtinMember, false},
	{"admin", "Admin", "Full control of the organization and everything in it.", "role", KindOrg, nil, true},
	{"billing-manager", "Billing Manager", "Manage the organization's billing and view its usage.", "role", KindOrg, builtinOrgBilling, false},
}

// builtinConcat returns base followed by the names in more that base does not already hold,
// as a new slice.
func builtinConcat(base []string, more ...string) []string {
	out := make([]string, 0, len(base)+len(more))
	seen := make(map[string]bool, len(base)+len(more))
	for _, list := range [][]string{base, more} {
		for _, s := range list {
			if !seen[s] {
				seen[s] = true
				out = append(out, s)
			}
		}
	}
	return out
}
