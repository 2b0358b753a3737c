package mapping

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
)

// TeamArgs are the inputs of a Team.
type TeamArgs struct {
	Organization string
	Name         string // the team's name on the server; part of its ID, so changing it replaces the team
	DisplayName  string
	Description  string
	Members      []string // logins of organization members; a set
}

// TeamState is a Team as the server has it.
type TeamState struct {
	TeamArgs
}

// teamResource is the `resource` of the server's not-found answer for a team (and for a role a
// team does not hold).
const teamResource = "team"

const (
	maxTeamName        = 40
	maxTeamDisplayName = 100
	maxTeamDescription = 1024
)

// teamNamePattern is what the server accepts as a team name (and so in an ID).
var teamNamePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// CheckTeam validates inputs offline.
func CheckTeam(a TeamArgs) Problems {
	ps := checkTeamName(Root(FieldName), a.Name)
	if n := utf8.RuneCountInString(a.DisplayName); n > maxTeamDisplayName {
		ps = append(ps, problem(Root(FieldDisplayName), "%d characters; at most %d", n, maxTeamDisplayName))
	}
	if n := utf8.RuneCountInString(a.Description); n > maxTeamDescription {
		ps = append(ps, problem(Root(FieldDescription), "%d characters; at most %d", n, maxTeamDescription))
	}
	for i, m := range a.Members {
		if strings.TrimSpace(m) == "" {
			ps = append(ps, problem(Root(FieldMembers).At(i), "empty login"))
		}
	}
	return ps
}

func checkTeamName(at Path, name string) Problems {
	switch n := utf8.RuneCountInString(name); {
	case strings.TrimSpace(name) == "":
		return Problems{problem(at, "required")}
	case n > maxTeamName:
		return Problems{problem(at, "%d characters; team names are at most %d", n, maxTeamName)}
	case !teamNamePattern.MatchString(name) || name == "." || name == "..":
		return Problems{problem(at, "%q: use letters, digits, '-', '_' and '.' only", name)}
	}
	return nil
}

// CheckTeamWithUnknowns is CheckTeam at preview/plan: values not known yet get stand-ins, and
// the problems they may cause are dropped.
func CheckTeamWithUnknowns(a TeamArgs, u Unknowns) Problems {
	a.Name = u.name(FieldName, a.Name)
	a.Members = u.list(Root(FieldMembers), a.Members, standInName)
	return u.Drop(CheckTeam(a))
}

// CreateTeam creates the team and adds its members. When adding a member fails, the team
// exists: the returned state (with created true) holds the members added so far, so that the
// front end records it and a later update adds the rest.
func (p *Provider) CreateTeam(ctx context.Context, a TeamArgs) (st TeamState, created bool, err error) {
	if err := CheckTeam(a).Err(); err != nil {
		return TeamState{}, false, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return TeamState{}, false, err
	}
	_, err = p.client.CreateTeam(ctx, org, apitype.CreateTeamRequest{Name: a.Name, DisplayName: a.DisplayName, Description: a.Description})
	if client.IsConflict(err) {
		return TeamState{}, false, errorf(err, "create team %q: a team with this name already exists in %s; import it instead", a.Name, org)
	}
	if err != nil {
		return TeamState{}, false, apiErr(fmt.Sprintf("create team %q", a.Name), err)
	}
	st = TeamState{TeamArgs: a}
	st.Members = nil
	for _, m := range SortedUnique(a.Members) {
		if err := p.teamMember(ctx, org, a.Name, m, apitype.MemberActionAdd); err != nil {
			return st, true, err
		}
		st.Members = append(st.Members, m)
	}
	st.Members = a.Members
	return st, true, nil
}

func (p *Provider) teamMember(ctx context.Context, org, team, login, action string) error {
	req := apitype.UpdateTeamRequest{Member: &login, MemberAction: &action}
	err := p.client.UpdateTeam(ctx, org, team, req)
	if err == nil {
		return nil
	}
	if action == apitype.MemberActionAdd {
		return apiErr(fmt.Sprintf("add %q to team %q", login, team), err)
	}
	return apiErr(fmt.Sprintf("remove %q from team %q", login, team), err)
}

