package server

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// whoCan answers "which principals may do this action on this entity, and through which
// grant": the reverse of the access check, with the same compiled indexes (guardrails
// applied). It walks the org's principals in a fixed order — organization tokens, then members
// (each with their personal tokens), then teams (each with their team tokens) — examining at
// most maxResults subjects per page (plus at most maxSubjectTokens tokens of each), and hands
// back a continuation token for the rest. Team and personal tokens act as their team or user,
// so they share its answer.
func (s *Server) whoCan(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.WhoCanRequest
	if _, err := decodeBody(r, "whoCan", &req); err != nil {
		return err
	}
	if req.Action == "" {
		return required("whoCan", "action")
	}
	scope, err := authz.LookupScope(req.Action)
	if err != nil {
		return invalid("whoCan", "action", "%v", err)
	}
	limit := req.MaxResults
	switch {
	case limit == 0:
		limit = defaultPageSize
	case limit < 1 || limit > maxPageSize:
		return invalid("whoCan", "maxResults", "want an integer from 1 to %d", maxPageSize)
	}
	kinds, err := s.whoKinds(c, req.Kinds)
	if err != nil {
		return err
	}
	ent, blind, err := s.resolveRef(r.Context(), req.Entity, scope.Kind, c.principal.index)
	if ae := (*apiError)(nil); errors.As(err, &ae) {
		ae.fields = renameResource(ae.fields, "whoCan")
		return ae
	}
	if err != nil {
		return err
	}
	list := listName("who", scope.Name, strings.Join(kinds, ","), req.Entity.Kind, req.Entity.ID, req.Entity.Project, req.Entity.Name)
	pos, err := s.parseContinuation(req.ContinuationToken, "whoCan", list, 2)
	if err != nil {
		return err
	}
	wc := &whoCanner{s: s, c: c, r: r, scope: scope, ent: ent, limit: limit, kinds: kinds,
		ac: &accessChecker{s: s, ctx: r.Context()}}
	phase, after := 0, ""
	if pos != nil {
		phase, _ = strconv.Atoi(pos[0])
		after = pos[1]
	}
	resp, next, err := wc.run(phase, after)
	if err != nil {
		return err
	}
	if next != nil {
		resp.ContinuationToken = s.continuation(list, next...)
	}
	if blind {
		for i := range resp.Principals {
			resp.Principals[i].Reasons = append(resp.Principals[i].Reasons, "the caller may not read this "+ent.Kind.String()+": answered without its tags")
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// renameResource makes field errors of a shared helper name this request's body.
func renameResource(fs []apitype.FieldError, resource string) []apitype.FieldError {
	for i := range fs {
		fs[i].Resource = resource
	}
	return fs
}

var whoKindScope = map[string]authz.Scope{
	apitype.PrincipalOrgToken:      orgTokenRead,
	apitype.PrincipalTeamToken:     teamRead,
	apitype.PrincipalPersonalToken: orgMemberAccessRead,
	apitype.PrincipalUser:          orgMemberAccessRead,
	apitype.PrincipalTeam:          teamRead,
}

var whoKindNames = []string{apitype.PrincipalOrgToken, apitype.PrincipalTeamToken, apitype.PrincipalPersonalToken, apitype.PrincipalUser, apitype.PrincipalTeam}

// whoKinds validates the kinds asked about (by default, every kind the caller may ask about):
// each needs the scope that reads that kind's holders, as the access check does for one
// principal.
func (s *Server) whoKinds(c *call, asked []string) ([]string, error) {
	if len(asked) == 0 {
		// Every kind the caller may read the holders of.
		for _, k := range whoKindNames {
			if c.principal.index.Decide(whoKindScope[k].ID, authz.OrgEntity) == authz.Allowed {
				asked = append(asked, k)
			}
		}
		if len(asked) == 0 {
			e := fieldError("whoCan", "kinds", apitype.ErrorTypeCustom, "asking who has access needs org_token:read (tokens), org_member_access:read (members and their tokens) or team:read (teams and their tokens); the caller holds none")
			e.status = http.StatusForbidden
			return nil, e
		}
	}
	var out []string
	for i, k := range asked {
		sc, ok := whoKindScope[k]
		if !ok {
			return nil, invalid("whoCan", fmt.Sprintf("kinds[%d]", i), "unknown principal kind %q%s (want some of %s)", k, authz.Suggest(k, whoKindNames), strings.Join(whoKindNames, ", "))
		}
		if c.principal.index.Decide(sc.ID, authz.OrgEntity) != authz.Allowed {
			e := fieldError("whoCan", fmt.Sprintf("kinds[%d]", i), apitype.ErrorTypeCustom,
				"asking which %ss have access also needs %s; leave %q out of kinds", strings.ReplaceAll(k, "_", " "), sc.Name, k)
			e.status = http.StatusForbidden
			return nil, e
		}
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out, nil
}

// maxSubjectTokens bounds the team or personal tokens listed with one team or member.
const maxSubjectTokens = 100

type whoCanner struct {
	s     *Server
	c     *call
	r     *http.Request
	scope authz.Scope
	ent   authz.Entity
	limit int
	kinds []string
	ac    *accessChecker
	resp  apitype.WhoCanResponse
}

func (wc *whoCanner) wants(kind string) bool { return slices.Contains(wc.kinds, kind) }

// run examines from phase (0 org tokens, 1 members, 2 teams) after the key after, and returns
// the page and the position to continue from (nil when done).
func (wc *whoCanner) run(phase int, after string) (apitype.WhoCanResponse, []string, error) {
	ctx := wc.r.Context()
	for ; phase <= 2; phase, after = phase+1, "" {
		switch phase {
		case 0:
			if !wc.wants(apitype.PrincipalOrgToken) {
				continue
			}
			q := store.TokenQuery{Org: wc.s.org.Name, Filter: store.TokensActive, Now: wc.s.now(), Limit: wc.limit - wc.resp.Examined + 1}
			if after != "" {
				created, id, _ := strings.Cut(after, "|")
				us, _ := strconv.ParseInt(created, 10, 64)
				q.After = &store.TokenPos{Created: time.UnixMicro(us).UTC(), ID: id}
			}
			toks, err := wc.s.st.ListTokensPage(ctx, q)
			if err != nil {
				return wc.resp, nil, err
			}
			for i, t := range toks {
				if wc.resp.Examined == wc.limit {
					if i == 0 {
						return wc.resp, []string{"0", after}, nil
					}
					prev := toks[i-1]
					return wc.resp, []string{"0", fmt.Sprintf("%d|%s", prev.Created.UnixMicro(), prev.ID)}, nil
				}
				wc.resp.Examined++
				cr, err := wc.s.indexes.forToken(ctx, t)
				if err != nil {
					return wc.resp, nil, err
				}
				if err := wc.add(cr.ix, apitype.WhoCanPrincipal{Kind: apitype.PrincipalOrgToken, ID: t.ID, Name: t.Name}); err != nil {
					return wc.resp, nil, err
				}
			}
		case 1:
			if !wc.wants(apitype.PrincipalUser) && !wc.wants(apitype.PrincipalPersonalToken) {
				continue
			}
			ms, err := wc.s.st.ListMembers(ctx, wc.s.org.Name, after, wc.limit-wc.resp.Examined+1)
			if err != nil {
				return wc.resp, nil, err
			}
			for i, m := range ms {
				if wc.resp.Examined == wc.limit {
					if i == 0 {
						return wc.resp, []string{"1", after}, nil
					}
					return wc.resp, []string{"1", ms[i-1].User.Login}, nil
				}
				wc.resp.Examined++
				ix, err := wc.s.subjectIndex(ctx, userKey(m.User.ID), "member", m.User.Login)
				if err != nil {
					return wc.resp, nil, err
				}
				var toks []store.Token
				if wc.wants(apitype.PrincipalPersonalToken) {
					if toks, err = wc.s.st.ListTokensPage(ctx, store.TokenQuery{Org: wc.s.org.Name, Kind: store.TokenPersonal, UserID: m.User.ID,
						Filter: store.TokensActive, Now: wc.s.now(), Limit: maxSubjectTokens}); err != nil {
						return wc.resp, nil, err
					}
				}
				if err := wc.subject(ix, apitype.PrincipalUser, m.User.ID, m.User.Login, apitype.PrincipalPersonalToken, toks); err != nil {
					return wc.resp, nil, err
				}
			}
		case 2:
			if !wc.wants(apitype.PrincipalTeam) && !wc.wants(apitype.PrincipalTeamToken) {
				continue
			}
			teams, err := wc.s.st.ListTeams(ctx, wc.s.org.Name, after, wc.limit-wc.resp.Examined+1)
			if err != nil {
				return wc.resp, nil, err
			}
			for i, t := range teams {
				if wc.resp.Examined == wc.limit {
					if i == 0 {
						return wc.resp, []string{"2", after}, nil
					}
					return wc.resp, []string{"2", teams[i-1].Name}, nil
				}
				wc.resp.Examined++
				ix, err := wc.s.subjectIndex(ctx, teamKey(t.ID), "team", t.Name)
				if err != nil {
					return wc.resp, nil, err
				}
				var toks []store.Token
				if wc.wants(apitype.PrincipalTeamToken) {
					if toks, err = wc.s.st.ListTokensPage(ctx, store.TokenQuery{Org: wc.s.org.Name, Kind: store.TokenTeam, TeamID: t.ID,
						Filter: store.TokensActive, Now: wc.s.now(), Limit: maxSubjectTokens}); err != nil {
						return wc.resp, nil, err
					}
				}
				if err := wc.subject(ix, apitype.PrincipalTeam, t.ID, t.Name, apitype.PrincipalTeamToken, toks); err != nil {
					return wc.resp, nil, err
				}
			}
		}
	}
	return wc.resp, nil, nil
}

// subject adds a user or team (when asked about) and its tokens, which act with its rights.
func (wc *whoCanner) subject(ix *authz.Index, kind, id, name, tokenKind string, toks []store.Token) error {
	if wc.wants(kind) {
		if err := wc.add(ix, apitype.WhoCanPrincipal{Kind: kind, ID: id, Name: name}); err != nil {
			return err
		}
	}
	for _, t := range toks {
		tname := t.Name
		if tname == "" {
			tname = t.Description
		}
		if err := wc.add(ix, apitype.WhoCanPrincipal{Kind: tokenKind, ID: t.ID, Name: tname, ActsAs: kind + ":" + name}); err != nil {
			return err
		}
	}
	return nil
}

// add decides for one principal and records it when allowed or denied by a guardrail.
func (wc *whoCanner) add(ix *authz.Index, p apitype.WhoCanPrincipal) error {
	ex := ix.Explain(wc.scope.ID, wc.ent)
	wc.s.metrics.decision(ex.Decision)
	switch {
	case ex.Guardrail != nil:
		p.Guardrail, p.Reasons = ex.Guardrail.ID, ex.Reasons()
		wc.resp.DeniedByGuardrail = append(wc.resp.DeniedByGuardrail, p)
	case bool(ex.Decision):
		res := accessResult(ex)
		for i, g := range ex.Grants {
			if len(g.Via) == 0 {
				continue
			}
			names, err := wc.ac.viaNames(g.Via)
			if err != nil {
				return err
			}
			res.Grounds[i].ViaNames = names
			res.Reasons[i] = "via " + strings.Join(names, " → ") + ": " + res.Reasons[i]
		}
		p.Grounds, p.Reasons = res.Grounds, res.Reasons
		wc.resp.Principals = append(wc.resp.Principals, p)
	}
	return nil
}
