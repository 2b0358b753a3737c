package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

const maxChecks = 1000

var noReasons = []string{} // shared, never appended to: encodes as []

// checkAccess answers "may this principal do this action on this entity, and why" for a batch,
// with the same compiled index the route guards use.
func (s *Server) checkAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.AccessCheckRequest
	if _, err := decodeBody(r, "accessCheck", &req); err != nil {
		return err
	}
	if len(req.Checks) == 0 {
		return required("accessCheck", "checks")
	}
	if len(req.Checks) > maxChecks {
		return invalid("accessCheck", "checks", "%d checks; at most %d per request", len(req.Checks), maxChecks)
	}
	resp := apitype.AccessCheckResponse{Results: make([]apitype.AccessCheckResult, len(req.Checks))}
	ac := &accessChecker{s: s, ctx: r.Context(), principals: map[string]*authz.Index{"": c.principal.index, c.principal.token.ID: c.principal.index}, callerID: c.principal.token.ID}
	for i, chk := range req.Checks {
		res, err := ac.check(chk)
		if ae := (*apiError)(nil); errors.As(err, &ae) {
			res, err = apitype.AccessCheckResult{Error: ae.msg}, nil // a bad check fails alone
		}
		if err != nil {
			return err
		}
		if res.Reasons == nil {
			res.Reasons = noReasons
		}
		resp.Results[i] = res
	}
	c.note = deniedChecksNote(req.Checks, resp.Results)
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// deniedChecksNote is what the audit log records for an access check with denied results
// (checks that were denied are worth knowing about; "" when none was).
func deniedChecksNote(checks []apitype.AccessCheck, results []apitype.AccessCheckResult) string {
	denied, first := 0, ""
	for i, res := range results {
		if res.Allowed {
			continue
		}
		denied++
		if first == "" {
			chk := checks[i]
			first = chk.Action
			switch {
			case strings.HasPrefix(chk.Principal, userPrefix) || strings.HasPrefix(chk.Principal, teamPrefix):
				first += " for " + chk.Principal
			case chk.Principal != "":
				first += " for token " + chk.Principal
			}
			if res.Error != "" {
				first += " (" + res.Error + ")"
			}
		}
	}
	if denied == 0 {
		return ""
	}
	return fmt.Sprintf("access check: %d of %d checks denied; the first: %s", denied, len(results), first)
}

// accessChecker answers the checks of one request, compiling each principal named once.
type accessChecker struct {
	s          *Server
	ctx        context.Context
	principals map[string]*authz.Index // by principal as sent (token ID, user:<login>, team:<name>); "" is the caller
	callerID   string                  // the calling token's ID, whose scope use is counted
	names      map[string]string       // viaNames: record or team key → name
}

// check answers one check; an *apiError is that check's error, any other error fails the request.
func (ac *accessChecker) check(chk apitype.AccessCheck) (apitype.AccessCheckResult, error) {
	ix, ok := ac.principals[chk.Principal]
	if !ok {
		var err error
		if ix, err = ac.other(chk.Principal); err != nil {
			return apitype.AccessCheckResult{}, err
		}
		ac.principals[chk.Principal] = ix
	}
	scope, err := authz.LookupScope(chk.Action)
	if err != nil {
		return apitype.AccessCheckResult{}, invalid("accessCheck", "action", "%v", err)
	}
	ent, blind, err := ac.s.resolveRef(ac.ctx, chk.Entity, scope.Kind, ac.principals[""])
	if err != nil {
		return apitype.AccessCheckResult{}, err
	}
	ex := ix.Explain(scope.ID, ent)
	ac.s.metrics.decision(ex.Decision)
	res := accessResult(ex)
	for i, g := range ex.Grants {
		if len(g.Via) == 0 {
			continue
		}
		names, err := ac.viaNames(g.Via)
		if err != nil {
			return apitype.AccessCheckResult{}, err
		}
		res.Grounds[i].ViaNames = names
		res.Reasons[i] = "via " + strings.Join(names, " → ") + ": " + res.Reasons[i]
	}
	if blind {
		res.Reasons = append(res.Reasons, "the caller may not read this "+ent.Kind.String()+
			": answered from the reference as sent, without looking it up (no tags: grants conditional on tags do not hold, guardrails conditional on them apply)")
	}
	return res, nil
}

