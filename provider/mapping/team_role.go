package mapping

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/iamref/iam/client"
)

// TeamRoleAssignmentArgs are the inputs of a TeamRoleAssignment: team Team holds role RoleID.
// A team may hold several roles, each its own assignment.
type TeamRoleAssignmentArgs struct {
	Organization string
	Team         string // the team's name
	RoleID       string
}

// CheckTeamRoleAssignment validates inputs offline.
func CheckTeamRoleAssignment(a TeamRoleAssignmentArgs) Problems {
	ps := checkTeamName(Root(FieldTeam), a.Team)
	switch {
	case strings.TrimSpace(a.RoleID) == "":
		ps = append(ps, problem(Root(FieldRoleID), "required"))
	case strings.Contains(a.RoleID, "/"):
		ps = append(ps, problem(Root(FieldRoleID), "%q: a role ID has no '/'", a.RoleID))
	}
	return ps
}

// CheckTeamRoleAssignmentWithUnknowns is CheckTeamRoleAssignment at preview/plan.
func CheckTeamRoleAssignmentWithUnknowns(a TeamRoleAssignmentArgs, u Unknowns) Problems {
	a.Team = u.name(FieldTeam, a.Team)
	a.RoleID = u.name(FieldRoleID, a.RoleID)
	return u.Drop(CheckTeamRoleAssignment(a))
}

// CreateTeamRoleAssignment gives the team the role. The server's call succeeds also when the
// team holds the role already; the assignment is then refused here, so that two resources
// never manage one assignment (the first destroyed would take the role from the other).
func (p *Provider) CreateTeamRoleAssignment(ctx context.Context, a TeamRoleAssignmentArgs) error {
	if err := CheckTeamRoleAssignment(a).Err(); err != nil {
		return err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return err
	}
	held, err := p.teamRoles(ctx, org, a.Team)
	if err != nil {
		return err
	}
	if slices.Contains(held, a.RoleID) {
		return &Error{Msg: Msgf("team %q holds role %q already; import the assignment (ID %s) instead of creating it", a.Team, a.RoleID, AssignmentID(org, a.Team, a.RoleID))}
	}
	if err := p.client.AddTeamRole(ctx, org, a.Team, a.RoleID); err != nil {
		return apiErr(fmt.Sprintf("give team %q role %q", a.Team, a.RoleID), err)
	}
	return nil
}

func (p *Provider) teamRoles(ctx context.Context, org, team string) ([]string, error) {
	t, err := p.client.GetTeam(ctx, org, team)
	if err != nil {
		return nil, apiErr(fmt.Sprintf("read team %q", team), err)
	}
	return t.RoleIDs, nil
}

// ReadTeamRoleAssignment reports whether the team still holds the role; a deleted team holds
// none.
func (p *Provider) ReadTeamRoleAssignment(ctx context.Context, a TeamRoleAssignmentArgs) (found bool, err error) {
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return false, err
	}
	t, err := p.client.GetTeam(ctx, org, a.Team)
	if client.IsRecordNotFound(err, teamResource) {
		return false, nil
	}
	if err != nil {
		return false, apiErr(fmt.Sprintf("read team %q", a.Team), err)
	}
	return slices.Contains(t.RoleIDs, a.RoleID), nil
}

// DeleteTeamRoleAssignment takes the role from the team; an assignment already gone (or a
// team deleted) is fine.
func (p *Provider) DeleteTeamRoleAssignment(ctx context.Context, a TeamRoleAssignmentArgs) error {
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return err
	}
	if err := p.client.RemoveTeamRole(ctx, org, a.Team, a.RoleID); err != nil && !client.IsRecordNotFound(err, teamResource) {
		return apiErr(fmt.Sprintf("take role %q from team %q", a.RoleID, a.Team), err)
	}
	return nil
}

// TeamRoleAssignmentChanges: every input change replaces the assignment.
func TeamRoleAssignmentChanges(old, a TeamRoleAssignmentArgs) (replace []Field) {
	if old.Organization != a.Organization {
		replace = append(replace, FieldOrganization)
	}
	if old.Team != a.Team {
		replace = append(replace, FieldTeam)
	}
	if old.RoleID != a.RoleID {
		replace = append(replace, FieldRoleID)
	}
	return replace
}
