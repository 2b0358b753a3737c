package pulumi

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// GetScopes is iam:index:getScopes, the scope catalog.
type GetScopes struct{}

// GetScopesArgs are the inputs of getScopes.
type GetScopesArgs struct {
	EntityType *string `pulumi:"entityType,optional"`
}

// GetScopesResult is the result of getScopes.
type GetScopesResult struct {
	Scopes []Scope `pulumi:"scopes"`
}

// Scope is one catalog entry (object type iam:index:Scope).
type Scope struct {
	Name        string `pulumi:"name"`
	Description string `pulumi:"description"`
	Group       string `pulumi:"group"`
	EntityType  string `pulumi:"entityType"`
}

// Annotate describes the function.
func (f *GetScopes) Annotate(a infer.Annotator) {
	a.SetToken("index", "getScopes")
	a.Describe(f, "Lists the permission scopes the IAM API knows (the same catalog the server enforces), optionally only those acting on one entity type.")
}

// Annotate describes the inputs.
func (a *GetScopesArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.EntityType, "Only scopes acting on this entity type: `org`, `stack`, `environment` or `insights-account`.")
}

// Annotate describes the result.
func (r *GetScopesResult) Annotate(a infer.Annotator) {
	a.Describe(&r.Scopes, "The scopes, in catalog order.")
}

// Annotate describes a scope.
func (s *Scope) Annotate(a infer.Annotator) {
	a.SetToken("index", "Scope")
	a.Describe(s, "A permission scope.")
	a.Describe(&s.Name, "Scope name, `object:action`, such as `stack:delete`.")
	a.Describe(&s.Description, "What the scope allows.")
	a.Describe(&s.Group, "Catalog group the scope is listed under.")
	a.Describe(&s.EntityType, "Entity type the scope acts on: `org`, `stack`, `environment` or `insights-account`.")
}

// Invoke lists the catalog; it needs no API call.
func (*GetScopes) Invoke(_ context.Context, req infer.FunctionRequest[GetScopesArgs]) (infer.FunctionResponse[GetScopesResult], error) {
	scopes, err := mapping.Scopes(deref(req.Input.EntityType))
	if err != nil {
		return infer.FunctionResponse[GetScopesResult]{}, err
	}
	out := make([]Scope, len(scopes))
	for i, s := range scopes {
		out[i] = Scope(s)
	}
	return infer.FunctionResponse[GetScopesResult]{Output: GetScopesResult{Scopes: out}}, nil
}

// CheckAccess is iam:index:checkAccess, a what-if access check.
type CheckAccess struct{}

// CheckAccessArgs are the inputs of checkAccess.
type CheckAccessArgs struct {
	RoleID          *string `pulumi:"roleId,optional"`
	Details         *string `pulumi:"details,optional"`
	User            *string `pulumi:"user,optional"`
	Team            *string `pulumi:"team,optional"`
	Action          string  `pulumi:"action"`
	Stack           *string `pulumi:"stack,optional"`
	Environment     *string `pulumi:"environment,optional"`
	InsightsAccount *string `pulumi:"insightsAccount,optional"`
	Organization    *string `pulumi:"organization,optional"`
}

// CheckAccessResult is the result of checkAccess.
type CheckAccessResult struct {
	Allowed bool     `pulumi:"allowed"`
	Reasons []string `pulumi:"reasons"`
}

// Annotate describes the function.
func (f *CheckAccess) Annotate(a infer.Annotator) {
	a.SetToken("index", "checkAccess")
	a.Describe(f, "Answers whether a role (by ID, or as raw details), a member (`user`) or a team (`team`) may do an action on a stack, an environment, an insights account or the organization, with the reasons. "+
		"A role is evaluated in the provider with the same compiled decision the server makes on its routes and its access-check endpoint; "+
		"a member's or a team's effective rights (org role and every team's roles) are the server's answer, from its access check (read-only; "+
		"the provider's token needs `role:read`, and `org_member_access:read` for a member or `team:read` for a team).")
}

