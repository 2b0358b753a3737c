package mapping

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
)

// MemberArgs are the inputs of an OrganizationMember: a user's membership of the organization
// with exactly one of a built-in role (Role) or any role by ID (RoleID).
type MemberArgs struct {
	Organization string
	Login        string
	Role         string // "admin", "member" or "billing-manager"
	RoleID       string // a custom (or built-in) role's ID
	Name         string // used only when the server creates the user
	Email        string // used only when the server creates the user
}

// MemberState is an OrganizationMember as the server has it.
type MemberState struct {
	MemberArgs
}

// memberResource is the `resource` of the server's not-found answer for a member.
const memberResource = "member"

// BuiltinMemberRoles are the built-in roles Role takes.
var BuiltinMemberRoles = []string{apitype.OrgRoleAdmin, apitype.OrgRoleMember, apitype.OrgRoleBillingManager}

const (
	maxLogin    = 40
	maxUserText = 256
)

// CheckMember validates inputs offline.
func CheckMember(a MemberArgs) Problems {
	var ps Problems
	switch n := utf8.RuneCountInString(a.Login); {
	case strings.TrimSpace(a.Login) == "":
		ps = append(ps, problem(Root(FieldLogin), "required"))
	case n > maxLogin:
		ps = append(ps, problem(Root(FieldLogin), "%d characters; logins are at most %d", n, maxLogin))
	case !teamNamePattern.MatchString(a.Login) || a.Login == "." || a.Login == "..":
		ps = append(ps, problem(Root(FieldLogin), "%q: use letters, digits, '-', '_' and '.' only", a.Login))
	}
	switch {
	case a.Role != "" && a.RoleID != "":
		ps = append(ps, problem(Root(FieldRoleID), "set either %s or %s, not both", FieldRole, FieldRoleID))
	case a.Role == "" && a.RoleID == "":
		ps = append(ps, problem(Root(FieldRole), "set %s (a built-in role: %s) or %s (any role's ID)", FieldRole, strings.Join(BuiltinMemberRoles, ", "), FieldRoleID))
	case a.Role != "" && !slices.Contains(BuiltinMemberRoles, a.Role):
		ps = append(ps, problem(Root(FieldRole), "%q is not one of %s; give a custom role by its ID in %s", a.Role, strings.Join(BuiltinMemberRoles, ", "), FieldRoleID))
	}
	if n := utf8.RuneCountInString(a.Name); n > maxUserText {
		ps = append(ps, problem(Root(FieldName), "%d characters; at most %d", n, maxUserText))
	}
	if n := utf8.RuneCountInString(a.Email); n > maxUserText {
		ps = append(ps, problem(Root(FieldEmail), "%d characters; at most %d", n, maxUserText))
	}
	return ps
}

// CheckMemberWithUnknowns is CheckMember at preview/plan: an unknown role or roleId counts as
// set.
func CheckMemberWithUnknowns(a MemberArgs, u Unknowns) Problems {
	a.Login = u.name(FieldLogin, a.Login)
	if u.Has(Root(FieldRole)) {
		a.Role = apitype.OrgRoleMember
	}
	if u.Has(Root(FieldRoleID)) {
		a.RoleID = standInName
	}
	return u.Drop(CheckMember(a))
}

// CreateMember adds the user to the organization (the server creates a user it does not know,
// with Name and Email) and, for a RoleID, then gives them that role. A user who is a member
// already is refused: import them instead. When the second step fails, created is true and the
// state holds the role the member has.
func (p *Provider) CreateMember(ctx context.Context, a MemberArgs) (st MemberState, created bool, err error) {
	if err := CheckMember(a).Err(); err != nil {
		return MemberState{}, false, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return MemberState{}, false, err
	}
	role := a.Role
	if a.RoleID != "" {
		role = apitype.OrgRoleMember // the custom role follows
	}
	_, err = p.client.AddMember(ctx, org, a.Login, apitype.AddMemberRequest{Role: role, Name: a.Name, Email: a.Email})
	if client.IsConflict(err) {
		return MemberState{}, false, errorf(err, "add member %q: they are a member of %s already; import them instead", a.Login, org)
	}
	if err != nil {
		return MemberState{}, false, apiErr(fmt.Sprintf("add member %q", a.Login), err)
	}
	st = MemberState{MemberArgs: a}
	if a.RoleID != "" {
		if err := p.client.UpdateMember(ctx, org, a.Login, apitype.UpdateMemberRequest{FGARoleID: &a.RoleID}); err != nil {
			st.Role, st.RoleID = apitype.OrgRoleMember, ""
			return st, true, apiErr(fmt.Sprintf("give member %q role %q", a.Login, a.RoleID), err)
		}
	}
	return st, true, nil
}