// Asking about a principal other than the calling token needs, besides role:read, the right
// to read who holds what: org_token:read for a token, org_member_access:read ("view what a
// member can access") for a member, team:read for a team.
var (
	orgMemberAccessRead = authz.MustScope("org_member_access:read")
	teamRead            = authz.MustScope("team:read")
)

// other compiles the rights of a principal other than the calling token: a token by ID, a
// member as "user:<login>", a team as "team:<name>" — the same compiled rights their tokens
// act with. A principal that cannot be read or found is that check's error.
func (ac *accessChecker) other(principal string) (*authz.Index, error) {
	caller := ac.principals[""]
	needs := func(sc authz.Scope, what string) error {
		if caller.Decide(sc.ID, authz.OrgEntity) == authz.Allowed {
			if ac.callerID != "" {
				ac.s.scopes.add(ac.callerID, sc, ac.s.now().Unix()) // used (least privilege counts it)
			}
			return nil
		}
		return errorf(http.StatusForbidden, "principal: checking %s access also needs %s", what, sc.Name)
	}
	if login, ok := strings.CutPrefix(principal, userPrefix); ok {
		if login == "" {
			return nil, invalid("accessCheck", "principal", "user: needs a login (user:<login>)")
		}
		if err := needs(orgMemberAccessRead, "a member's"); err != nil {
			return nil, err
		}
		return ac.s.userIndex(ac.ctx, login)
	}
	if name, ok := strings.CutPrefix(principal, teamPrefix); ok {
		if name == "" {
			return nil, invalid("accessCheck", "principal", "team: needs a team name (team:<name>)")
		}
		if err := needs(teamRead, "a team's"); err != nil {
			return nil, err
		}
		return ac.s.teamIndex(ac.ctx, name)
	}
	if err := needs(orgTokenRead, "another token's"); err != nil {
		return nil, err
	}
	return ac.s.principalIndex(ac.ctx, principal)
}

// viaNames names the steps of a grant's path: the teams and records the principal's rights
// reach it through ("team platform", "role ci-prod").
func (ac *accessChecker) viaNames(via []string) ([]string, error) {
	if ac.names == nil {
		ac.names = map[string]string{}
	}
	out := make([]string, len(via))
	for i, id := range via {
		name, ok := ac.names[id]
		if !ok {
			if strings.HasPrefix(id, teamGrantPrefix) {
				var err error
				if name, err = ac.s.teamGrantName(ac.ctx, id); err != nil {
					return nil, err
				}
			} else if teamID, isTeam := strings.CutPrefix(id, teamPrefix); isTeam {
				t, err := ac.s.st.GetTeamByID(ac.ctx, ac.s.org.Name, teamID)
				switch {
				case err == nil:
					name = "team " + t.Name
				case errors.Is(err, store.ErrNotFound):
					name = "team " + teamID + " (deleted)"
				default:
					return nil, err
				}
			} else {
				rec, err := ac.s.st.GetRecord(ac.ctx, ac.s.org.Name, id)
				switch {
				case err == nil:
					name = rec.UXPurpose + " " + rec.Name
				case errors.Is(err, store.ErrNotFound):
					name = "record " + id + " (deleted)"
				default:
					return nil, err
				}
			}
			ac.names[id] = name
		}
		out[i] = name
	}
	return out, nil
}

// accessResult renders an explanation for the access-check API: the reasons as text and the
// same grounds (allowed) or denial as values.
func accessResult(ex authz.Explanation) apitype.AccessCheckResult {
	res := apitype.AccessCheckResult{Allowed: bool(ex.Decision), Reasons: ex.Reasons()}
	if !ex.Decision {
		d := ex.Denial()
		res.Denial = &apitype.AccessDenial{Reason: d.Reason.String(), Conditional: d.Conditional, Elsewhere: d.Elsewhere,
			Guardrail: d.Guardrail, GuardrailName: d.GuardrailName, Overridden: d.Overridden}
		return res
	}
	for _, g := range ex.Grounds() {
		res.Grounds = append(res.Grounds, apitype.AccessGround{Record: g.Record, Path: g.Path, Via: g.Via, Entity: g.Entity, Condition: g.Condition, Scopes: g.Scopes})
	}
	return res
}