// Annotate describes the inputs.
func (a *CheckAccessArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.RoleID, "ID of the role to evaluate. Set exactly one of `roleId`, `details`, `user` and `team`.")
	an.Describe(&a.Details, "Raw PermissionDescriptor JSON to evaluate instead of a stored role.")
	an.Describe(&a.User, "Login of a member whose effective rights to check (their org role and their teams' roles), as the server answers.")
	an.Describe(&a.Team, "Name of a team whose rights to check (its roles), as the server answers.")
	an.Describe(&a.Action, "The scope to check, such as `stack:delete`.")
	an.Describe(&a.Stack, "The stack, as `project/stack`, for stack scopes.")
	an.Describe(&a.Environment, "The environment, as `project/environment`, for environment scopes.")
	an.Describe(&a.InsightsAccount, "The insights account name, for insights-account scopes.")
	an.Describe(&a.Organization, "Organization to evaluate in; defaults to the provider's organization.")
}

// Annotate describes the result.
func (r *CheckAccessResult) Annotate(a infer.Annotator) {
	a.Describe(&r.Allowed, "Whether the action is allowed.")
	a.Describe(&r.Reasons, "Why: the grants that allow the action, or why nothing does.")
}

// Invoke evaluates the access check.
func (*CheckAccess) Invoke(ctx context.Context, req infer.FunctionRequest[CheckAccessArgs]) (infer.FunctionResponse[CheckAccessResult], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.FunctionResponse[CheckAccessResult]{}, err
	}
	in := req.Input
	res, err := prov.CheckAccess(ctx, mapping.CheckAccessArgs{
		Organization: deref(in.Organization), RoleID: deref(in.RoleID), Details: deref(in.Details),
		User: deref(in.User), Team: deref(in.Team), Action: in.Action,
		Stack: deref(in.Stack), Environment: deref(in.Environment), InsightsAccount: deref(in.InsightsAccount),
	})
	if err != nil {
		return infer.FunctionResponse[CheckAccessResult]{}, err
	}
	reasons := res.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	return infer.FunctionResponse[CheckAccessResult]{Output: CheckAccessResult{Allowed: res.Allowed, Reasons: reasons}}, nil
}

// GetCustomRole is iam:index:getCustomRole, a role looked up by name.
type GetCustomRole struct{}

// GetRecordArgs are the inputs of getCustomRole and getPermission.
type GetRecordArgs struct {
	Name         string  `pulumi:"name"`
	Organization *string `pulumi:"organization,optional"`
}

// GetCustomRoleResult is the result of getCustomRole.
type GetCustomRoleResult struct {
	RoleID      string  `pulumi:"roleId"`
	Name        string  `pulumi:"name"`
	Description string  `pulumi:"description"`
	Version     int     `pulumi:"version"`
	Details     string  `pulumi:"details"`
	Grants      []Grant `pulumi:"grants"`
}

// Annotate describes the function.
func (f *GetCustomRole) Annotate(a infer.Annotator) {
	a.SetToken("index", "getCustomRole")
	a.Describe(f, "Looks up a role by name: a custom role, or a built-in one such as `member` (by name or identifier). "+
		"Gives its `roleId` (for an OrganizationAccessToken), its tree as the server stores it, and its grants with stack, environment and insights account names.")
}

// Annotate describes the inputs.
func (a *GetRecordArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the record to look up (case-sensitive), or a built-in one's identifier.")
	an.Describe(&a.Organization, "Organization to look in; defaults to the provider's organization.")
}

// Annotate describes the result.
func (r *GetCustomRoleResult) Annotate(a infer.Annotator) {
	a.Describe(&r.RoleID, "Server-assigned ID of the role; use it as an OrganizationAccessToken's `roleId`.")
	a.Describe(&r.Name, "Name of the role.")
	a.Describe(&r.Description, "Free-form description.")
	a.Describe(&r.Version, "Version of the record on the server; it increases with every change.")
	a.Describe(&r.Details, "The role's PermissionDescriptor tree (JSON) as the server stores it.")
	a.Describe(&r.Grants, "The role's grants as a CustomRole's `grants` would give them (permission IDs or built-in set identifiers; stacks, environments and insights accounts by name). "+
		"Empty when the tree is not of the shape grants produce (see `details`).")
}

