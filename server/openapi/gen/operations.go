package main

import (
	"reflect"

	"github.com/iamref/iam/apitype"
)

var errorResponseType = reflect.TypeFor[apitype.ErrorResponse]()

// typeOf is the type of a request or response example value; a raw schema (object) is
// handled by the caller.
func typeOf(v any) reflect.Type { return reflect.TypeOf(v) }

// rawSchema is a response or request given as a schema rather than an apitype value, with its
// media type.
type rawSchema struct {
	mediaType string
	schema    object
}

func str(desc string) object { return object{"type": "string", "description": desc} }

var (
	continuationToken = param{name: "continuationToken", schema: str(""), description: "The `continuationToken` (or `nextToken`) of the previous page."}
	projectFilter     = param{name: "project", schema: str(""), description: "Only this project's."}
	maxResults        = param{name: "maxResults", description: "Items per page, 1 to 1000 (100 by default; more is a 400).",
		schema: object{"type": "integer", "minimum": 1, "maximum": 1000}}
)

// operations lists every route the server serves (server/routes.go), in its order. The server
// test TestOpenAPIListsEveryRoute fails when a route is missing here or its access or scope
// differ.
var operations = []operation{
	{method: "GET", path: "/healthz", id: "getHealth", tag: "server", access: public, status: 200,
		summary:  "Readiness: 200 once the server can read its database, 503 otherwise.",
		response: rawSchema{"application/json", healthSchema},
		otherResponses: object{"503": object{"description": "The database cannot be read.",
			"content": object{"application/json": object{"schema": healthSchema}}}}},
	{method: "GET", path: "/metrics", id: "getMetrics", tag: "server", access: public, status: 200,
		summary:  "Prometheus metrics (requests by route and status, decisions, audit queue).",
		response: rawSchema{"text/plain", object{"type": "string"}}},
	{method: "GET", path: "/api/openapi.json", id: "getOpenAPI", tag: "server", access: public, status: 200,
		summary:  "This document.",
		response: rawSchema{"application/json", object{"type": "object"}}},
	{method: "GET", path: "/api/user", id: "getCurrentUser", tag: "server", access: authenticated, status: 200,
		summary:     "The caller's identity (what `pulumi whoami` asks).",
		description: "For an organization token, `githubLogin` is the organization's name and `tokenInfo` names the token.",
		response:    apitype.User{}},

	{method: "GET", path: "/api/orgs/{org}/roles", id: "listRoles", tag: "roles", access: scoped, scope: "role:read", status: 200,
		summary: "Lists the roles, permission sets or policies of the organization, built-in ones included.",
		query: []param{{name: "uxPurpose", required: true, description: "Which kind of record to list.",
			schema: object{"type": "string", "enum": []string{"role", "set", "policy"}}}, maxResults, continuationToken},
		response: apitype.ListRolesResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/orgs/{org}/roles", id: "createRole", tag: "roles", access: scoped, scope: "role:create", status: 200,
		summary: "Creates a role (`uxPurpose: role`, the default), a permission set (`set`) or a policy (`policy`).",
		description: "`details` is validated (unknown scopes name the closest valid one) and must grant no more than the caller holds. " +
			"`resourceType` is `global` (the default) or an entity kind.",
		body: apitype.CreateRoleRequest{}, response: apitype.Role{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/orgs/{org}/roles/scopes", id: "listScopes", tag: "roles", access: scoped, scope: "role:read", status: 200,
		summary:  "The scope catalog, grouped by resource type (`stack`, `environment`, `insights-account`, `global`) and console group.",
		response: apitype.ListScopesResponse{}},
	{method: "GET", path: "/api/orgs/{org}/roles/{roleID}", id: "getRole", tag: "roles", access: scoped, scope: "role:read", status: 200,
		summary: "Reads one role, permission set or policy.", response: apitype.Role{}},
	{method: "PATCH", path: "/api/orgs/{org}/roles/{roleID}", id: "updateRole", tag: "roles", access: scoped, scope: "role:update", status: 200,
		summary: "Changes a record's name, description or details; only the fields sent change.",
		description: "With `version` in the body (or the `If-Match` header) the update applies only if the record is still at that version, " +
			"else 409. Built-in records cannot be changed (400).",
		headers: []param{{name: "If-Match", schema: str(""), description: "The version the caller last read, when the body has no `version`."}},
		body:    apitype.UpdateRoleRequest{}, response: apitype.Role{}, errors: []int{409}},
	{method: "DELETE", path: "/api/orgs/{org}/roles/{roleID}", id: "deleteRole", tag: "roles", access: scoped, scope: "role:delete", status: 204,
		summary:     "Deletes a record.",
		description: "409 while it is the default role, composed by another record, or held by tokens, members or teams (unless `force=true`); built-in records cannot be deleted (400).",
		query: []param{{name: "force", description: "`true` deletes a role that tokens, members or teams still hold; they are left without its rights.",
			schema: object{"type": "string", "enum": []string{"true", "false"}}}},
		errors: []int{400, 409}},
	{method: "GET", path: "/api/orgs/{org}/roles/{roleID}/tokens", id: "listRoleTokens", tag: "roles", access: scoped, scope: "org_token:read", status: 200,
		summary: "Lists the organization tokens that hold a role.", query: []param{maxResults, continuationToken},
		response: apitype.ListTokensResponse{}, errors: []int{400}},
	{method: "PATCH", path: "/api/orgs/{org}/roles/{roleID}/default", id: "setDefaultRole", tag: "roles", access: scoped, scope: "role:update", status: 204,
		summary: "Makes a role the organization's default (what tokens without a role act with); the caller must hold everything it grants.",
		errors:  []int{400}},

	{method: "GET", path: "/api/orgs/{org}/roles/{roleID}/users", id: "listRoleUsers", tag: "roles", access: scoped, scope: "org_member:read", status: 200,
		summary: "Lists the members whose org role is this role (not those who hold it through a team).", response: apitype.ListUsersResponse{}},
	{method: "GET", path: "/api/orgs/{org}/roles/{roleID}/teams", id: "listRoleTeams", tag: "roles", access: scoped, scope: "team:list", status: 200,
		summary: "Lists the teams that hold a role.", response: apitype.ListTeamsResponse{}},

	{method: "GET", path: "/api/orgs/{org}/members", id: "listMembers", tag: "members", access: scoped, scope: "org_member:read", status: 200,
		summary: "Lists the organization's members, by login, a page at a time.",
		query: []param{continuationToken,
			{name: "maxResults", description: "Members per page, 1 to 1000 (100 by default).", schema: object{"type": "integer", "minimum": 1, "maximum": 1000}},
			{name: "type", description: "`frontend` (people, the default) or `backend` (always empty here).", schema: object{"type": "string", "enum": []string{"frontend", "backend"}}}},
		response: apitype.ListMembersResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/orgs/{org}/members/{login}", id: "addMember", tag: "members", access: scoped, scope: "org_member:add", status: 200,
		summary: "Adds a member with a built-in role (the org's default role when `role` is empty), creating the user when the login is unknown.",
		description: "The caller must hold everything the role grants; making someone an admin also needs `org_member:set_admin`. " +
			"409 if the user is a member already (change the role with PATCH).",
		body: apitype.AddMemberRequest{}, response: apitype.OrganizationMember{}, errors: []int{400, 409}, idempotent: true},
	{method: "PATCH", path: "/api/orgs/{org}/members/{login}", id: "updateMember", tag: "members", access: scoped, scope: "org_member:update", status: 204,
		summary:     "Changes a member's org role: `fgaRoleId` (any role) wins over `role` (a built-in role's name).",
		description: "The caller must hold everything the role grants. Demoting the last admin is refused (409). The change applies to the member's tokens on their next request.",
		body:        apitype.UpdateMemberRequest{}, errors: []int{400, 409}},
	{method: "DELETE", path: "/api/orgs/{org}/members/{login}", id: "removeMember", tag: "members", access: scoped, scope: "org_member:delete", status: 204,
		summary:     "Removes a member: they leave the organization's teams and their personal tokens stop working.",
		description: "Removing yourself (400) or the last admin (409) is refused.", errors: []int{400, 409}},
	{method: "POST", path: "/api/orgs/{org}/members/{login}/tokens", id: "createMemberToken", tag: "members", access: scoped, scope: "org_member:update", status: 200,
		summary: "Mints a member's first personal token (iamref's own route): how a new member gets in until OIDC login exists.",
		description: "409 if the member has a live personal token already (they mint more with `POST /api/user/tokens`). The caller must hold everything the member may do " +
			"(their org role and every team's roles): the token acts as them. Audited with the caller as actor.",
		body: apitype.CreatePersonalTokenRequest{}, response: apitype.CreateTokenResponse{}, errors: []int{409}, idempotent: true},

	{method: "GET", path: "/api/orgs/{org}/teams", id: "listTeams", tag: "teams", access: scoped, scope: "team:list", status: 200,
		summary: "Lists the organization's teams with the roles they hold.", response: apitype.ListTeamsResponse{}},
	{method: "POST", path: "/api/orgs/{org}/teams/pulumi", id: "createTeam", tag: "teams", access: scoped, scope: "team:create", status: 200,
		summary: "Creates a team (no members, no roles).", body: apitype.CreateTeamRequest{}, response: apitype.Team{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/orgs/{org}/teams/{team}", id: "getTeam", tag: "teams", access: scoped, scope: "team:read", status: 200,
		summary: "Reads a team, its members and its roles.", response: apitype.Team{}},
	{method: "PATCH", path: "/api/orgs/{org}/teams/{team}", id: "updateTeam", tag: "teams", access: scoped, scope: "team:update", status: 204,
		summary: "Changes a team's display name or description, or adds or removes one member (`member` + `memberAction`).",
		description: "Adding a member hands them the team's rights: the caller must hold them. Adding a member already in the team changes nothing. " +
			"The legacy per-entity grants (`addStackPermission`, …) are not served: give the team a role.",
		body: apitype.UpdateTeamRequest{}, errors: []int{400}},
	{method: "DELETE", path: "/api/orgs/{org}/teams/{team}", id: "deleteTeam", tag: "teams", access: scoped, scope: "team:delete", status: 204,
		summary: "Deletes a team; its members lose its rights and its tokens stop working."},
	{method: "GET", path: "/api/orgs/{org}/teams/{team}/roles", id: "listTeamRoles", tag: "teams", access: scoped, scope: "team:read", status: 200,
		summary: "Lists the roles a team holds.", response: apitype.ListRolesResponse{}},
	{method: "POST", path: "/api/orgs/{org}/teams/{team}/roles/{roleID}", id: "addTeamRole", tag: "teams", access: scoped, scope: "team:update", status: 204,
		summary:     "Gives a team a role; a team may hold several (giving one it holds changes nothing).",
		description: "The caller must hold everything the role grants. Pulumi Cloud currently keeps one role per team (an upsert); iamref adds.",
		errors:      []int{400}},
	{method: "DELETE", path: "/api/orgs/{org}/teams/{team}/roles/{roleID}", id: "removeTeamRole", tag: "teams", access: scoped, scope: "team:update", status: 204,
		summary: "Takes a role from a team."},
	{method: "GET", path: "/api/orgs/{org}/teams/{team}/tokens", id: "listTeamTokens", tag: "tokens", access: scoped, scope: "team:list_tokens", status: 200,
		summary: "Lists a team's tokens (never their values), expired ones included.", query: []param{maxResults, continuationToken},
		response: apitype.ListTokensResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/orgs/{org}/teams/{team}/tokens", id: "createTeamToken", tag: "tokens", access: scoped, scope: "team:create_token", status: 200,
		summary:     "Creates a token acting as the team; its value is in this answer only.",
		description: "The caller must hold the team's rights. Names share the organization tokens' namespace, deleted ones included (409).",
		body:        apitype.CreateTeamTokenRequest{}, response: apitype.CreateTokenResponse{}, errors: []int{409}, idempotent: true},
	{method: "DELETE", path: "/api/orgs/{org}/teams/{team}/tokens/{tokenID}", id: "deleteTeamToken", tag: "tokens", access: scoped, scope: "team:delete_token", status: 204,
		summary: "Revokes a team token.", errors: []int{400}},

	{method: "GET", path: "/api/user/tokens", id: "listPersonalTokens", tag: "tokens", access: authenticated, status: 200,
		summary: "Lists the caller's personal tokens, expired ones included (a personal token's request; others get 400).",
		query:   []param{maxResults, continuationToken}, response: apitype.ListTokensResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/user/tokens", id: "createPersonalToken", tag: "tokens", access: authenticated, status: 200,
		summary: "Creates a personal token for the caller (a personal token's request); it acts as the user, following their rights as they change.",
		body:    apitype.CreatePersonalTokenRequest{}, response: apitype.CreateTokenResponse{}, errors: []int{400}, idempotent: true},
	{method: "DELETE", path: "/api/user/tokens/{tokenID}", id: "deletePersonalToken", tag: "tokens", access: authenticated, status: 204,
		summary: "Revokes one of the caller's personal tokens.", errors: []int{400}},

	{method: "GET", path: "/api/orgs/{org}/tokens", id: "listOrgTokens", tag: "tokens", access: scoped, scope: "org_token:read", status: 200,
		summary: "Lists organization tokens (never their values).",
		query: []param{{name: "filter", description: "Which tokens: `active` (the default), `expired` or `all`.",
			schema: object{"type": "string", "enum": []string{apitype.TokenFilterActive, apitype.TokenFilterExpired, apitype.TokenFilterAll}}}, maxResults, continuationToken},
		response: apitype.ListTokensResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/orgs/{org}/tokens", id: "createOrgToken", tag: "tokens", access: scoped, scope: "org_token:create", status: 200,
		summary: "Creates an organization token; its value is in this answer only.",
		description: "The token acts with `roleID`, the legacy `admin` flag, or (with neither) the organization's default role, which must grant " +
			"no more than the caller holds. Names are unique for ever: a deleted token's name stays taken (409). `expires` is unix seconds, 0 = never, at most two years ahead.",
		body: apitype.CreateOrgTokenRequest{}, response: apitype.CreateTokenResponse{}, errors: []int{409}, idempotent: true},
	{method: "DELETE", path: "/api/orgs/{org}/tokens/{tokenID}", id: "deleteOrgToken", tag: "tokens", access: scoped, scope: "org_token:delete", status: 204,
		summary: "Revokes an organization token; the next request with it is a 401."},

	{method: "POST", path: "/api/stacks/{org}/{project}", id: "createStack", tag: "stacks", access: scoped, scope: "stack:create", status: 200,
		summary: "Registers a stack (name, ID, tags) so that grants can name it.",
		body:    apitype.CreateStackRequest{}, response: apitype.Stack{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/stacks/{org}/{project}/{stack}", id: "getStack", tag: "stacks", access: scoped, scope: "stack:read", entity: true, status: 200,
		summary: "Reads a stack.", response: apitype.Stack{}},
	{method: "DELETE", path: "/api/stacks/{org}/{project}/{stack}", id: "deleteStack", tag: "stacks", access: scoped, scope: "stack:delete", entity: true, status: 204,
		summary: "Deletes a stack."},
	{method: "PATCH", path: "/api/stacks/{org}/{project}/{stack}/tags", id: "updateStackTags", tag: "stacks", access: scoped, scope: "stack_tags:update", entity: true, status: 204,
		summary: "Replaces a stack's tags (names starting with `pulumi:` are reserved).", body: apitype.UpdateStackTagsRequest{}},
	{method: "GET", path: "/api/user/stacks", id: "listStacks", tag: "stacks", access: scoped, scope: "stack:list", status: 200,
		summary:  "Lists the stacks of an organization that the caller may read.",
		query:    []param{{name: "organization", required: true, schema: str(""), description: "The organization."}, projectFilter, maxResults, continuationToken},
		response: apitype.ListStacksResponse{}, errors: []int{400}},

	{method: "POST", path: "/api/esc/environments/{org}", id: "createEnvironment", tag: "environments", access: scoped, scope: "environment:create", status: 200,
		summary: "Registers an environment so that grants can name it.",
		body:    apitype.CreateEnvironmentRequest{}, response: apitype.Environment{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/esc/environments/{org}", id: "listEnvironments", tag: "environments", access: scoped, scope: "environment:list", status: 200,
		summary: "Lists the environments of the organization that the caller may read.",
		query:   []param{projectFilter, maxResults, continuationToken}, response: apitype.ListEnvironmentsResponse{}, errors: []int{400}},
	{method: "GET", path: "/api/esc/environments/{org}/{project}/{env}", id: "getEnvironment", tag: "environments", access: scoped, scope: "environment:read", entity: true, status: 200,
		summary: "Reads an environment.", response: apitype.Environment{}},
	{method: "DELETE", path: "/api/esc/environments/{org}/{project}/{env}", id: "deleteEnvironment", tag: "environments", access: scoped, scope: "environment:delete", entity: true, status: 204,
		summary: "Deletes an environment."},
	{method: "POST", path: "/api/esc/environments/{org}/{project}/{env}/open", id: "openEnvironment", tag: "environments", access: scoped, scope: "environment:open", entity: true, status: 200,
		summary: "Opens an environment: answers a session ID.",
		description: "This server stores no environment values; the route exists so that `environment:open` is enforced and audited. " +
			"The duration is capped at the longest `MaxOpenDuration` of the caller's grants, and the cap is reported in the answer.",
		query: []param{{name: "duration", description: "How long the session lasts, as a Go duration such as `2h` (the default); must be positive.",
			schema: str("")}},
		response: apitype.OpenEnvironmentResponse{}, errors: []int{400}},
	{method: "PATCH", path: "/api/esc/environments/{org}/{project}/{env}/tags", id: "updateEnvironmentTags", tag: "environments", access: scoped, scope: "environment_tag:update", entity: true, status: 204,
		summary: "Replaces an environment's tags.", body: apitype.UpdateEnvironmentTagsRequest{}},

	{method: "GET", path: "/api/preview/insights/{org}/accounts", id: "listInsightsAccounts", tag: "insights", access: scoped, scope: "insights_account:list", status: 200,
		summary: "Lists the insights accounts that the caller may read, by name.", query: []param{maxResults, continuationToken},
		response: apitype.ListInsightsAccountsResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/preview/insights/{org}/accounts/{account}", id: "createInsightsAccount", tag: "insights", access: scoped, scope: "insights_account:create", status: 200,
		summary: "Registers an insights account so that grants can name it.",
		body:    apitype.CreateInsightsAccountRequest{}, response: apitype.InsightsAccount{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/preview/insights/{org}/accounts/{account}", id: "getInsightsAccount", tag: "insights", access: scoped, scope: "insights_account:read", entity: true, status: 200,
		summary: "Reads an insights account.", response: apitype.InsightsAccount{}},
	{method: "DELETE", path: "/api/preview/insights/{org}/accounts/{account}", id: "deleteInsightsAccount", tag: "insights", access: scoped, scope: "insights_account:delete", entity: true, status: 204,
		summary: "Deletes an insights account."},

	{method: "GET", path: "/api/orgs/{org}/auditlogs", id: "listAuditLogs", tag: "audit", access: scoped, scope: "audit_logs:read", status: 200,
		summary: "Reads the audit log, newest first.",
		query: []param{continuationToken, {name: "pageSize", description: "Events per page, 1 to 1000 (100 by default).",
			schema: object{"type": "integer", "minimum": 1, "maximum": 1000}}},
		response: apitype.ListAuditLogsResponse{}, errors: []int{400}},
	{method: "POST", path: "/api/orgs/{org}/access/check", id: "checkAccess", tag: "access", access: scoped, scope: "role:read", status: 200,
		summary: "Answers a batch of \"may this principal do this action on this entity, and why\" (at most 1000 checks).",
		description: "The principal is the caller unless `principal` names another: a token by ID (which also needs `org_token:read`), " +
			"a member as `user:<login>` (also needs `org_member_access:read`) or a team as `team:<name>` (also needs `team:read`), " +
			"answered with their effective rights, the reasons naming the path (`via team platform → role ci-prod: …`). A check that is " +
			"itself invalid (unknown scope or entity) fails alone, with `error` set in its result.",
		body: apitype.AccessCheckRequest{}, response: apitype.AccessCheckResponse{}},
	{method: "POST", path: "/api/orgs/{org}/access/who", id: "whoCan", tag: "access", access: scoped, scope: "role:read", status: 200, extension: true,
		summary: "Which principals may do an action on an entity, and through which grant (organization guardrails applied).",
		description: "Walks organization tokens, then members (each with their personal tokens), then teams (each with their team tokens), " +
			"examining at most `maxResults` tokens, members or teams per page (100 by default, at most 1000); `continuationToken` resumes. " +
			"Each kind needs the scope that reads its holders: `org_token:read` (org tokens), `org_member_access:read` (members, personal tokens), " +
			"`team:read` (teams, team tokens); without `kinds`, every kind the caller may read. Principals that a grant would allow but a " +
			"guardrail denies are listed apart, in `deniedByGuardrail`.",
		body: apitype.WhoCanRequest{}, response: apitype.WhoCanResponse{}},

	{method: "GET", path: "/api/orgs/{org}/guardrails", id: "listGuardrails", tag: "guardrails", access: scoped, scope: "role:read", status: 200, extension: true,
		summary:  "Lists the organization's guardrails, by name.",
		response: apitype.ListGuardrailsResponse{}},
	{method: "POST", path: "/api/orgs/{org}/guardrails", id: "createGuardrail", tag: "guardrails", access: scoped, scope: "role:create", status: 200, extension: true,
		summary: "Creates a guardrail: an organization-wide explicit deny that no grant overrides.",
		description: "Takes full admin (every scope on every entity; a 403 otherwise, audited as a refused escalation). `actions` are scope names acting on one " +
			"kind of entity (or all org-level); `condition`, a boolean PermissionExpression tree, selects the entities (absent: all); holders of an " +
			"`exemptRoles` role are not bound. At most 100 per organization.",
		body: apitype.CreateGuardrailRequest{}, response: apitype.Guardrail{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/orgs/{org}/guardrails/{guardrailID}", id: "getGuardrail", tag: "guardrails", access: scoped, scope: "role:read", status: 200, extension: true,
		summary:  "Reads a guardrail.",
		response: apitype.Guardrail{}},
	{method: "PUT", path: "/api/orgs/{org}/guardrails/{guardrailID}", id: "updateGuardrail", tag: "guardrails", access: scoped, scope: "role:update", status: 200, extension: true,
		summary:     "Replaces a guardrail (full admin). With `version`, a 409 if it changed since it was read.",
		description: "Takes effect on the next request: every compiled principal is dropped.",
		body:        apitype.UpdateGuardrailRequest{}, response: apitype.Guardrail{}, errors: []int{409}},
	{method: "DELETE", path: "/api/orgs/{org}/guardrails/{guardrailID}", id: "deleteGuardrail", tag: "guardrails", access: scoped, scope: "role:delete", status: 204, extension: true,
		summary: "Deletes a guardrail (full admin)."},
}

var healthSchema = object{
	"type":                 "object",
	"required":             []string{"status"},
	"properties":           object{"status": object{"type": "string", "enum": []string{"ok", "unavailable"}}},
	"additionalProperties": false,
}
