package mapping

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iamref/iam/apitype"
)

// maxNamesInMessage bounds the names a lookup failure lists.
const maxNamesInMessage = 20

// LookupPermission finds a Permission (a permission set, uxPurpose "set") by name, in the
// organization given or the provider's: the data behind the getPermission function and the
// iam_permission data source, so that users find IDs without calling the API themselves.
// Built-in sets (stack-read, …) are found by name or identifier too. No such permission is an
// error that lists the names there are.
func (p *Provider) LookupPermission(ctx context.Context, orgOverride, name string) (PermissionState, error) {
	org, r, err := p.lookupRecord(ctx, orgOverride, name, apitype.UXPurposeSet, "permission")
	if err != nil {
		return PermissionState{}, err
	}
	st := permissionState(org, r)
	st.Organization = orgOverride
	return st, nil
}

// LookupRole finds a role (uxPurpose "role": custom roles, and the built-in ones such as
// "member" by name or identifier) by name, as ReadRole reads it for an import: named grants when
// the tree has the shape grants produce, else raw details; CanonicalDetails holds the tree.
func (p *Provider) LookupRole(ctx context.Context, orgOverride, name string) (CustomRoleState, error) {
	_, r, err := p.lookupRecord(ctx, orgOverride, name, apitype.UXPurposeRole, "role")
	if err != nil {
		return CustomRoleState{}, err
	}
	st, found, err := p.ReadRole(ctx, orgOverride, r.ID, nil)
	if err != nil {
		return CustomRoleState{}, err
	}
	if !found {
		return CustomRoleState{}, fmt.Errorf("role %q (%s) was deleted while it was being read", name, r.ID)
	}
	return st, nil
}

// lookupRecord lists the organization's records of one purpose and picks the one named name:
// by exact name, else by built-in identifier.
func (p *Provider) lookupRecord(ctx context.Context, orgOverride, name string, purpose apitype.UXPurpose, noun string) (string, *apitype.Role, error) {
	if strings.TrimSpace(name) == "" {
		return "", nil, Problems{problem(Root(FieldName), "required: the name of the %s to look up", noun)}
	}
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return "", nil, err
	}
	recs, err := p.client.ListRoles(ctx, org, purpose)
	if err != nil {
		return "", nil, apiErr(fmt.Sprintf("look up %s %q", noun, name), err)
	}
	for _, match := range []func(apitype.Role) bool{
		func(r apitype.Role) bool { return r.Name == name },
		func(r apitype.Role) bool { return r.DefaultIdentifier != "" && r.DefaultIdentifier == name },
	} {
		if i := slices.IndexFunc(recs, match); i >= 0 {
			return org, &recs[i], nil
		}
	}
	var names []string
	for _, r := range recs {
		if strings.EqualFold(r.Name, name) {
			return "", nil, Problems{problem(Root(FieldName), "no %s named %q in organization %s; did you mean %q? (names are case-sensitive)", noun, name, org, r.Name)}
		}
		n := fmt.Sprintf("%q", r.Name)
		if r.DefaultIdentifier != "" {
			n += " (" + r.DefaultIdentifier + ")"
		}
		names = append(names, n)
	}
	slices.Sort(names)
	list := "none"
	if len(names) > maxNamesInMessage {
		list = strings.Join(names[:maxNamesInMessage], ", ") + fmt.Sprintf(" and %d more", len(names)-maxNamesInMessage)
	} else if len(names) > 0 {
		list = strings.Join(names, ", ")
	}
	return "", nil, Problems{problem(Root(FieldName), "no %s named %q in organization %s (there are: %s)", noun, name, org, list)}
}