// Invoke looks the role up.
func (*GetCustomRole) Invoke(ctx context.Context, req infer.FunctionRequest[GetRecordArgs]) (infer.FunctionResponse[GetCustomRoleResult], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.FunctionResponse[GetCustomRoleResult]{}, err
	}
	st, err := prov.LookupRole(ctx, deref(req.Input.Organization), req.Input.Name)
	if err != nil {
		return infer.FunctionResponse[GetCustomRoleResult]{}, err
	}
	grants := make([]Grant, len(st.Grants))
	for i, g := range st.Grants {
		grants[i] = grantOf(g)
	}
	return infer.FunctionResponse[GetCustomRoleResult]{Output: GetCustomRoleResult{
		RoleID: st.RoleID, Name: st.Name, Description: st.Description, Version: st.Version, Details: st.CanonicalDetails, Grants: grants,
	}}, nil
}

// GetPermission is iam:index:getPermission, a permission looked up by name.
type GetPermission struct{}

// GetPermissionResult is the result of getPermission.
type GetPermissionResult struct {
	PermissionID string   `pulumi:"permissionId"`
	Name         string   `pulumi:"name"`
	Description  string   `pulumi:"description"`
	Version      int      `pulumi:"version"`
	Scopes       []string `pulumi:"scopes"`
}

// Annotate describes the function.
func (f *GetPermission) Annotate(a infer.Annotator) {
	a.SetToken("index", "getPermission")
	a.Describe(f, "Looks up a permission (a named scope set) by name, including the built-in ones such as `stack-read` (by name or identifier). "+
		"Gives its `permissionId`, for a CustomRole grant's `permissions`, and its scopes.")
}

// Annotate describes the result.
func (r *GetPermissionResult) Annotate(a infer.Annotator) {
	a.Describe(&r.PermissionID, "Server-assigned ID of the permission; use it in a CustomRole grant's `permissions`.")
	a.Describe(&r.Name, "Name of the permission.")
	a.Describe(&r.Description, "Free-form description.")
	a.Describe(&r.Version, "Version of the record on the server; it increases with every change.")
	a.Describe(&r.Scopes, "The scopes the permission holds, such as `stack:read`.")
}

// Invoke looks the permission up.
func (*GetPermission) Invoke(ctx context.Context, req infer.FunctionRequest[GetRecordArgs]) (infer.FunctionResponse[GetPermissionResult], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.FunctionResponse[GetPermissionResult]{}, err
	}
	st, err := prov.LookupPermission(ctx, deref(req.Input.Organization), req.Input.Name)
	if err != nil {
		return infer.FunctionResponse[GetPermissionResult]{}, err
	}
	scopes := st.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	return infer.FunctionResponse[GetPermissionResult]{Output: GetPermissionResult{
		PermissionID: st.PermissionID, Name: st.Name, Description: st.Description, Version: st.Version, Scopes: scopes,
	}}, nil
}

// WhoCan is iam:index:whoCan, the reverse access query: who may do an action on an entity.
type WhoCan struct{}

// WhoCanArgs are the inputs of whoCan.
type WhoCanArgs struct {
	Action          string   `pulumi:"action"`
	Stack           *string  `pulumi:"stack,optional"`
	Environment     *string  `pulumi:"environment,optional"`
	InsightsAccount *string  `pulumi:"insightsAccount,optional"`
	Kinds           []string `pulumi:"kinds,optional"`
	Organization    *string  `pulumi:"organization,optional"`
}

// WhoCanPrincipal is one principal of whoCan's answer.
type WhoCanPrincipal struct {
	Kind    string   `pulumi:"kind"`
	ID      string   `pulumi:"id"`
	Name    string   `pulumi:"name"`
	ActsAs  string   `pulumi:"actsAs"`
	Reasons []string `pulumi:"reasons"`
}

