package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
)

const (
	maxTeamName        = 40
	maxTeamDisplayName = 100
	maxTeamDescription = 1024
)

// team finds the team the path's {team} names (a 404 otherwise) and labels the request with it.
func (s *Server) team(ctx context.Context, c *call, name string) (store.Team, error) {
	c.label = "team:" + truncate(name, 64)
	t, err := s.st.GetTeam(ctx, s.org.Name, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Team{}, notFound("team", "no team %q in %s", name, s.org.Name)
	}
	return t, err
}

// teamJSON renders a team with its roles, and its members when withMembers.
func (s *Server) teamJSON(ctx context.Context, t store.Team, withMembers bool) (apitype.Team, error) {
	out := apitype.Team{Kind: apitype.TeamKindPulumi, Name: t.Name, DisplayName: t.DisplayName, Description: t.Description}
	roles, err := s.teamRoles(ctx, t)
	if err != nil {
		return out, err
	}
	for _, rec := range roles {
		out.RoleIDs = append(out.RoleIDs, rec.ID)
	}
	if withMembers {
		gs, err := s.st.ListTeamGrants(ctx, s.org.Name, t.ID)
		if err != nil {
			return out, err
		}
		teamGrantsJSON(gs, &out)
		us, err := s.st.ListTeamMembers(ctx, s.org.Name, t.ID)
		if err != nil {
			return out, err
		}
		for _, u := range us {
			out.Members = append(out.Members, apitype.TeamMember{Name: u.Name, GitHubLogin: u.Login, Email: u.Email, Role: "member"})
		}
	}
	return out, nil
}

// teamRoles returns the roles team t holds, skipping those deleted with ?force=true (the team
// keeps their IDs, which grant nothing).
func (s *Server) teamRoles(ctx context.Context, t store.Team) ([]store.Record, error) {
	ids, err := s.st.ListTeamRoles(ctx, s.org.Name, t.ID)
	if err != nil {
		return nil, err
	}
	recs := make([]store.Record, 0, len(ids))
	for _, id := range ids {
		rec, err := s.st.GetRecord(ctx, s.org.Name, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

func validTeamText(displayName, description string) error {
	switch {
	case utf8.RuneCountInString(displayName) > maxTeamDisplayName || !utf8.ValidString(displayName):
		return invalid("team", "displayName", "at most %d characters of valid UTF-8", maxTeamDisplayName)
	case utf8.RuneCountInString(description) > maxTeamDescription || !utf8.ValidString(description):
		return invalid("team", "description", "at most %d characters of valid UTF-8", maxTeamDescription)
	}
	return nil
}

func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateTeamRequest
	return s.create(w, r, c, "team", &req, func() (int, any, error) {
		c.label = "team:" + truncate(req.Name, 64)
		if err := validName("name", req.Name, maxTeamName); err != nil {
			return 0, nil, invalid("team", "name", "%v", err)
		}
		if err := validTeamText(req.DisplayName, req.Description); err != nil {
			return 0, nil, err
		}
		switch {
		case req.Organization != "" && req.Organization != s.org.Name:
			return 0, nil, invalid("team", "organization", "%q does not match the organization of the path, %q", req.Organization, s.org.Name)
		case req.TeamType != "" && req.TeamType != "pulumi":
			return 0, nil, invalid("team", "teamType", "%q: this route creates teams of type \"pulumi\" only", req.TeamType)
		case req.GitHubTeamID != 0:
			return 0, nil, invalid("team", "githubTeamID", "GitHub-backed teams are not supported; leave githubTeamID out")
		}
		now := s.stamp()
		t := store.Team{ID: newID(), Org: s.org.Name, Name: req.Name, DisplayName: req.DisplayName, Description: req.Description, Created: now, Modified: now}
		if t.DisplayName == "" {
			t.DisplayName = t.Name
		}
		if err := s.st.CreateTeam(r.Context(), t); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return 0, nil, conflict("team", "name", "a team named %q already exists in %s", req.Name, s.org.Name)
			}
			return 0, nil, err
		}
		out, err := s.teamJSON(r.Context(), t, true)
		return http.StatusOK, out, err
	})
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, c *call) error {
	ts, err := s.st.ListTeams(r.Context(), s.org.Name, "", 0)
	if err != nil {
		return err
	}
	return s.writeTeams(r.Context(), w, ts)
}

