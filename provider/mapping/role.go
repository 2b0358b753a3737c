package mapping

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/authz/condition"
	"github.com/iamref/iam/client"
)

// Grant is one grant of a CustomRole: permission sets (Permission IDs, Policy IDs or built-in
// set identifiers such as "stack-admin") and scopes, on the listed stacks ("project/stack"),
// environments ("project/env") and insights accounts (by name), on the stacks and environments
// carrying every tag of StackTags / EnvironmentTags, and on the entities Condition (the
// condition language of authz/condition) holds for; a grant with none of these applies
// org-wide. MaxOpenDuration (a duration such as "1h") bounds environment opens. It is
// authz.GrantSpec with names where a GrantSpec holds identities and text where it holds
// expressions: a distinct type, so that unresolved names never reach authz.BuildRole by
// accident; CompileRole resolves one into the other.
type Grant struct {
	Permissions []string
	Scopes      []string
	authz.Refs
	StackTags       map[string]string
	EnvironmentTags map[string]string
	Condition       string
	MaxOpenDuration string
}

// TagsOf is the tag selector of kind k (nil for insights accounts).
func (g *Grant) TagsOf(k authz.EntityKind) map[string]string {
	switch k {
	case authz.KindStack:
		return g.StackTags
	case authz.KindEnvironment:
		return g.EnvironmentTags
	}
	return nil
}

// spec is the grant's authz form with the entity names left as they are (CheckRole replaces
// them by stand-ins, CompileRole by identities); problems with the condition and the duration
// are reported at their paths.
func (g Grant) spec(at Path) (authz.GrantSpec, Problems) {
	var ps Problems
	spec := authz.GrantSpec{Permissions: g.Permissions, Scopes: g.Scopes, Refs: g.Refs, StackTags: g.StackTags, EnvironmentTags: g.EnvironmentTags}
	for _, f := range []struct {
		field Field
		tags  map[string]string
	}{{FieldStackTags, g.StackTags}, {FieldEnvironmentTags, g.EnvironmentTags}} {
		if f.tags != nil && len(f.tags) == 0 {
			// Fail closed: an empty selector (say, from an empty variable) must not widen the
			// grant to every entity.
			ps = append(ps, problem(at.Dot(f.field), "empty: a grant selects by at least one tag; remove it for a grant on every entity, or add a pair"))
		}
		for _, k := range SortedUnique(slices.Collect(maps.Keys(f.tags))) {
			if msg := authz.CheckTagName(k); msg != "" {
				ps = append(ps, problem(at.Dot(f.field), "%s", msg))
			} else if msg := authz.CheckTagValue(f.tags[k]); msg != "" {
				ps = append(ps, problem(at.Dot(f.field), "tag %q: %s", k, msg))
			}
		}
	}
	if g.Condition != "" {
		x, err := condition.Compile(g.Condition)
		if err != nil {
			ps = append(ps, problem(at.Dot(FieldCondition), "%s", conditionMsg(err)))
		} else {
			for _, k := range authz.ExprTagKeys(x) {
				if msg := authz.CheckTagName(k); msg != "" {
					ps = append(ps, problem(at.Dot(FieldCondition), "%s", msg))
					break
				}
			}
		}
		spec.Condition = x
	}
	if g.MaxOpenDuration != "" {
		d, err := ParseDuration(g.MaxOpenDuration)
		switch {
		case err != nil:
			ps = append(ps, problem(at.Dot(FieldMaxOpenDuration), "%s", err))
		case d < time.Second || d%time.Second != 0:
			ps = append(ps, problem(at.Dot(FieldMaxOpenDuration), "%q: give a whole number of seconds, at least 1s (such as \"15m\" or \"2h\")", g.MaxOpenDuration))
		default:
			spec.MaxOpenDuration = int64(d / time.Second)
		}
	}
	return spec, ps
}

// conditionMsg is a condition's compile error as a message: line and column inside the text.
func conditionMsg(err error) string {
	var ce *condition.Error
	if errors.As(err, &ce) {
		return fmt.Sprintf("at line %d, column %d: %s", ce.Line, ce.Column, ce.Msg)
	}
	return err.Error()
}