// principalIndex is the compiled rights of a token named by ID.
func (s *Server) principalIndex(ctx context.Context, tokenID string) (*authz.Index, error) {
	tok, err := s.tokens.byID(ctx, s.org.Name, tokenID)
	if errors.Is(err, store.ErrNotFound) || err == nil && tok.Deleted {
		return nil, notFound("token", "principal: no token with ID %q", tokenID)
	}
	if err != nil {
		return nil, err
	}
	if tok.Expires != 0 && s.now().Unix() >= tok.Expires {
		return emptyIndex, nil // expired: it may do nothing
	}
	cr, err := s.indexes.forToken(ctx, tok)
	return cr.ix, err
}

// userIndex is the compiled effective rights of the member with this login (what their
// personal tokens act with).
func (s *Server) userIndex(ctx context.Context, login string) (*authz.Index, error) {
	m, err := s.st.GetMember(ctx, s.org.Name, login)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("member", "principal: %q is not a member of the organization", login)
	}
	if err != nil {
		return nil, err
	}
	return s.subjectIndex(ctx, userKey(m.User.ID), "member", login)
}

// teamIndex is the compiled rights of the team with this name (what its tokens act with).
func (s *Server) teamIndex(ctx context.Context, name string) (*authz.Index, error) {
	t, err := s.st.GetTeam(ctx, s.org.Name, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, notFound("team", "principal: no team named %q", name)
	}
	if err != nil {
		return nil, err
	}
	return s.subjectIndex(ctx, teamKey(t.ID), "team", name)
}

// subjectIndex compiles a user's or team's rights by cache key, as forToken does for their
// tokens: rights that do not compile are none.
func (s *Server) subjectIndex(ctx context.Context, key, kind, name string) (*authz.Index, error) {
	cr, err := s.indexes.role(ctx, key)
	if errors.Is(err, store.ErrNotFound) { // removed since the lookup
		return nil, notFound(kind, "principal: no %s %q", kind, name)
	}
	if err != nil {
		return nil, err
	}
	if cr.err != nil {
		return emptyIndex, nil
	}
	return cr.ix, nil
}

// resolveRef finds the entity an access check names, by ID or by project/name. The caller
// (who holds role:read) learns about the entity only what it may read: an entity it may not
// read, and a missing one unless it may read every entity of the kind, is answered from the
// reference alone, as sent (its ID or its name, no tags; nothing looked up shows), so the
// answer is the same whether the entity exists or not and never turns an ID into a name.
func (s *Server) resolveRef(ctx context.Context, ref apitype.EntityRef, scopeKind authz.EntityKind, caller *authz.Index) (_ authz.Entity, blind bool, err error) {
	if ref.Kind == "" || ref.Kind == apitype.EntityOrg {
		if scopeKind != authz.KindOrg {
			return authz.Entity{}, false, invalid("accessCheck", "entity.kind", "this action acts on a %s; name one (kind, and id or project/name)", scopeKind)
		}
		return authz.OrgEntity, false, nil
	}
	kind, err := authz.ParseEntityKind(ref.Kind)
	if err != nil {
		return authz.Entity{}, false, invalid("accessCheck", "entity.kind", "%v", err)
	}
	var e store.Entity
	if ref.ID != "" {
		e, err = s.ents.getByID(ctx, ref.ID)
		if err == nil && e.Kind != kind {
			err = store.ErrNotFound
		}
	} else {
		e, err = s.ents.get(ctx, kind, ref.Project, ref.Name)
	}
	unread := authz.Entity{Kind: kind, ID: ref.ID}
	if ref.ID == "" {
		unread.Name = qualified(ref.Project, ref.Name)
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && readsEverywhere(caller, kind):
		return authz.Entity{}, false, notFound(ref.Kind, "%s not found", describeEntityRef(ref))
	case errors.Is(err, store.ErrNotFound):
		unread.Unknown = true
		return unread, true, nil
	case err != nil:
		return authz.Entity{}, false, err
	case !mayRead(caller, e):
		unread.Unknown = true
		return unread, true, nil
	}
	return targetOf(e), false, nil
}
