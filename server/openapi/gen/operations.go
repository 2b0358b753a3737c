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

// cli is a body of one of Pulumi's own types (the CLI's wire format), documented by name.
func cli(typ string) rawSchema {
	return rawSchema{"application/json", object{"type": "object", "description": "Pulumi's `" + typ +
		"` (github.com/pulumi/pulumi/sdk/v3/go/common/apitype)."}}
}

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
	{method: "POST", path: "/api/orgs/{org}/roles/{roleID}/preview", id: "previewRole", tag: "roles", access: scoped, scope: "role:read", status: 200,
		summary: "What an edit of the record's details would change: the effective-access diff, stored nowhere.",
		description: "Compares, for every principal holding the record (org tokens with the role, members and teams holding it, the teams' members; through the roles composing it for a set or policy), " +
			"today's rights with the rights the new details would give, on the organization and every entity (at most 20,000 per kind), and lists per principal and entity the scopes gained and lost. " +
			"Principals and entities the caller may not read are counted, not listed. `refused` says why saving these details would be refused (escalation guard, grammar, built-in).",
		body: apitype.RolePreviewRequest{}, response: apitype.RolePreviewResponse{}, errors: []int{400, 404, 409}},
	{method: "DELETE", path: "/api/orgs/{org}/roles/{roleID}", id: "deleteRole", tag: "roles", access: scoped, scope: "role:delete", status: 204,
		summary:     "Deletes a record.",
		description: "409 while it is the default role, composed by another record, or held by tokens minted through the API, members or teams (unless `force=true`); tokens exchanged for OIDC ID tokens never block: the delete revokes them in its transaction. Built-in records cannot be deleted (400).",
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
		summary: "Lists the stacks of an organization that the caller may read.",
		query: []param{{name: "organization", schema: str(""), description: "The organization (the server's when absent, as `pulumi stack ls` sends it)."}, projectFilter,
			{name: "tagName", schema: str(""), description: "Only stacks with this tag (`pulumi stack ls --tag name`)."},
			{name: "tagValue", schema: str(""), description: "With tagName: only stacks whose tag has this value (`--tag name=value`)."},
			maxResults, continuationToken},
		response: apitype.ListStacksResponse{}, errors: []int{400}},

	// The Pulumi state backend: the calls the Pulumi CLI's cloud backend makes (bodies are
	// Pulumi's own types, github.com/pulumi/pulumi/sdk/v3/go/common/apitype).
	{method: "GET", path: "/api/capabilities", id: "getCapabilities", tag: "backend", access: authenticated, status: 200,
		summary: "What this Pulumi backend supports beyond the base protocol (delta checkpoints, batch encryption).", response: cli("CapabilitiesResponse")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/rename", id: "renameStack", tag: "backend", access: scoped, scope: "stack:rename", entity: true, status: 204,
		summary:     "Renames a stack or moves it to another project (`pulumi stack rename`); its ID, state and grants follow it.",
		description: "Refused (409) while an update runs or when the name is taken. Grants name stacks by ID: a rename gives no one new rights.",
		body:        cli("StackRenameRequest"), errors: []int{409}},
	{method: "GET", path: "/api/stacks/{org}/{project}/{stack}/export", id: "exportStack", tag: "backend", access: scoped, scope: "stack:export", entity: true, status: 200,
		summary: "The stack's latest state, as the CLI saved it (`pulumi stack export`).", response: cli("UntypedDeployment")},
	{method: "GET", path: "/api/stacks/{org}/{project}/{stack}/export/{version}", id: "exportStackVersion", tag: "backend", access: scoped, scope: "stack:export", entity: true, status: 200,
		summary: "The stack's state at a version (`pulumi stack export --version`).", response: cli("UntypedDeployment"), errors: []int{400}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/import", id: "importStack", tag: "backend", access: scoped, scope: "stack:import", entity: true, status: 200,
		summary: "Replaces the stack's state (`pulumi stack import`): a new version, written by an update of kind `import`.",
		body:    cli("UntypedDeployment"), response: cli("ImportStackResponse"), errors: []int{409}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/encrypt", id: "encryptValue", tag: "backend", access: scoped, scope: "stack:encrypt", entity: true, status: 200,
		summary: "Encrypts a value with the stack's key (the service secrets provider). The key never leaves the server.",
		body:    cli("EncryptValueRequest"), response: cli("EncryptValueResponse"), errors: []int{503}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/batch-encrypt", id: "batchEncrypt", tag: "backend", access: scoped, scope: "stack:encrypt", entity: true, status: 200,
		summary: "Encrypts up to 10,000 values with the stack's key.", body: cli("BatchEncryptRequest"), response: cli("BatchEncryptResponse"), errors: []int{503}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/decrypt", id: "decryptValue", tag: "backend", access: scoped, scope: "stack:decrypt", entity: true, status: 200,
		summary: "Decrypts a value the stack's key encrypted (another stack's values do not decrypt).",
		body:    cli("DecryptValueRequest"), response: cli("DecryptValueResponse"), errors: []int{503}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/batch-decrypt", id: "batchDecrypt", tag: "backend", access: scoped, scope: "stack:decrypt", entity: true, status: 200,
		summary: "Decrypts up to 10,000 values; the answer maps each ciphertext (base64) to its plaintext.",
		body:    cli("BatchDecryptRequest"), response: cli("BatchDecryptResponse"), errors: []int{503}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/decrypt/log-decryption", id: "logDecryption", tag: "backend", access: scoped, scope: "stack:read", entity: true, status: 204,
		summary: "Records in the audit log that the CLI decrypted a secret with its own secrets provider.", body: cli("Log3rdPartyDecryptionEvent")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/decrypt/log-batch-decryption", id: "logBatchDecryption", tag: "backend", access: scoped, scope: "stack:read", entity: true, status: 204,
		summary: "Records in the audit log that the CLI decrypted secrets with its own secrets provider.", body: cli("Log3rdPartyDecryptionEvent")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/preview", id: "createPreview", tag: "backend", access: scoped, scope: "stack:read", entity: true, status: 200,
		summary: "Creates a preview (`pulumi preview`).", body: cli("UpdateProgramRequest"), response: cli("UpdateProgramResponse")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/update", id: "createUpdate", tag: "backend", access: scoped, scope: "stack:write", entity: true, status: 200,
		summary: "Creates an update (`pulumi up`; with `options.dryRun`, its preview, which writes nothing).", body: cli("UpdateProgramRequest"), response: cli("UpdateProgramResponse")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/refresh", id: "createRefresh", tag: "backend", access: scoped, scope: "stack:write", entity: true, status: 200,
		summary: "Creates a refresh (`pulumi refresh`).", body: cli("UpdateProgramRequest"), response: cli("UpdateProgramResponse")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/destroy", id: "createDestroy", tag: "backend", access: scoped, scope: "stack:delete", entity: true, status: 200,
		summary: "Creates a destroy (`pulumi destroy`).", body: cli("UpdateProgramRequest"), response: cli("UpdateProgramResponse")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}", id: "startUpdate", tag: "backend", access: scoped, scope: "stack:read", entity: true, status: 200,
		summary: "Starts an update and answers its lease (`token`), which its later calls carry as `Authorization: update-token …`.",
		description: "Only the token that created the update may start it, and it must still hold the update kind's scope (`stack:read` for previews, " +
			"`stack:write` for updates and refreshes, `stack:delete` for destroys). A second update that writes state while one runs is a 409 (`pulumi cancel` ends a crashed one).",
		body: cli("StartUpdateRequest"), response: cli("StartUpdateResponse"), errors: []int{409}},
	{method: "GET", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}", id: "getUpdateStatus", tag: "backend", access: scoped, scope: "stack:read", entity: true, status: 200,
		summary: "An update's status (engine events are counted, not kept).", response: cli("UpdateResults")},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/cancel", id: "cancelUpdate", tag: "backend", access: scoped, scope: "stack:cancel_update", entity: true, status: 204,
		summary: "Cancels an update (`pulumi cancel`), so that a crashed one stops holding the stack.", errors: []int{409}},
	{method: "GET", path: "/api/stacks/{org}/{project}/{stack}/updates", id: "getStackUpdates", tag: "backend", access: scoped, scope: "stack:read", entity: true, status: 200,
		summary:  "The stack's update history, newest first (`pulumi stack history`).",
		query:    []param{{name: "pageSize", schema: object{"type": "integer", "minimum": 1, "maximum": 1000}}, {name: "page", schema: object{"type": "integer", "minimum": 1}}},
		response: cli("GetHistoryResponse"), errors: []int{400}},
	{method: "PATCH", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/checkpoint", id: "patchCheckpoint", tag: "backend", access: leased, scope: "stack:write", entity: true, status: 204,
		summary: "Saves the running update's state.", body: cli("PatchUpdateCheckpointRequest"), errors: []int{409}},
	{method: "PATCH", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/checkpointverbatim", id: "patchCheckpointVerbatim", tag: "backend", access: leased, scope: "stack:write", entity: true, status: 204,
		summary: "Saves the running update's state as the CLI serialised it.", body: cli("PatchUpdateVerbatimCheckpointRequest"), errors: []int{409}},
	{method: "PATCH", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/checkpointdelta", id: "patchCheckpointDelta", tag: "backend", access: leased, scope: "stack:write", entity: true, status: 204,
		summary: "Saves the running update's state as text edits to its last save, checked against `checkpointHash`.", body: cli("PatchUpdateCheckpointDeltaRequest"), errors: []int{409}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/events/batch", id: "postEngineEventBatch", tag: "backend", access: leased, scope: "stack:write", entity: true, status: 204,
		summary: "Records up to 10,000 engine events (counted, not kept).", body: cli("EngineEventBatch"), errors: []int{409}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/renew_lease", id: "renewLease", tag: "backend", access: leased, scope: "stack:write", entity: true, status: 200,
		summary: "Extends the update's lease by `duration` seconds (at most 3600); the lease's value stays the same.",
		body:    cli("RenewUpdateLeaseRequest"), response: cli("RenewUpdateLeaseResponse"), errors: []int{409}},
	{method: "POST", path: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/complete", id: "completeUpdate", tag: "backend", access: leased, scope: "stack:write", entity: true, status: 204,
		summary: "Ends the update with the CLI's status (`succeeded` or `failed`).", body: cli("CompleteUpdateRequest"), errors: []int{409}},

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

	{method: "GET", path: "/api/orgs/{org}/oidc/issuers", id: "listOidcIssuers", tag: "oidc", access: scoped, scope: "oidc_issuers:read", status: 200,
		summary: "Lists the OIDC issuers the organization trusts.", response: apitype.ListIssuersResponse{}},
	{method: "POST", path: "/api/orgs/{org}/oidc/issuers", id: "createOidcIssuer", tag: "oidc", access: scoped, scope: "oidc_issuers:create", status: 200,
		summary: "Registers an OIDC issuer; its authorization policy starts as a single deny.",
		description: "With `jwks` (an RFC 7517 set of public RS256/ES256 keys) nothing is fetched and `url` is the `iss` tokens must carry. Without, " +
			"the server fetches `url/.well-known/openid-configuration` and its `jwks_uri` over HTTPS (10 s, 64/256 KiB): with `thumbprints` " +
			"(SHA-256 of the TLS certificate) the certificate must match one of them and CA trust is not used; without, the chain is verified " +
			"and the certificate seen is pinned. At most 100 issuers per organization.",
		body: apitype.RegisterIssuerRequest{}, response: apitype.Issuer{}, errors: []int{409}, idempotent: true},
	{method: "GET", path: "/api/orgs/{org}/oidc/issuers/{issuerID}", id: "getOidcIssuer", tag: "oidc", access: scoped, scope: "oidc_issuers:read", status: 200,
		summary: "Reads one OIDC issuer.", response: apitype.Issuer{}},
	{method: "PATCH", path: "/api/orgs/{org}/oidc/issuers/{issuerID}", id: "updateOidcIssuer", tag: "oidc", access: scoped, scope: "oidc_issuers:update", status: 200,
		summary: "Renames an issuer and changes the fields sent (`thumbprints`, `maxExpiration`, a static issuer's `jwks`); `url` cannot change.",
		body:    apitype.UpdateIssuerRequest{}, response: apitype.Issuer{}, errors: []int{409}},
	{method: "DELETE", path: "/api/orgs/{org}/oidc/issuers/{issuerID}", id: "deleteOidcIssuer", tag: "oidc", access: scoped, scope: "oidc_issuers:delete", status: 204,
		summary: "Deletes an issuer and its policy; its ID tokens are refused from then on (tokens already exchanged live until they expire)."},
	{method: "POST", path: "/api/orgs/{org}/oidc/issuers/{issuerID}/regenerate-thumbprints", id: "regenerateOidcIssuerThumbprints", tag: "oidc",
		access: scoped, scope: "oidc_issuers:regenerate_thumbprints", status: 200,
		summary:  "Fetches the issuer again, verifying the certificate chain, and pins the certificates it presents now (400 for a static JWKS).",
		response: apitype.Issuer{}, errors: []int{400}},
	{method: "GET", path: "/api/orgs/{org}/auth/policies/oidcissuers/{issuerID}", id: "getOidcIssuerAuthPolicy", tag: "oidc", access: scoped, scope: "auth_policies:read", status: 200,
		summary: "Reads the authorization policy of an issuer.", response: apitype.AuthPolicy{}},
	{method: "PATCH", path: "/api/orgs/{org}/auth/policies/{policyID}", id: "updateAuthPolicy", tag: "oidc", access: scoped, scope: "auth_policies:update", status: 200,
		summary: "Replaces the definitions of an authorization policy (1 to 40).",
		description: "A matching `deny` refuses an exchange whatever it asks for; otherwise the first matching `allow` for the requested token " +
			"(type, team or user) grants it. `rules` map claim paths (dots separate keys; quote keys with dots) to patterns where `*` is any run " +
			"and `?` at most one character; an `allow` needs one rule that is not only wildcards, on a claim other than `aud` and `iss`. Each `allow` may hand out only rights the caller holds (else 403).",
		body: apitype.UpdateAuthPolicyRequest{}, response: apitype.AuthPolicy{}, errors: []int{409}},
	{method: "POST", path: "/api/oauth/token", id: "exchangeToken", tag: "oidc", access: public, status: 200,
		summary: "RFC 8693 token exchange: an OIDC ID token for an organization, team or personal access token, as the issuer's policy allows.",
		description: "Form-encoded (as `pulumi login --oidc-token` sends it) or JSON. `audience` is `urn:pulumi:org:{org}`, `subject_token_type` " +
			"`urn:ietf:params:oauth:token-type:id_token`, `requested_token_type` `urn:pulumi:token-type:access_token:{organization|team|personal}`, " +
			"`scope` empty or `admin`, `team:NAME`, `user:LOGIN`; `expiration` seconds (2 h by default, capped by the issuer's `maxExpiration`). " +
			"The ID token must be RS256 or ES256 signed by a key of a registered issuer, with `iss`, `aud` containing the audience, `exp` " +
			"(and `nbf`, `iat` if present) valid within 30 s, and each `jti` is exchanged once. Refusals are RFC 6749 error bodies; every " +
			"problem with the ID token or the policy is the same `invalid_grant`, the precise reason is in the audit log.",
		body: apitype.TokenExchangeRequest{}, response: apitype.TokenExchangeResponse{},
		otherResponses: object{"400": object{"description": "Refused (RFC 6749 §5.2).",
			"content": object{"application/json": object{"schema": oauthErrorSchema}}}}},

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
	{method: "GET", path: "/api/orgs/{org}/entities", id: "listEntities", tag: "access", access: authenticated, status: 200,
		summary:     "Lists one page of the stacks, environments or insights accounts the caller may read, with their tags (the console's access explorer).",
		description: "Entities the caller may not read (its kind's read scope) are left out. `tag` keeps those with the tag (`key`) or the tag at a value (`key=value`); filtering happens on the server, so pages stay small for thousands of entities.",
		query: []param{
			{name: "kind", description: "stack, environment or insights-account.", required: true, schema: object{"type": "string", "enum": []string{"stack", "environment", "insights-account"}}},
			{name: "project", description: "Only this project's entities.", schema: str("")},
			{name: "tag", description: "`key` or `key=value` (at most 512 bytes).", schema: str("")},
			maxResults, continuationToken},
		response: apitype.ListEntitiesResponse{}, errors: []int{400}},
	{method: "GET", path: "/api/orgs/{org}/usage", id: "getScopeUsage", tag: "access", access: scoped, scope: "org_token:read", status: 200,
		summary: "Scopes a principal holds vs. those its tokens' authorized requests used over the last `days` days, and a narrower role (details, Pulumi YAML, Terraform HCL).",
		description: "The principal is a token ID, `user:<login>` (also needs `org_member_access:read`; counts the member's personal tokens) or `team:<name>` (also needs `team:read`; counts the team's tokens). " +
			"The server counts, per token, UTC day and scope, the requests its route guard authorized (and the read scope of listings that showed something). " +
			"The suggested role keeps each current grant's reach (entities, conditions), narrowed to the used scopes: it never grants more than the principal holds.",
		query: []param{
			{name: "principal", description: "A token ID, `user:<login>` or `team:<name>`.", required: true, schema: str("")},
			{name: "days", description: "Days counted back from today, 1 to 400 (30 by default).", schema: object{"type": "integer", "minimum": 1, "maximum": 400}}},
		response: apitype.ScopeUsageResponse{}, errors: []int{400, 404}},
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
			"kind of entity (or all org-level); `condition`, a boolean PermissionExpression tree of the wire grammar, selects the entities (absent: all); holders of an " +
			"`exemptRoles` role are not bound. At most 100 per organization. The API takes and returns only the wire tree (its canonical, stored form); " +
			"the Pulumi and Terraform providers let people write it in the condition language (docs/conditions.md, e.g. `stack.tags.env == \"prod\"`), " +
			"compile it to this tree before sending and print it back on read.",
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

var oauthErrorSchema = object{
	"type":     "object",
	"required": []string{"error"},
	"properties": object{
		"error": object{"type": "string", "enum": []string{"invalid_request", "invalid_grant", "invalid_scope", "invalid_target",
			"unsupported_grant_type", "server_error"}},
		"error_description": object{"type": "string"},
	},
}

var healthSchema = object{
	"type":                 "object",
	"required":             []string{"status"},
	"properties":           object{"status": object{"type": "string", "enum": []string{"ok", "unavailable"}}},
	"additionalProperties": false,
}