// CustomRoleArgs are the inputs of a CustomRole: either Grants or Details (raw
// PermissionDescriptor JSON for roles built elsewhere), not both.
type CustomRoleArgs struct {
	Organization string
	Name         string
	Description  string
	Grants       []Grant
	Details      string
}

// CustomRoleState is a CustomRole as the server has it.
type CustomRoleState struct {
	CustomRoleArgs
	RoleID  string
	Version int
	// CanonicalDetails is the role's tree as the server returns it (canonical JSON); providers
	// expose it as the `details` output and diff on it.
	CanonicalDetails string
}

// UsesDetails reports whether the role is given as raw details.
func (a CustomRoleArgs) UsesDetails() bool { return a.Details != "" }

// NormalizeGrant sorts and de-duplicates each list of a grant (they are sets).
func NormalizeGrant(g Grant) Grant {
	out := Grant{Permissions: SortedUnique(g.Permissions), Scopes: SortedUnique(g.Scopes),
		StackTags: g.StackTags, EnvironmentTags: g.EnvironmentTags, Condition: g.Condition, MaxOpenDuration: g.MaxOpenDuration}
	for _, k := range authz.EntityKinds {
		out.Set(k, SortedUnique(g.Of(k)))
	}
	return out
}

// CheckRole validates inputs offline (at preview/plan): grants XOR details, known scopes
// (with the closest valid name), scope kinds that fit the listed entities, entity references
// of the form "project/name", known built-in set identifiers, and parseable details.
func CheckRole(a CustomRoleArgs) Problems {
	var ps Problems
	if strings.TrimSpace(a.Name) == "" {
		ps = append(ps, problem(Root(FieldName), "required"))
	}
	switch {
	case a.UsesDetails() && len(a.Grants) > 0:
		return append(ps, problem(Root(FieldDetails), "set either %s or %s, not both", FieldGrants, FieldDetails))
	case a.UsesDetails():
		if _, err := authz.Parse([]byte(a.Details)); err != nil {
			if pe, ok := authz.AsParseError(err); ok {
				at := Root(FieldDetails)
				at.JSON = strings.TrimPrefix(pe.Path, "$")
				return append(ps, problem(at, "%s", pe.Msg))
			}
			return append(ps, problem(Root(FieldDetails), "%s", err))
		}
		return ps
	}
	specs := make([]authz.GrantSpec, len(a.Grants))
	for i, g := range a.Grants {
		at := Root(FieldGrants).At(i)
		for j, perm := range g.Permissions {
			if msg := checkPermissionRef(perm); msg != "" {
				ps = append(ps, problem(at.Dot(FieldPermissions).At(j), "%s", msg))
			}
		}
		// Placeholder identities let authz check scope kinds against the lists offline.
		spec, cps := g.spec(at)
		ps = append(ps, cps...)
		for _, k := range authz.EntityKinds {
			if list := g.Of(k); list != nil && len(list) == 0 {
				// Fail closed: an empty list (say, from an empty variable) must not turn the
				// grant into one on every entity.
				ps = append(ps, problem(at.Dot(Field(k.GrantField())), "empty: name at least one, or remove it for a grant on every %s", k))
			}
			for j, name := range g.Of(k) {
				if msg := checkEntityName(k, name); msg != "" {
					ps = append(ps, problem(at.Dot(Field(k.GrantField())).At(j), "%s", msg))
				}
			}
			spec.Set(k, placeholders(g.Of(k)))
		}
		specs[i] = spec
	}
	if len(ps) > 0 {
		return ps
	}
	n, err := authz.BuildRole(specs)
	if err != nil {
		return append(ps, grantProblem(err))
	}
	// The server parses what it is sent: limits of the whole tree (depth, size) fail here.
	if _, err := authz.Parse(authz.Format(n)); err != nil {
		return append(ps, problem(Root(FieldGrants), "the grants make a tree the server would refuse: %s", err))
	}
	return ps
}

// grantProblem is authz.BuildRole's error as a problem: at the grant field it names, with the
// grant fields in its text as Fields, so that each front end spells them.
func grantProblem(err error) Problem {
	var ge *authz.GrantError
	if !errors.As(err, &ge) {
		return problem(Root(FieldGrants), "%s", err)
	}
	at, perr := ParsePath(ge.Field)
	if perr != nil {
		at = Root(FieldGrants)
	}
	fields := []Field{FieldPermissions, FieldScopes, FieldStackTags, FieldEnvironmentTags, FieldCondition, FieldMaxOpenDuration}
	for _, k := range authz.EntityKinds {
		fields = append(fields, Field(k.GrantField()))
	}
	return Problem{Path: at, Msg: namedIn(ge.Msg, fields...)}
}

