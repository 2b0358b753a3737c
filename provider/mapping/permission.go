package mapping

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
)

// PermissionArgs are the inputs of a Permission: a reusable scope set (uxPurpose "set").
type PermissionArgs struct {
	Organization string
	Name         string
	Description  string
	Scopes       []string
}

// recordResource and tokenResource are the `resource` of the server's not-found answers for
// permission descriptor records (permissions, roles) and tokens: only that answer means that a
// resource is gone.
const (
	recordResource = "role"
	tokenResource  = "token"
)

// PermissionState is a Permission as the server has it.
type PermissionState struct {
	PermissionArgs
	PermissionID string
	Version      int
	ResourceType string // the entity kind of its scopes, or "global"
}

// CheckPermission validates inputs offline (at preview/plan): a name, known scopes (with the
// closest valid name for a typo), and scopes of a single entity kind or org-level ones only.
func CheckPermission(a PermissionArgs) Problems {
	var ps Problems
	if strings.TrimSpace(a.Name) == "" {
		ps = append(ps, problem(Root(FieldName), "required"))
	}
	if len(a.Scopes) == 0 {
		ps = append(ps, problem(Root(FieldScopes), "list at least one scope (see the %s)", TermScopeCatalog))
	}
	ps = append(ps, checkScopes(Root(FieldScopes), a.Scopes)...)
	if len(ps) == 0 {
		if _, err := scopeKind(a.Scopes); err != nil {
			ps = append(ps, problem(Root(FieldScopes), "%s", err))
		}
	}
	return ps
}

func checkScopes(at Path, scopes []string) Problems {
	var ps Problems
	for i, s := range scopes {
		if _, err := authz.LookupScope(s); err != nil {
			ps = append(ps, problem(at.At(i), "%s", err))
		}
	}
	return ps
}

// scopeKind is the one entity kind the scopes act on (KindOrg when all are org-level).
func scopeKind(scopes []string) (authz.EntityKind, error) {
	kinds, err := authz.ScopeKinds(scopes)
	if err != nil {
		return 0, err
	}
	switch len(kinds) {
	case 0:
		return authz.KindOrg, nil
	case 1:
		return kinds[0], nil
	}
	byKind := map[authz.EntityKind][]string{}
	for _, s := range scopes {
		sc, _ := authz.LookupScope(s)
		byKind[sc.Kind] = append(byKind[sc.Kind], s)
	}
	var parts []string
	for _, k := range kinds {
		parts = append(parts, fmt.Sprintf("%s: %s", k, strings.Join(byKind[k], ", ")))
	}
	return 0, fmt.Errorf("a permission holds scopes of one entity kind (stack, environment or insights-account) or only organization-level scopes; these mix %s — split them into separate permissions", strings.Join(parts, "; "))
}

// SortedUnique is a copy of list sorted and without duplicates. Every list input (scopes,
// permission references, entity names) is a set, so that order and duplicates never cause a diff.
func SortedUnique(list []string) []string {
	out := slices.Clone(list)
	slices.Sort(out)
	return slices.Compact(out)
}

func permissionRecord(a PermissionArgs) (apitype.CreateRoleRequest, error) {
	if err := CheckPermission(a).Err(); err != nil {
		return apitype.CreateRoleRequest{}, err
	}
	kind, _ := scopeKind(a.Scopes)
	return apitype.CreateRoleRequest{
		Name: a.Name, Description: a.Description, ResourceType: kind.ResourceType(),
		UXPurpose: apitype.UXPurposeSet,
		Details:   authz.Format(&authz.Allow{Permissions: SortedUnique(a.Scopes)}),
	}, nil
}

func permissionState(org string, r *apitype.Role) PermissionState {
	st := PermissionState{
		PermissionArgs: PermissionArgs{Organization: org, Name: r.Name, Description: r.Description},
		PermissionID:   r.ID, Version: r.Version, ResourceType: r.ResourceType,
	}
	if n, err := authz.Parse(r.Details); err == nil {
		st.Scopes = authz.Permissions(n) // a set edited out of band may be more than one Allow
	}
	return st
}

// CreatePermission creates the set.
func (p *Provider) CreatePermission(ctx context.Context, a PermissionArgs) (PermissionState, error) {
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return PermissionState{}, err
	}
	req, err := permissionRecord(a)
	if err != nil {
		return PermissionState{}, err
	}
	r, err := p.client.CreateRole(ctx, org, req)
	if err != nil {
		return PermissionState{}, apiErr(fmt.Sprintf("create permission %q", a.Name), err)
	}
	st := permissionState(org, r)
	st.Organization = a.Organization
	return st, nil
}

