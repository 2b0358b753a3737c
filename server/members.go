package server

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// builtinMemberRoles are the built-in roles a member can be given by name.
var builtinMemberRoles = []string{apitype.OrgRoleAdmin, apitype.OrgRoleMember, apitype.OrgRoleBillingManager}

var setAdmin = authz.MustScope("org_member:set_admin")

const (
	maxLogin        = 40
	maxUserText     = 256
	membersPageSize = 100
)

// memberRole is what a member's role looks like on the wire: its built-in name ("member" for a
// custom role, as Pulumi's deprecated field has nothing better) and the FGARole. A role deleted
// with ?force=true is listed by ID alone.
func (s *Server) memberRole(ctx context.Context, roleID string) (string, apitype.FGARole, error) {
	fga := apitype.FGARole{ID: roleID}
	rec, err := s.st.GetRecord(ctx, s.org.Name, roleID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return apitype.OrgRoleMember, fga, nil
	case err != nil:
		return "", fga, err
	}
	fga.Name, fga.ModifiedAt = rec.Name, rec.Modified
	if slices.Contains(builtinMemberRoles, rec.DefaultIdentifier) {
		return rec.DefaultIdentifier, fga, nil
	}
	return apitype.OrgRoleMember, fga, nil
}

func (s *Server) memberJSON(ctx context.Context, m store.Member) (apitype.OrganizationMember, error) {
	role, fga, err := s.memberRole(ctx, m.RoleID)
	if err != nil {
		return apitype.OrganizationMember{}, err
	}
	teams, err := s.st.ListUserTeams(ctx, s.org.Name, m.User.ID)
	if err != nil {
		return apitype.OrganizationMember{}, err
	}
	out := apitype.OrganizationMember{
		Role: role, User: userInfo(m.User), Created: m.Created, KnownToPulumi: true, FGARole: fga,
	}
	for _, t := range teams {
		out.Teams = append(out.Teams, t.Name)
	}
	return out, nil
}

func userInfo(u store.User) apitype.UserInfo {
	return apitype.UserInfo{Name: u.Name, GitHubLogin: u.Login, Email: u.Email}
}

// member finds the member the path's {login} names (a 404 otherwise) and labels the request
// with it for the audit log.
func (s *Server) member(ctx context.Context, c *call, login string) (store.Member, error) {
	c.label = "member:" + truncate(login, 64)
	m, err := s.st.GetMember(ctx, s.org.Name, login)
	if errors.Is(err, store.ErrNotFound) {
		return store.Member{}, notFound("member", "%q is not a member of %s", login, s.org.Name)
	}
	return m, err
}

// roleFor resolves a member role request: fgaRoleID (any role record with uxPurpose role)
// wins over name (a built-in role's name).
func (s *Server) roleFor(ctx context.Context, name string, fgaRoleID *string) (store.Record, error) {
	id := ""
	switch {
	case fgaRoleID != nil && *fgaRoleID != "":
		id = *fgaRoleID
	case name != "":
		if !slices.Contains(builtinMemberRoles, name) {
			return store.Record{}, invalid("member", "role", "%q is not one of %s; give a custom role by its ID in fgaRoleId", name, strings.Join(builtinMemberRoles, ", "))
		}
		id = builtinID(s.org.Name, name)
	default:
		return store.Record{}, fieldError("member", "role", apitype.ErrorTypeRequired, "set role (a built-in role) or fgaRoleId (any role's ID)")
	}
	rec, err := s.st.GetRecord(ctx, s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Record{}, fieldError("member", "fgaRoleId", apitype.ErrorTypeNotFound, "no role with ID %q in %s", id, s.org.Name)
	}
	if err != nil {
		return store.Record{}, err
	}
	if rec.UXPurpose != "role" {
		return store.Record{}, invalid("member", "fgaRoleId", "%q is a %s; a member needs a role", rec.Name, rec.UXPurpose)
	}
	return rec, nil
}