func placeholders(refs []string) []string {
	out := make([]string, len(refs))
	for i := range refs {
		out[i] = fmt.Sprintf("ref-%d", i)
	}
	return out
}

// checkPermissionRef accepts a Permission ID or a built-in set identifier, and explains a
// near-miss of a built-in identifier.
func checkPermissionRef(ref string) string {
	switch {
	case strings.TrimSpace(ref) == "":
		return "empty permission reference"
	case isBuiltinSet(ref):
		return ""
	case looksLikeID(ref):
		return ""
	}
	if b, ok := authz.BuiltinByIdentifier(ref); ok {
		return fmt.Sprintf("%q is a built-in role, not a permission set; use one of %s", b.Identifier, builtinSetNames())
	}
	return fmt.Sprintf("%q is neither a Permission or Policy ID nor a built-in permission set (%s)", ref, builtinSetNames())
}

// looksLikeID accepts the server's record IDs (UUIDs).
func looksLikeID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if r != '-' {
				return false
			}
		case !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f'):
			return false
		}
	}
	return true
}

// CompileRole turns inputs into the canonical tree the server will store: built-in set
// identifiers and entity names are resolved to IDs through the API.
func (p *Provider) CompileRole(ctx context.Context, a CustomRoleArgs) ([]byte, error) {
	if err := CheckRole(a).Err(); err != nil {
		return nil, err
	}
	if a.UsesDetails() {
		return authz.Canonical([]byte(a.Details))
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return nil, err
	}
	specs := make([]authz.GrantSpec, len(a.Grants))
	for i, g := range a.Grants {
		at := Root(FieldGrants).At(i)
		spec, ps := g.spec(at)
		if err := ps.Err(); err != nil {
			return nil, err
		}
		spec.Permissions = nil
		for j, perm := range g.Permissions {
			id := perm
			if isBuiltinSet(perm) {
				ids, err := p.builtinIDs(ctx, org)
				if err != nil {
					return nil, err
				}
				if id = ids[perm]; id == "" {
					return nil, errorf(nil, "%s: the server has no built-in permission set %q", at.Dot(FieldPermissions).At(j), perm)
				}
			}
			spec.Permissions = append(spec.Permissions, id)
		}
		for _, k := range authz.EntityKinds {
			var ids []string
			for j, name := range g.Of(k) {
				e, err := p.entity(ctx, org, k, name)
				if err != nil {
					return nil, errorf(err, "%s", at.Dot(Field(k.GrantField())).At(j))
				}
				ids = append(ids, e.ID)
			}
			spec.Set(k, ids)
		}
		specs[i] = spec
	}
	n, err := authz.BuildRole(specs)
	if err != nil {
		return nil, err
	}
	return authz.Format(n), nil
}

// recordKind is what the CustomRole and Policy mappings share: the uxPurpose of their records
// and the word their messages use.
type recordKind struct {
	purpose apitype.UXPurpose
	what    string
}

var (
	roleKind   = recordKind{apitype.UXPurposeRole, "role"}
	policyKind = recordKind{apitype.UXPurposePolicy, "policy"}
)

func recordRequest(k recordKind, a CustomRoleArgs, details []byte) apitype.CreateRoleRequest {
	return apitype.CreateRoleRequest{Name: a.Name, Description: a.Description, ResourceType: "global", UXPurpose: k.purpose, Details: details}
}

// CreateRole creates the role.
func (p *Provider) CreateRole(ctx context.Context, a CustomRoleArgs) (CustomRoleState, error) {
	return p.createRecord(ctx, roleKind, a)
}

func (p *Provider) createRecord(ctx context.Context, k recordKind, a CustomRoleArgs) (CustomRoleState, error) {
	org, err := p.Org(a.Organization)
	if err != nil {
		return CustomRoleState{}, err
	}
	details, err := p.CompileRole(ctx, a)
	if err != nil {
		return CustomRoleState{}, err
	}
	r, err := p.client.CreateRole(ctx, org, recordRequest(k, a, details))
	if err != nil {
		return CustomRoleState{}, apiErr(fmt.Sprintf("create %s %q", k.what, a.Name), err)
	}
	return CustomRoleState{CustomRoleArgs: a, RoleID: r.ID, Version: r.Version, CanonicalDetails: string(r.Details)}, nil
}

