package mapping

import (
	"context"
	"fmt"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
)

// TeamTokenArgs are the inputs of a TeamAccessToken: a token that acts as team Team. The
// token fields are an OrganizationAccessToken's without RoleID and Admin (the team's roles
// apply), and behave the same: write-once, names reserved after deletion, early renewal.
type TeamTokenArgs struct {
	TokenArgs
	Team string
}

// TeamTokenState is a TeamAccessToken as created.
type TeamTokenState struct {
	TokenState
	Team string
}

// CheckTeamToken validates inputs offline.
func CheckTeamToken(a TeamTokenArgs) Problems {
	ps := checkTeamName(Root(FieldTeam), a.Team)
	a.RoleID, a.Admin = "", false
	return append(ps, CheckToken(a.TokenArgs)...)
}

// CheckTeamTokenWithUnknowns is CheckTeamToken at preview/plan.
func CheckTeamTokenWithUnknowns(a TeamTokenArgs, u Unknowns) Problems {
	a.Team = u.name(FieldTeam, a.Team)
	return append(u.Drop(checkTeamName(Root(FieldTeam), a.Team)), CheckTokenWithUnknowns(a.TokenArgs, u)...)
}

// CreateTeamToken mints the token and returns its value; a taken name gets a suffix as in
// CreateToken.
func (p *Provider) CreateTeamToken(ctx context.Context, a TeamTokenArgs, now time.Time) (TeamTokenState, error) {
	if err := CheckTeamToken(a).Err(); err != nil {
		return TeamTokenState{}, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return TeamTokenState{}, err
	}
	req := apitype.CreateTeamTokenRequest{Description: a.Description}
	st := TeamTokenState{TokenState: TokenState{TokenArgs: a.TokenArgs}, Team: a.Team}
	req.Expires, st.ExpiresAt = expiry(a.ExpiresIn, now)
	st.TokenID, st.TokenName, st.Value, err = createNamed(a.Name, func(name string) (*apitype.CreateTokenResponse, error) {
		req.Name = name
		return p.client.CreateTeamToken(ctx, org, a.Team, req)
	})
	if err != nil {
		return TeamTokenState{}, err
	}
	return st, nil
}

// ReadTeamToken finds the token among the team's; found is false once it or the team is
// deleted. As for ReadToken, inputs and value come from prior state except on import.
func (p *Provider) ReadTeamToken(ctx context.Context, prior TeamTokenState) (st TeamTokenState, found bool, err error) {
	org, err := p.apiOrg(prior.Organization)
	if err != nil {
		return TeamTokenState{}, false, err
	}
	toks, err := p.client.ListTeamTokens(ctx, org, prior.Team)
	if client.IsRecordNotFound(err, teamResource) {
		return TeamTokenState{}, false, nil
	}
	if err != nil {
		return TeamTokenState{}, false, apiErr(fmt.Sprintf("list the tokens of team %q", prior.Team), err)
	}
	ts, found := tokenFrom(toks, prior.TokenState)
	ts.RoleID, ts.Admin = "", false
	return TeamTokenState{TokenState: ts, Team: prior.Team}, found, nil
}

// FindTeamToken finds which team a token belongs to, for an import by token ID alone.
func (p *Provider) FindTeamToken(ctx context.Context, org, tokenID string) (team string, err error) {
	teams, err := p.client.ListTeams(ctx, org)
	if err != nil {
		return "", apiErr("list teams", err)
	}
	for _, t := range teams {
		toks, err := p.client.ListTeamTokens(ctx, org, t.Name)
		if err != nil {
			return "", apiErr(fmt.Sprintf("list the tokens of team %q", t.Name), err)
		}
		for _, tok := range toks {
			if tok.ID == tokenID {
				return t.Name, nil
			}
		}
	}
	return "", nil
}

// DeleteTeamToken revokes the token; a token (or team) already gone is fine.
func (p *Provider) DeleteTeamToken(ctx context.Context, st TeamTokenState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	if err := p.client.DeleteTeamToken(ctx, org, st.Team, st.TokenID); err != nil && !client.IsRecordNotFound(err, tokenResource, teamResource) {
		return apiErr(fmt.Sprintf("delete token %q of team %q", st.TokenName, st.Team), err)
	}
	return nil
}

// TeamTokenChanges is TokenChanges, and a new team replaces the token too.
func TeamTokenChanges(old TeamTokenState, a TeamTokenArgs, now time.Time) (update, replace []Field, reason *Msg) {
	update, replace, reason = TokenChanges(old.TokenState, a.TokenArgs, now)
	if old.Team != a.Team {
		replace = append(replace, FieldTeam)
	}
	return update, replace, reason
}