func (s *Server) writeTeams(ctx context.Context, w http.ResponseWriter, ts []store.Team) error {
	resp := apitype.ListTeamsResponse{}
	for _, t := range ts {
		out, err := s.teamJSON(ctx, t, false)
		if err != nil {
			return err
		}
		resp.Teams = append(resp.Teams, out)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	out, err := s.teamJSON(r.Context(), t, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// updateTeam applies Pulumi's team PATCH: a new display name or description, one member
// added or removed, and the legacy per-entity grants (teamgrants.go). Adding a member hands
// them the team's rights, and a grant hands its set to the team, so the caller must hold
// them. Adding a member already in the team, or setting what is already set, changes nothing.
func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.UpdateTeamRequest
	if _, err := decodeBody(r, "team", &req); err != nil {
		return err
	}
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	ops, err := s.teamGrantOps(r.Context(), c, t, &req)
	if err != nil {
		return err
	}
	if req.NewDisplayName == nil && req.NewDescription == nil && req.Member == nil && req.MemberAction == nil && len(ops) == 0 {
		return invalid("team", "body", "nothing to change: set newDisplayName, newDescription, member and memberAction, or a stack or environment permission")
	}
	if (req.Member == nil) != (req.MemberAction == nil) {
		return invalid("team", "memberAction", "member and memberAction go together")
	}
	next := t
	if req.NewDisplayName != nil {
		next.DisplayName = *req.NewDisplayName
		if next.DisplayName == "" {
			next.DisplayName = t.Name // as on create
		}
	}
	if req.NewDescription != nil {
		next.Description = *req.NewDescription
	}
	if err := validTeamText(next.DisplayName, next.Description); err != nil {
		return err
	}
	var m store.Member
	if req.Member != nil {
		switch *req.MemberAction {
		case apitype.MemberActionAdd, apitype.MemberActionRemove:
		default:
			return invalid("team", "memberAction", "%q is not one of add, remove (team admins are not modelled)", *req.MemberAction)
		}
		m, err = s.st.GetMember(r.Context(), s.org.Name, *req.Member)
		if errors.Is(err, store.ErrNotFound) {
			return fieldError("team", "member", apitype.ErrorTypeNotFound, "%q is not a member of %s; add them to the organization first", *req.Member, s.org.Name)
		}
		if err != nil {
			return err
		}
		if *req.MemberAction == apitype.MemberActionAdd {
			if err := s.mayBind(r.Context(), c, teamKey(t.ID), "team", "member", fmt.Sprintf("cannot add %q to team %q, which may do more than the caller", m.User.Login, t.Name)); err != nil {
				return err
			}
		}
	}
	if next.DisplayName != t.DisplayName || next.Description != t.Description {
		next.Modified = s.stamp()
		if err := s.st.UpdateTeam(r.Context(), next); err != nil {
			return err
		}
	}
	if req.Member != nil {
		if *req.MemberAction == apitype.MemberActionAdd {
			err = s.st.AddTeamMember(r.Context(), s.org.Name, t.ID, m.User.ID)
			if errors.Is(err, store.ErrConflict) {
				err = nil // already in the team
			}
		} else {
			err = s.st.RemoveTeamMember(r.Context(), s.org.Name, t.ID, m.User.ID)
			if errors.Is(err, store.ErrNotFound) {
				return fieldError("team", "member", apitype.ErrorTypeNotFound, "%q is not in team %q", m.User.Login, t.Name)
			}
		}
		if err != nil {
			return err
		}
		s.indexes.invalidate(userKey(m.User.ID))
	}
	if len(ops) > 0 {
		err := s.applyTeamGrantOps(r.Context(), t, ops)
		s.indexes.invalidate(teamKey(t.ID)) // the team, its members and its tokens
		if err != nil {
			return err
		}
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteTeam deletes a team: its members lose its rights and its tokens stop working at once.
func (s *Server) deleteTeam(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	if err := s.st.DeleteTeam(r.Context(), s.org.Name, t.ID, s.stamp()); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.indexes.invalidate(teamKey(t.ID))
	s.tokens.evictWhere(func(tok store.Token) bool { return tok.Kind == store.TokenTeam && tok.TeamID == t.ID })
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listTeamRoles(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	recs, err := s.teamRoles(r.Context(), t)
	if err != nil {
		return err
	}
	def, err := s.defaultRoleID(r.Context())
	if err != nil {
		return err
	}
	resp := apitype.ListRolesResponse{}
	for _, rec := range recs {
		rec.IsOrgDefault = rec.ID == def
		resp.Roles = append(resp.Roles, roleJSON(rec))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// addTeamRole gives a team a role (a team may hold several; giving one it holds changes
// nothing). Every member and token of the team gains it, so the caller must hold it.
func (s *Server) addTeamRole(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	if rec.UXPurpose != "role" {
		return invalid("team", "roleID", "%q is a %s; a team needs a role", rec.Name, rec.UXPurpose)
	}
	if err := s.mayBind(r.Context(), c, rec.ID, "team", "roleID", fmt.Sprintf("cannot give team %q role %q", t.Name, rec.Name)); err != nil {
		return err
	}
	err = s.st.AddTeamRole(r.Context(), s.org.Name, t.ID, rec.ID)
	switch {
	case errors.Is(err, store.ErrConflict): // held already
	case errors.Is(err, store.ErrNotFound):
		return notFound("team", "no team %q in %s", t.Name, s.org.Name)
	case err != nil:
		return err
	}
	s.indexes.invalidate(teamKey(t.ID))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) removeTeamRole(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	id := r.PathValue("roleID")
	err = s.st.RemoveTeamRole(r.Context(), s.org.Name, t.ID, id)
	if errors.Is(err, store.ErrNotFound) {
		e := notFound("team", "team %q does not hold role %q", t.Name, id) // resource team: the provider takes it as "gone"
		e.fields[0].Attribute = "roleID"
		return e
	}
	if err != nil {
		return err
	}
	s.indexes.invalidate(teamKey(t.ID))
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listRoleTeams(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	ts, err := s.st.ListTeamsByRole(r.Context(), s.org.Name, rec.ID)
	if err != nil {
		return err
	}
	return s.writeTeams(r.Context(), w, ts)
}

func (s *Server) listTeamTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	q := store.TokenQuery{Kind: store.TokenTeam, TeamID: t.ID, Filter: store.TokensAll}
	return s.listTokenPage(w, r, q, listName("team-tokens", t.ID))
}

// createTeamToken mints a token acting as the team; the caller must hold the team's rights.
// Its name shares the namespace of the org's tokens.
func (s *Server) createTeamToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateTeamTokenRequest
	return s.create(w, r, c, "token", &req, func() (int, any, error) {
		t, err := s.team(r.Context(), c, r.PathValue("team"))
		if err != nil {
			return 0, nil, err
		}
		if err := validTokenName(req.Name); err != nil {
			return 0, nil, err
		}
		if err := s.validTokenText(c, req.Description, req.Expires); err != nil {
			return 0, nil, err
		}
		if err := s.mayBind(r.Context(), c, teamKey(t.ID), "token", "team", fmt.Sprintf("cannot mint a token for team %q, which may do more than the caller", t.Name)); err != nil {
			return 0, nil, err
		}
		return s.mintToken(r.Context(), store.Token{
			ID: newID(), Org: s.org.Name, Kind: store.TokenTeam, TeamID: t.ID, Name: req.Name,
			Description: req.Description, Expires: req.Expires, Created: s.stamp(), CreatedBy: c.principal.name(),
		})
	})
}

func (s *Server) deleteTeamToken(w http.ResponseWriter, r *http.Request, c *call) error {
	t, err := s.team(r.Context(), c, r.PathValue("team"))
	if err != nil {
		return err
	}
	id := r.PathValue("tokenID")
	tok, err := s.st.GetToken(r.Context(), s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && tok.Deleted {
		return notFound("token", "no active token with ID %q in %s", id, s.org.Name)
	}
	if err != nil {
		return err
	}
	if tok.Kind != store.TokenTeam || tok.TeamID != t.ID {
		return errorf(http.StatusBadRequest, "the requested token is not a team token of team %q", t.Name)
	}
	if err := s.deleteTokenByID(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return notFound("token", "no active token with ID %q in %s", id, s.org.Name)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