// ReadTeam reads the team prior names; found is false when it is gone. Members are the
// server's, sorted. The server gives a team created without a display name its name as one: a
// display name equal to the name reads as prior's when that is empty.
func (p *Provider) ReadTeam(ctx context.Context, prior TeamArgs) (st TeamState, found bool, err error) {
	orgOverride, name := prior.Organization, prior.Name
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return TeamState{}, false, err
	}
	t, err := p.client.GetTeam(ctx, org, name)
	if client.IsRecordNotFound(err, teamResource) {
		return TeamState{}, false, nil
	}
	if err != nil {
		return TeamState{}, false, apiErr("read team "+name, err)
	}
	st = TeamState{TeamArgs: TeamArgs{Organization: orgOverride, Name: t.Name, DisplayName: t.DisplayName, Description: t.Description}}
	if prior.DisplayName == "" && st.DisplayName == t.Name {
		st.DisplayName = ""
	}
	for _, m := range t.Members {
		st.Members = append(st.Members, m.GitHubLogin)
	}
	st.Members = SortedUnique(st.Members)
	return st, true, nil
}

// UpdateTeam changes the display name and description and adds and removes members, writing
// only what differs from old (the state last read). On an error the returned state holds what
// was applied.
func (p *Provider) UpdateTeam(ctx context.Context, old TeamState, a TeamArgs) (TeamState, error) {
	if err := CheckTeam(a).Err(); err != nil {
		return old, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return old, err
	}
	st := old
	if old.DisplayName != a.DisplayName || old.Description != a.Description {
		var req apitype.UpdateTeamRequest
		if old.DisplayName != a.DisplayName {
			dn := a.DisplayName
			if dn == "" {
				dn = a.Name // as the server does at create
			}
			req.NewDisplayName = &dn
		}
		if old.Description != a.Description {
			req.NewDescription = &a.Description
		}
		if err := p.client.UpdateTeam(ctx, org, old.Name, req); err != nil {
			return st, apiErr(fmt.Sprintf("update team %q", old.Name), err)
		}
		st.DisplayName, st.Description = a.DisplayName, a.Description
	}
	add, remove := memberChanges(old.Members, a.Members)
	cur := SortedUnique(old.Members)
	for _, m := range remove {
		if err := p.teamMember(ctx, org, old.Name, m, apitype.MemberActionRemove); err != nil {
			st.Members = cur
			return st, err
		}
		cur = slices.DeleteFunc(cur, func(s string) bool { return s == m })
	}
	for _, m := range add {
		if err := p.teamMember(ctx, org, old.Name, m, apitype.MemberActionAdd); err != nil {
			st.Members = cur
			return st, err
		}
		cur = SortedUnique(append(cur, m))
	}
	st.Members = a.Members
	return st, nil
}

// memberChanges lists the logins to add and remove to turn old into want (both sets).
func memberChanges(old, want []string) (add, remove []string) {
	o, w := SortedUnique(old), SortedUnique(want)
	for _, m := range w {
		if !slices.Contains(o, m) {
			add = append(add, m)
		}
	}
	for _, m := range o {
		if !slices.Contains(w, m) {
			remove = append(remove, m)
		}
	}
	return add, remove
}

// DeleteTeam deletes the team (its tokens stop working); a team already gone is fine.
func (p *Provider) DeleteTeam(ctx context.Context, st TeamState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	if err := p.client.DeleteTeam(ctx, org, st.Name); err != nil && !client.IsRecordNotFound(err, teamResource) {
		return apiErr(fmt.Sprintf("delete team %q", st.Name), err)
	}
	return nil
}

// TeamChanges decides what a change of inputs means: a new organization or name replaces the
// team (the name is its ID on the server); display name, description and members (a set) are
// updated in place.
func TeamChanges(old TeamState, a TeamArgs) (update, replace []Field) {
	if old.Organization != a.Organization {
		replace = append(replace, FieldOrganization)
	}
	if old.Name != a.Name {
		replace = append(replace, FieldName)
	}
	if old.DisplayName != a.DisplayName {
		update = append(update, FieldDisplayName)
	}
	if old.Description != a.Description {
		update = append(update, FieldDescription)
	}
	if !slices.Equal(SortedUnique(old.Members), SortedUnique(a.Members)) {
		update = append(update, FieldMembers)
	}
	return update, replace
}