// UpdateRole changes the role in place, expecting the version last read.
func (p *Provider) UpdateRole(ctx context.Context, old CustomRoleState, a CustomRoleArgs) (CustomRoleState, error) {
	return p.updateRecord(ctx, roleKind, old, a)
}

func (p *Provider) updateRecord(ctx context.Context, k recordKind, old CustomRoleState, a CustomRoleArgs) (CustomRoleState, error) {
	org, err := p.Org(a.Organization)
	if err != nil {
		return CustomRoleState{}, err
	}
	details, err := p.CompileRole(ctx, a)
	if err != nil {
		return CustomRoleState{}, err
	}
	r, err := p.update(ctx, org, old.RoleID, old.Version, k.what, recordRequest(k, a, details))
	if err != nil {
		return CustomRoleState{}, err
	}
	return CustomRoleState{CustomRoleArgs: a, RoleID: r.ID, Version: r.Version, CanonicalDetails: string(r.Details)}, nil
}

// DeleteRole deletes the role; a role already gone is fine. A role still used by tokens is
// not deleted (the server's error names them).
func (p *Provider) DeleteRole(ctx context.Context, st CustomRoleState) error {
	return p.deleteRecord(ctx, st.Organization, st.RoleID, fmt.Sprintf("role %q", st.Name))
}

// ReadRole reads the role back; found is false when it is gone. When prior inputs are given
// and still compile to exactly the server's tree, they are kept (no drift); otherwise the
// inputs are rebuilt from the server's tree: grants with names when the tree has the shape
// grants produce, else raw details. That is also how an import learns its inputs.
//
// Prior inputs that name an entity which no longer exists (ErrNoEntity) cannot match the
// server's tree, so they are rebuilt too; any other failure to compile them, and any failed
// lookup while naming the server's entities, is returned as an error, never read as drift.
func (p *Provider) ReadRole(ctx context.Context, orgOverride, id string, prior *CustomRoleArgs) (st CustomRoleState, found bool, err error) {
	return p.readRecord(ctx, roleKind, orgOverride, id, prior)
}

func (p *Provider) readRecord(ctx context.Context, k recordKind, orgOverride, id string, prior *CustomRoleArgs) (st CustomRoleState, found bool, err error) {
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return CustomRoleState{}, false, err
	}
	r, err := p.client.GetRole(ctx, org, id)
	if client.IsRecordNotFound(err, recordResource) {
		return CustomRoleState{}, false, nil
	}
	if err != nil {
		return CustomRoleState{}, false, apiErr("read "+k.what+" "+id, err)
	}
	if r.UXPurpose != k.purpose {
		return CustomRoleState{}, false, fmt.Errorf("%s is a %s, not a %s", id, r.UXPurpose, k.what)
	}
	st = CustomRoleState{RoleID: r.ID, Version: r.Version, CanonicalDetails: string(r.Details)}
	st.Organization, st.Name, st.Description = orgOverride, r.Name, r.Description
	if prior != nil {
		mine, err := p.CompileRole(ctx, *prior)
		switch {
		case err == nil && bytes.Equal(mine, r.Details):
			st.Grants, st.Details = prior.Grants, prior.Details
			return st, true, nil
		case err != nil && !errors.Is(err, ErrNoEntity):
			return CustomRoleState{}, false, fmt.Errorf("read %s %s: compare with the prior inputs: %w", k.what, id, err)
		}
		if prior.UsesDetails() {
			st.Details = string(r.Details)
			return st, true, nil
		}
	}
	if st.Grants, st.Details, err = p.grantsOf(ctx, org, r.Details); err != nil {
		return CustomRoleState{}, false, fmt.Errorf("read %s %s: %w", k.what, id, err)
	}
	return st, true, nil
}