// mayGrantRole is the escalation guard of giving a member a role: the caller must hold what
// the role grants, and making someone an admin also needs org_member:set_admin.
func (s *Server) mayGrantRole(ctx context.Context, c *call, rec store.Record, login string) error {
	if rec.DefaultIdentifier == apitype.OrgRoleAdmin && c.principal.index.Decide(setAdmin.ID, authz.OrgEntity) != authz.Allowed {
		ex := c.principal.index.Explain(setAdmin.ID, authz.OrgEntity)
		d := forbidden(c.principal, setAdmin, ex)
		return &escalation{apiError: d.err, missing: "org_member:set_admin (to make " + login + " an admin)"}
	}
	if rec.DefaultIdentifier == apitype.OrgRoleAdmin {
		s.scopes.add(c.principal.token.ID, setAdmin, s.now().Unix()) // used (least privilege counts it)
	}
	return s.mayBind(ctx, c, rec.ID, "member", "role", fmt.Sprintf("cannot give %q role %q", login, rec.Name))
}

func validLogin(login string) error {
	if err := validName("login", login, maxLogin); err != nil {
		return invalid("member", "login", "%v", err)
	}
	return nil
}

func (s *Server) listMembers(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	after := ""
	if ct := q.Get("continuationToken"); ct != "" {
		b, err := base64.RawURLEncoding.DecodeString(ct)
		if err != nil || len(b) == 0 {
			return invalid("member", "continuationToken", "not a continuation token returned by this endpoint")
		}
		after = string(b)
	}
	limit := membersPageSize
	if n := q.Get("maxResults"); n != "" {
		v, err := strconv.Atoi(n)
		if err != nil || v < 1 || v > 1000 {
			return invalid("member", "maxResults", "want an integer from 1 to 1000")
		}
		limit = v
	}
	switch t := q.Get("type"); t {
	case "", "frontend":
	case "backend":
		writeJSON(w, http.StatusOK, apitype.ListMembersResponse{}) // no machine members here
		return nil
	default:
		return invalid("member", "type", "%q is not one of frontend, backend", t)
	}
	ms, err := s.st.ListMembers(r.Context(), s.org.Name, after, limit+1)
	if err != nil {
		return err
	}
	resp := apitype.ListMembersResponse{}
	if len(ms) > limit {
		ms = ms[:limit]
		resp.ContinuationToken = base64.RawURLEncoding.EncodeToString([]byte(ms[limit-1].User.Login))
	}
	for _, m := range ms {
		out, err := s.memberJSON(r.Context(), m)
		if err != nil {
			return err
		}
		resp.Members = append(resp.Members, out)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// addMember makes a user a member with a built-in role (the org's default role when none is
// given), creating the user when the server does not know the login.
func (s *Server) addMember(w http.ResponseWriter, r *http.Request, c *call) error {
	login := r.PathValue("login")
	c.label = "member:" + truncate(login, 64)
	var req apitype.AddMemberRequest
	return s.create(w, r, c, "member", &req, func() (int, any, error) {
		if err := validLogin(login); err != nil {
			return 0, nil, err
		}
		if utf8.RuneCountInString(req.Name) > maxUserText || utf8.RuneCountInString(req.Email) > maxUserText {
			return 0, nil, invalid("member", "name", "name and email are at most %d characters", maxUserText)
		}
		var rec store.Record
		var err error
		if req.Role == "" {
			def, err := s.defaultRoleID(r.Context())
			if err != nil {
				return 0, nil, err
			}
			rec, err = s.roleFor(r.Context(), "", &def)
		} else {
			rec, err = s.roleFor(r.Context(), req.Role, nil)
		}
		if err != nil {
			return 0, nil, err
		}
		if err := s.mayGrantRole(r.Context(), c, rec, login); err != nil {
			return 0, nil, err
		}
		name := req.Name
		if name == "" {
			name = login
		}
		u := store.User{ID: newID(), Login: login, Name: name, Email: req.Email, Created: s.stamp()}
		m, err := s.st.AddMember(r.Context(), s.org.Name, u, rec.ID, s.stamp())
		if errors.Is(err, store.ErrConflict) {
			return 0, nil, conflict("member", "login", "%q is already a member of %s; change their role with PATCH", login, s.org.Name)
		}
		if err != nil {
			return 0, nil, err
		}
		s.indexes.invalidate(userKey(m.User.ID))
		out, err := s.memberJSON(r.Context(), m)
		return http.StatusOK, out, err
	})
}

func (s *Server) updateMember(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.UpdateMemberRequest
	if _, err := decodeBody(r, "member", &req); err != nil {
		return err
	}
	m, err := s.member(r.Context(), c, r.PathValue("login"))
	if err != nil {
		return err
	}
	rec, err := s.roleFor(r.Context(), req.Role, req.FGARoleID)
	if err != nil {
		return err
	}
	if rec.ID != m.RoleID {
		if err := s.mayGrantRole(r.Context(), c, rec, m.User.Login); err != nil {
			return err
		}
		err := s.st.SetMemberRole(r.Context(), s.org.Name, m.User.ID, rec.ID, builtinID(s.org.Name, apitype.OrgRoleAdmin))
		switch {
		case errors.Is(err, store.ErrLastHolder):
			return s.lastAdmin(m, "role", "demote")
		case errors.Is(err, store.ErrNotFound):
			return notFound("member", "%q is not a member of %s", m.User.Login, s.org.Name)
		case err != nil:
			return err
		}
		s.indexes.invalidate(userKey(m.User.ID))
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// lastAdmin refuses (409) to demote or remove the org's last admin member.
//
// The rule: an org keeps at least one member with the built-in admin role. Only members count,
// not admin org tokens (the bootstrap token included): those are credentials held by automation
// that expire, get revoked or leak, not people who can be asked; and the other way back in,
// break-glass (`iam-server admin-token`), needs the database with the server stopped. So while
// an admin token could still administer the org, the last admin *user* is what keeps it
// administrable through the API. What to do is to make another member admin first.
func (s *Server) lastAdmin(m store.Member, attribute, verb string) error {
	return refused("member", attribute, "cannot %s %q: they are the last member of %s with the admin role, and an org keeps at least one "+
		"(admin org tokens do not count: they are not members); make another member an admin first "+
		"(PATCH /api/orgs/%s/members/{login} with {\"role\":\"admin\"}), then retry", verb, m.User.Login, s.org.Name, s.org.Name)
}

// removeMember ends a membership: the user leaves the org's teams and their personal tokens
// stop working at once. Removing yourself or the last admin is refused.
func (s *Server) removeMember(w http.ResponseWriter, r *http.Request, c *call) error {
	m, err := s.member(r.Context(), c, r.PathValue("login"))
	if err != nil {
		return err
	}
	if c.principal.token.Kind == store.TokenPersonal && c.principal.token.UserID == m.User.ID {
		return errorf(http.StatusBadRequest, "you cannot remove yourself from %s; ask another admin", s.org.Name)
	}
	err = s.st.RemoveMember(r.Context(), s.org.Name, m.User.ID, builtinID(s.org.Name, apitype.OrgRoleAdmin), s.stamp())
	switch {
	case errors.Is(err, store.ErrLastHolder):
		return s.lastAdmin(m, "login", "remove")
	case errors.Is(err, store.ErrNotFound):
		return notFound("member", "%q is not a member of %s", m.User.Login, s.org.Name)
	case err != nil:
		return err
	}
	s.indexes.invalidate(userKey(m.User.ID))
	s.tokens.evictWhere(func(t store.Token) bool { return t.Kind == store.TokenPersonal && t.UserID == m.User.ID })
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mintMemberToken is how a member gets a first personal token (until OIDC login exists, they
// have no other way in): an iamref route, POST /api/orgs/{org}/members/{login}/tokens. It
// refuses a member who has a live personal token already (they mint more themselves), and the
// caller must hold everything the member may do: a token acting as them hands out all of it.
func (s *Server) mintMemberToken(w http.ResponseWriter, r *http.Request, c *call) error {
	login := r.PathValue("login")
	var req apitype.CreatePersonalTokenRequest
	return s.create(w, r, c, "token", &req, func() (int, any, error) {
		m, err := s.member(r.Context(), c, login)
		if err != nil {
			return 0, nil, err
		}
		if err := s.validTokenText(c, req.Description, req.Expires); err != nil {
			return 0, nil, err
		}
		live, err := s.st.ListUserTokens(r.Context(), s.org.Name, m.User.ID)
		if err != nil {
			return 0, nil, err
		}
		now := s.now().Unix()
		for _, t := range live {
			if t.Expires == 0 || t.Expires > now {
				return 0, nil, refused("token", "login", "%q has a personal token already; they mint more with POST /api/user/tokens", login)
			}
		}
		if err := s.mayBind(r.Context(), c, userKey(m.User.ID), "token", "login", fmt.Sprintf("cannot mint a token acting as %q, who may do more than the caller", login)); err != nil {
			return 0, nil, err
		}
		return s.mintToken(r.Context(), store.Token{
			ID: newID(), Org: s.org.Name, Kind: store.TokenPersonal, UserID: m.User.ID, Description: req.Description,
			Expires: req.Expires, Created: s.stamp(), CreatedBy: c.principal.name(),
		})
	})
}

// caller returns the member a personal token acts for; other tokens have no user (a 400).
func (s *Server) caller(ctx context.Context, c *call) (store.Member, error) {
	if c.principal.token.Kind != store.TokenPersonal {
		return store.Member{}, errorf(http.StatusBadRequest, "personal tokens belong to a user; this request's token is %s, not a personal token", c.principal.who())
	}
	c.label = "member:" + c.principal.subject
	m, err := s.st.GetMemberByID(ctx, s.org.Name, c.principal.token.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.Member{}, errorf(http.StatusUnauthorized, "invalid, expired or revoked token")
	}
	return m, err
}

func (s *Server) listUserTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	m, err := s.caller(r.Context(), c)
	if err != nil {
		return err
	}
	q := store.TokenQuery{Kind: store.TokenPersonal, UserID: m.User.ID, Filter: store.TokensAll}
	return s.listTokenPage(w, r, q, listName("personal-tokens", m.User.ID))
}

func (s *Server) createUserToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreatePersonalTokenRequest
	return s.create(w, r, c, "token", &req, func() (int, any, error) {
		m, err := s.caller(r.Context(), c)
		if err != nil {
			return 0, nil, err
		}
		if err := s.validTokenText(c, req.Description, req.Expires); err != nil {
			return 0, nil, err
		}
		return s.mintToken(r.Context(), store.Token{
			ID: newID(), Org: s.org.Name, Kind: store.TokenPersonal, UserID: m.User.ID, Description: req.Description,
			Expires: req.Expires, Created: s.stamp(), CreatedBy: m.User.Login,
		})
	})
}

func (s *Server) deleteUserToken(w http.ResponseWriter, r *http.Request, c *call) error {
	m, err := s.caller(r.Context(), c)
	if err != nil {
		return err
	}
	id := r.PathValue("tokenID")
	tok, err := s.st.GetToken(r.Context(), s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && (tok.Deleted || tok.Kind != store.TokenPersonal || tok.UserID != m.User.ID) {
		return notFound("token", "you have no active personal token with ID %q", id)
	}
	if err != nil {
		return err
	}
	if err := s.deleteTokenByID(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return notFound("token", "you have no active personal token with ID %q", id)
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listRoleUsers(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	ms, err := s.st.ListMembersByRole(r.Context(), s.org.Name, rec.ID)
	if err != nil {
		return err
	}
	resp := apitype.ListUsersResponse{}
	for _, m := range ms {
		resp.Users = append(resp.Users, userInfo(m.User))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}