// WhoCanResult is the result of whoCan.
type WhoCanResult struct {
	Principals        []WhoCanPrincipal `pulumi:"principals"`
	Names             []string          `pulumi:"names"`
	DeniedByGuardrail []WhoCanPrincipal `pulumi:"deniedByGuardrail"`
}

// Annotate describes the function.
func (f *WhoCan) Annotate(a infer.Annotator) {
	a.SetToken("index", "whoCan")
	a.Describe(f, "Lists the principals (organization tokens, team tokens, personal tokens, members, teams) that may do an action on a stack, an environment, "+
		"an insights account or the organization, with the grants that allow each, under the organization's guardrails — so that a program can assert at "+
		"preview time that only these tokens can, say, delete prod. The server's answer (POST /api/orgs/{org}/access/who), read-only; the provider's token "+
		"needs `role:read` and the scopes that read each kind's holders (`org_token:read`, `org_member_access:read`, `team:read`).")
}

// Annotate describes the inputs.
func (a *WhoCanArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Action, "The scope, such as `stack:delete`.")
	an.Describe(&a.Stack, "The stack, as `project/stack`, for stack scopes.")
	an.Describe(&a.Environment, "The environment, as `project/environment`, for environment scopes.")
	an.Describe(&a.InsightsAccount, "The insights account name, for insights-account scopes.")
	an.Describe(&a.Kinds, "Which kinds of principal to list: `org_token`, `team_token`, `personal_token`, `user`, `team`; by default every kind the provider's token may read.")
	an.Describe(&a.Organization, "Organization to ask in; defaults to the provider's organization.")
}

// Annotate describes a principal.
func (p *WhoCanPrincipal) Annotate(a infer.Annotator) {
	a.Describe(&p.Kind, "`org_token`, `team_token`, `personal_token`, `user` or `team`.")
	a.Describe(&p.ID, "The token's, user's or team's ID.")
	a.Describe(&p.Name, "The token's name (a personal token's description), the user's login or the team's name.")
	a.Describe(&p.ActsAs, "For team and personal tokens, whose rights they act with: `team:<name>` or `user:<login>`.")
	a.Describe(&p.Reasons, "The grants that allow it, or the guardrail that denies it.")
}

// Annotate describes the result.
func (r *WhoCanResult) Annotate(a infer.Annotator) {
	a.Describe(&r.Principals, "The principals that may do the action, in the server's order (org tokens, members with their personal tokens, teams with their team tokens).")
	a.Describe(&r.Names, "`kind:name` of each principal that may, sorted: the list to assert on.")
	a.Describe(&r.DeniedByGuardrail, "The principals a grant would allow but an organization guardrail denies.")
}

// Invoke asks the server.
func (*WhoCan) Invoke(ctx context.Context, req infer.FunctionRequest[WhoCanArgs]) (infer.FunctionResponse[WhoCanResult], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.FunctionResponse[WhoCanResult]{}, err
	}
	in := req.Input
	res, err := prov.WhoCan(ctx, mapping.WhoCanArgs{Organization: deref(in.Organization), Action: in.Action, Kinds: in.Kinds,
		Stack: deref(in.Stack), Environment: deref(in.Environment), InsightsAccount: deref(in.InsightsAccount)})
	if err != nil {
		return infer.FunctionResponse[WhoCanResult]{}, err
	}
	out := WhoCanResult{Principals: whoCanPrincipals(res.Principals), DeniedByGuardrail: whoCanPrincipals(res.DeniedByGuardrail), Names: mapping.WhoCanNames(res.Principals)}
	return infer.FunctionResponse[WhoCanResult]{Output: out}, nil
}

func whoCanPrincipals(in []mapping.WhoCanPrincipal) []WhoCanPrincipal {
	out := make([]WhoCanPrincipal, len(in))
	for i, p := range in {
		reasons := p.Reasons
		if reasons == nil {
			reasons = []string{}
		}
		out[i] = WhoCanPrincipal{Kind: p.Kind, ID: p.ID, Name: p.Name, ActsAs: p.ActsAs, Reasons: reasons}
	}
	return out
}