// ReadMember finds the member; found is false once they have left the organization. prior
// gives the login and how the role was given: a role given by ID stays given by ID, else a
// built-in role is read as its name. Name and email come from prior (they describe the user
// only at creation); an import (empty prior Role and RoleID) takes them from the server.
func (p *Provider) ReadMember(ctx context.Context, prior MemberArgs) (st MemberState, found bool, err error) {
	org, err := p.apiOrg(prior.Organization)
	if err != nil {
		return MemberState{}, false, err
	}
	ms, err := p.client.ListMembers(ctx, org)
	if err != nil {
		return MemberState{}, false, apiErr("list members", err)
	}
	i := slices.IndexFunc(ms, func(m apitype.OrganizationMember) bool { return m.User.GitHubLogin == prior.Login })
	if i < 0 {
		return MemberState{}, false, nil
	}
	m := ms[i]
	st = MemberState{MemberArgs: prior}
	if prior.Role == "" && prior.RoleID == "" {
		st.Name, st.Email = m.User.Name, m.User.Email
		if st.Name == prior.Login {
			st.Name = "" // the server's default for a user created without a name
		}
	}
	st.Role, st.RoleID = "", ""
	switch {
	case prior.RoleID != "" && m.FGARole.ID == prior.RoleID:
		st.RoleID = m.FGARole.ID
	default:
		builtin, err := p.isBuiltinRole(ctx, org, m)
		if err != nil {
			return MemberState{}, false, err
		}
		if builtin {
			st.Role = m.Role
		} else {
			st.RoleID = m.FGARole.ID
		}
	}
	return st, true, nil
}

// isBuiltinRole reports whether the member's role is the built-in role m.Role names (the
// server sends "member" for a custom role too).
func (p *Provider) isBuiltinRole(ctx context.Context, org string, m apitype.OrganizationMember) (bool, error) {
	if m.Role != apitype.OrgRoleMember {
		return true, nil
	}
	r, err := p.client.GetRole(ctx, org, m.FGARole.ID)
	if client.IsRecordNotFound(err, recordResource) {
		return false, nil // a role deleted with force: keep its ID, which shows as a diff
	}
	if err != nil {
		return false, apiErr("read role "+m.FGARole.ID, err)
	}
	return r.DefaultIdentifier == apitype.OrgRoleMember, nil
}

// UpdateMember changes the member's role; name and email changes are recorded only.
func (p *Provider) UpdateMember(ctx context.Context, old MemberState, a MemberArgs) (MemberState, error) {
	if err := CheckMember(a).Err(); err != nil {
		return old, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return old, err
	}
	if old.Role != a.Role || old.RoleID != a.RoleID {
		req := apitype.UpdateMemberRequest{Role: a.Role}
		if a.RoleID != "" {
			req = apitype.UpdateMemberRequest{FGARoleID: &a.RoleID}
		}
		if err := p.client.UpdateMember(ctx, org, a.Login, req); err != nil {
			return old, apiErr(fmt.Sprintf("change the role of member %q", a.Login), err)
		}
	}
	return MemberState{MemberArgs: a}, nil
}

// DeleteMember removes the member from the organization (their teams and personal tokens go
// with it); a member already gone is fine. The server refuses to remove the last admin or the
// caller.
func (p *Provider) DeleteMember(ctx context.Context, st MemberState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	if err := p.client.RemoveMember(ctx, org, st.Login); err != nil && !client.IsRecordNotFound(err, memberResource) {
		return apiErr(fmt.Sprintf("remove member %q", st.Login), err)
	}
	return nil
}

// MemberChanges: a new organization or login replaces the membership; role and roleId are
// updated in place, and name and email are recorded only (the server uses them only when it
// creates the user).
func MemberChanges(old MemberState, a MemberArgs) (update, replace []Field) {
	if old.Organization != a.Organization {
		replace = append(replace, FieldOrganization)
	}
	if old.Login != a.Login {
		replace = append(replace, FieldLogin)
	}
	for _, f := range []struct {
		name       Field
		was, isNow string
	}{{FieldRole, old.Role, a.Role}, {FieldRoleID, old.RoleID, a.RoleID}, {FieldName, old.Name, a.Name}, {FieldEmail, old.Email, a.Email}} {
		if f.was != f.isNow {
			update = append(update, f.name)
		}
	}
	return update, replace
}