// ReadPermission reads the set; found is false when it is gone.
func (p *Provider) ReadPermission(ctx context.Context, orgOverride, id string) (st PermissionState, found bool, err error) {
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return PermissionState{}, false, err
	}
	r, err := p.client.GetRole(ctx, org, id)
	if client.IsRecordNotFound(err, recordResource) {
		return PermissionState{}, false, nil
	}
	if err != nil {
		return PermissionState{}, false, apiErr("read permission "+id, err)
	}
	if r.UXPurpose != apitype.UXPurposeSet {
		return PermissionState{}, false, fmt.Errorf("%s is a %s, not a permission set", id, r.UXPurpose)
	}
	st = permissionState(org, r)
	st.Organization = orgOverride
	return st, true, nil
}

// UpdatePermission changes the set in place, expecting the version last read.
func (p *Provider) UpdatePermission(ctx context.Context, old PermissionState, a PermissionArgs) (PermissionState, error) {
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return PermissionState{}, err
	}
	req, err := permissionRecord(a)
	if err != nil {
		return PermissionState{}, err
	}
	r, err := p.update(ctx, org, old.PermissionID, old.Version, "permission", req)
	if err != nil {
		return PermissionState{}, err
	}
	st := permissionState(org, r)
	st.Organization = a.Organization
	return st, nil
}

// recordChanges compares the fields every record has: a new organization replaces it, a new
// name or description updates it in place.
func recordChanges(oldOrg, oldName, oldDesc, org, name, desc string) (replace, update []Field) {
	if oldOrg != org {
		replace = append(replace, FieldOrganization)
	}
	if oldName != name {
		update = append(update, FieldName)
	}
	if oldDesc != desc {
		update = append(update, FieldDescription)
	}
	return replace, update
}

// update PATCHes a record with the expected version and explains a conflict.
func (p *Provider) update(ctx context.Context, org, id string, version int, what string, req apitype.CreateRoleRequest) (*apitype.Role, error) {
	v := version
	patch := apitype.UpdateRoleRequest{Name: &req.Name, Description: &req.Description, Details: req.Details}
	if v > 0 {
		patch.Version = &v
	}
	r, err := p.client.UpdateRole(ctx, org, id, patch)
	if client.IsConflict(err) {
		return nil, errorf(err, "update %s %q: it was changed on the server since it was last read (version %d); run %s and try again", what, req.Name, version, TermRefresh)
	}
	if err != nil {
		return nil, apiErr(fmt.Sprintf("update %s %q", what, req.Name), err)
	}
	return r, nil
}

// DeletePermission deletes the set; a set already gone is fine.
func (p *Provider) DeletePermission(ctx context.Context, st PermissionState) error {
	return p.deleteRecord(ctx, st.Organization, st.PermissionID, fmt.Sprintf("permission %q", st.Name))
}

func (p *Provider) deleteRecord(ctx context.Context, orgOverride, id, what string) error {
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return err
	}
	err = p.client.DeleteRole(ctx, org, id, false)
	switch {
	case err == nil, client.IsRecordNotFound(err, recordResource):
		return nil // already gone; an unknown organization or a 404 from no route is an error
	case client.IsConflict(err):
		return p.inUse(ctx, org, id, "delete "+what, err)
	}
	return apiErr("delete "+what, err)
}

// inUse explains the server's refusal (409) to delete record id: the records that still
// compose it, looked up (read-only) so that the message names them and the fix, or else the
// server's own message (only the message: the field error's type adds nothing here).
func (p *Provider) inUse(ctx context.Context, org, id, what string, cause error) error {
	var users []string
	for _, purpose := range []apitype.UXPurpose{apitype.UXPurposeRole, apitype.UXPurposePolicy, apitype.UXPurposeSet} {
		recs, err := p.client.ListRoles(ctx, org, purpose)
		if err != nil {
			break // the server's message below still says who
		}
		for _, r := range recs {
			n, err := authz.Parse(r.Details)
			if err == nil && slices.Contains(authz.References(n), id) {
				users = append(users, fmt.Sprintf("%s %q (%s)", purpose, r.Name, r.ID))
			}
		}
	}
	if len(users) > 0 {
		return &Error{Msg: Msgf("%s: it is still granted by %s: remove it from their %s first, or %s", what, strings.Join(users, ", "), FieldGrants, TermDeleteAfterUpdate)}
	}
	var ae *client.APIError
	if errors.As(cause, &ae) && ae.Message != "" {
		return fmt.Errorf("%s: %s (%s %s: %d)", what, ae.Message, ae.Method, ae.Path, ae.StatusCode)
	}
	return fmt.Errorf("%s: still in use: %w", what, cause)
}

// PermissionChanges lists the inputs whose change needs an update (organization: replace).
func PermissionChanges(old PermissionState, a PermissionArgs) (update, replace []Field) {
	replace, update = recordChanges(old.Organization, old.Name, old.Description, a.Organization, a.Name, a.Description)
	if !slices.Equal(SortedUnique(old.Scopes), SortedUnique(a.Scopes)) {
		update = append(update, FieldScopes)
	}
	return update, replace
}