// grantsOf reads a server tree back into named grants. The tree comes back as raw details only
// when named grants cannot express it: it is not of the shape grants produce (authz.GrantsOf),
// or it grants on an entity identity that names no entity the server has (one deleted since).
// A failed lookup is an error.
func (p *Provider) grantsOf(ctx context.Context, org string, details []byte) (grants []Grant, raw string, err error) {
	n, err := authz.Parse(details)
	if err != nil {
		return nil, "", fmt.Errorf("the server's details do not parse: %w", err)
	}
	specs, ok := authz.GrantsOf(n)
	if !ok {
		return nil, string(details), nil
	}
	names, err := p.entityNames(ctx, org)
	if err != nil {
		return nil, "", err
	}
	builtins, err := p.builtinIDs(ctx, org)
	if err != nil {
		return nil, "", err
	}
	byID := map[string]string{}
	for ident, id := range builtins {
		byID[id] = ident
	}
	grants = make([]Grant, 0, len(specs))
	for _, s := range specs {
		g := Grant{Scopes: s.Scopes, StackTags: s.StackTags, EnvironmentTags: s.EnvironmentTags}
		if s.Condition != nil {
			if g.Condition, err = condition.Print(s.Condition); err != nil {
				return nil, string(details), nil // a condition the language cannot say stays raw
			}
		}
		if s.MaxOpenDuration > 0 {
			g.MaxOpenDuration = FormatDuration(s.MaxOpenDuration)
		}
		for _, id := range s.Permissions {
			if ident, ok := byID[id]; ok {
				id = ident
			}
			g.Permissions = append(g.Permissions, id)
		}
		for _, k := range authz.EntityKinds {
			var list []string
			for _, id := range s.Of(k) {
				name, ok := names[k][id]
				if !ok {
					return nil, string(details), nil // an entity that no longer exists has no name
				}
				list = append(list, name)
			}
			g.Set(k, list)
		}
		if _, ps := g.spec(Root(FieldGrants)); len(ps) > 0 {
			return nil, string(details), nil // typed grants would fail their own checks (a reserved tag name, …)
		}
		grants = append(grants, NormalizeGrant(g))
	}
	return grants, "", nil
}

// RoleChanges lists what differs between the server's role and the inputs: name and
// description directly, grants/details by comparing the canonical trees. Any failure to
// compile the inputs is returned, an entity they name that does not exist (ErrNoEntity) too:
// stacks, environments and insights accounts are not managed by the providers (Pulumi Cloud or
// the server's registry has them), so a name that is unknown at preview/plan will still be
// unknown at apply.
func (p *Provider) RoleChanges(ctx context.Context, old CustomRoleState, a CustomRoleArgs) (update, replace []Field, err error) {
	replace, update = recordChanges(old.Organization, old.Name, old.Description, a.Organization, a.Name, a.Description)
	field := FieldGrants
	if a.UsesDetails() {
		field = FieldDetails
	}
	mine, err := p.CompileRole(ctx, a)
	if err != nil {
		return nil, nil, err
	}
	// State may hold any spelling of the tree; one that does not parse differs from any input.
	theirs, cerr := authz.Canonical([]byte(old.CanonicalDetails))
	if cerr != nil || !bytes.Equal(mine, theirs) {
		update = append(update, field)
	}
	return update, replace, nil
}

// CheckRoleEntities looks up (read-only) every stack, environment and insights account the
// grants name, except those not known yet (u), so that a name that does not exist fails the
// preview/plan instead of the apply. Missing entities are Problems at their paths; a failed
// lookup is the API's error. It does nothing for roles given as details.
func (p *Provider) CheckRoleEntities(ctx context.Context, a CustomRoleArgs, u Unknowns) error {
	if a.UsesDetails() || len(a.Grants) == 0 || u.Has(Root(FieldOrganization)) {
		return nil
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return err
	}
	var ps Problems
	for i, g := range a.Grants {
		at := Root(FieldGrants).At(i)
		for _, k := range authz.EntityKinds {
			list := at.Dot(Field(k.GrantField()))
			if u.Has(list) {
				continue
			}
			for j, name := range g.Of(k) {
				if u.Has(list.At(j)) || checkEntityName(k, name) != "" {
					continue
				}
				_, err := p.entity(ctx, org, k, name)
				var ne *noEntityError
				switch {
				case errors.As(err, &ne):
					ps = append(ps, problem(list.At(j), "%s", ne.Error()))
				case err != nil:
					return errorf(err, "%s", list.At(j))
				}
			}
		}
	}
	return ps.Err()
}
