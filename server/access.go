package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

const maxChecks = 1000

var noReasons = []string{} // shared, never appended to: encodes as []

// checkAccess answers "may this principal do this action on this entity, and why" for a batch,
// with the same compiled index the route guards use. Each check is explained first (any store
// error fails the request before a byte is written), then the answer is written straight from
// the explanations (accessjson.go).
func (s *Server) checkAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	ac := s.newAccessChecker(r.Context(), c)
	defer ac.release()
	req := apitype.AccessCheckRequest{Checks: ac.checks[:0]}
	bp := accessBufs.Get().(*[]byte)
	body, err := readBodyTo(r, *bp)
	fast := err == nil && decodeAccessCheckFast(body, &req)
	if err == nil && !fast {
		// encoding/json decodes into the slice's memory without zeroing it: none of what the
		// fast path wrote before it gave up may show through.
		clear(req.Checks[:cap(req.Checks)])
		err = decodeJSONItems(body, "accessCheck", &req, "checks", maxChecks)
	}
	// Kept for the next request (released with the checker); after the strict decoder, which
	// may have written past the length it left, release clears the whole capacity.
	ac.checks, ac.wide = req.Checks, !fast
	if cap(body) <= 1<<20 { // decoded strings are copies: the body's memory is free again
		*bp = body[:0]
	}
	accessBufs.Put(bp)
	if err != nil {
		return err
	}
	if len(req.Checks) == 0 {
		return required("accessCheck", "checks")
	}
	if len(req.Checks) > maxChecks {
		return invalid("accessCheck", "checks", "%d checks; at most %d per request", len(req.Checks), maxChecks)
	}
	if cap(ac.outs) < len(req.Checks) {
		ac.outs = make([]accessOutcome, len(req.Checks))
	}
	outs := ac.outs[:len(req.Checks)]
	if err := ac.prefetch(req.Checks); err != nil {
		return err
	}
	for i, chk := range req.Checks {
		out, err := ac.explain(chk, ac.pre[i])
		if err != nil {
			var ae *apiError // declared here: errors.As moves it to the heap
			if !errors.As(err, &ae) {
				return err
			}
			out = accessOutcome{failed: true, err: ae.msg} // a bad check fails alone
		}
		outs[i] = out
	}
	s.metrics.decisionsMade(ac.decided[1], ac.decided[0])
	c.note = deniedChecksNote(req.Checks, outs)
	ac.writeAnswer(w, outs)
	return nil
}

// accessOutcome is one check's answer before it is written: its explanation, or its error.
type accessOutcome struct {
	ex     authz.Explanation
	blind  bool   // the entity was answered from the reference as sent (resolveRef)
	failed bool   // the check failed alone: err says why
	err    string // the error's message
}

func (o *accessOutcome) allowed() bool { return !o.failed && bool(o.ex.Decision) }

// deniedChecksNote is what the audit log records for an access check with denied results
// (checks that were denied are worth knowing about; "" when none was).
func deniedChecksNote(checks []apitype.AccessCheck, outs []accessOutcome) string {
	denied, first := 0, ""
	for i := range outs {
		if outs[i].allowed() {
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
			if outs[i].err != "" {
				first += " (" + outs[i].err + ")"
			}
		}
	}
	if denied == 0 {
		return ""
	}
	return fmt.Sprintf("access check: %d of %d checks denied; the first: %s", denied, len(outs), first)
}

// accessChecker answers the checks of one request, compiling each principal named once.
type accessChecker struct {
	s          *Server
	ctx        context.Context
	principals map[string]*authz.Index // by principal as sent (token ID, user:<login>, team:<name>); "" is the caller
	callerID   string                  // the calling token's ID, whose scope use is counted
	names      map[string]string       // viaNames: record or team key → name
	now        time.Time               // the request's instant: caches are read at it (zero: s.now())
	counted    [3]bool                 // the scopes of needs already counted for this request
	scratch    []byte                  // cache keys and reason lines are built here
	decided    [2]int                  // decisions made: denied, allowed (metrics, once per request)
	// Kept from request to request by checkers (accessCheckers): the decoded checks and their
	// outcomes (about 100 and 200 bytes per check).
	checks []apitype.AccessCheck
	outs   []accessOutcome
	pre    []resolved // each check's entity as prefetch found it
	wide   bool       // checks was written past its length (release clears its whole capacity)
}

// resolved is what prefetch learnt of a check's entity: the cache entry, or that the store has
// no such entity (absent); neither when the check was not resolved ahead (the org, a bad
// reference) and is looked up on its own.
type resolved struct {
	ce     *cachedEntity
	absent bool
}

// accessCheckers pools the checkers of access-check requests, with their maps and slices.
var accessCheckers = sync.Pool{New: func() any {
	return &accessChecker{principals: map[string]*authz.Index{}, names: map[string]string{}}
}}

// newAccessChecker is the checker of one access-check request; release it when the answer is
// written.
func (s *Server) newAccessChecker(ctx context.Context, c *call) *accessChecker {
	ac := accessCheckers.Get().(*accessChecker)
	ac.s, ac.ctx, ac.callerID, ac.now = s, ctx, c.principal.token.ID, s.now()
	ac.principals[""], ac.principals[c.principal.token.ID] = c.principal.index, c.principal.index
	return ac
}

// release returns the checker to the pool, holding nothing of this request (the maps and
// slices keep their memory, not their contents).
func (ac *accessChecker) release() {
	if len(ac.principals) > 2*maxChecks || cap(ac.outs) > maxChecks || cap(ac.pre) > maxChecks || cap(ac.checks) > maxChecks+1 {
		return // an unusual request: not kept
	}
	clear(ac.principals)
	clear(ac.names)
	n := len(ac.checks) // what this request wrote; beyond it the memory is already zero
	if ac.wide {
		n = cap(ac.checks)
	}
	clear(ac.checks[:n])
	clear(ac.outs[:min(n, cap(ac.outs))])
	clear(ac.pre[:min(n, cap(ac.pre))])
	checks, outs, pre, principals, names, scratch := ac.checks[:0], ac.outs[:0], ac.pre[:0], ac.principals, ac.names, ac.scratch[:0]
	*ac = accessChecker{principals: principals, names: names, checks: checks, outs: outs, pre: pre, scratch: scratch}
	accessCheckers.Put(ac)
}

func boolIndex(b bool) int {
	if b {
		return 1
	}
	return 0
}

// at is the request's instant.
func (ac *accessChecker) at() time.Time {
	if ac.now.IsZero() {
		ac.now = ac.s.now()
	}
	return ac.now
}

// explain decides one check; an *apiError is that check's error, any other error fails the
// request. The names of the records and teams its grants are reached through are looked up
// (once per request) into ac.names for the writer.
func (ac *accessChecker) explain(chk apitype.AccessCheck, pre resolved) (accessOutcome, error) {
	if err := refTooLong("principal", chk.Principal); err != nil {
		return accessOutcome{}, err
	}
	ix, ok := ac.principals[chk.Principal]
	if !ok {
		var err error
		if ix, err = ac.other(chk.Principal); err != nil {
			return accessOutcome{}, err
		}
		ac.principals[chk.Principal] = ix
	}
	scope, err := authz.LookupScope(chk.Action)
	if err != nil {
		return accessOutcome{}, invalid("accessCheck", "action", "%v", err)
	}
	ent, blind, err := ac.s.resolveRefAt(ac.ctx, chk.Entity, scope.Kind, ac.principals[""], ac.at(), &ac.scratch, pre)
	if err != nil {
		return accessOutcome{}, err
	}
	ex := ix.Explain(scope.ID, ent)
	ac.decided[boolIndex(bool(ex.Decision))]++
	for _, g := range ex.Grants {
		if len(g.Via) > 0 {
			if _, err := ac.viaNames(g.Via); err != nil {
				return accessOutcome{}, err
			}
		}
	}
	return accessOutcome{ex: ex, blind: blind}, nil
}

// prefetch resolves the entities of a batch's checks before they are explained (ac.pre): each
// from the cache, and those it does not hold from the store in one LookupEntities call, so that a
// batch naming up to 1,000 uncached or missing entities costs a few queries, not one read per
// check. A store error fails the request, as a read in explain would. Checks whose entity is the
// org or whose reference explain refuses are left to explain.
func (ac *accessChecker) prefetch(checks []apitype.AccessCheck) error {
	if cap(ac.pre) < len(checks) {
		ac.pre = make([]resolved, len(checks))
	}
	ac.pre = ac.pre[:len(checks)]
	ents, now := ac.s.ents, ac.at()
	var refs []store.EntityRef // the misses, in check order
	var at []int               // the check of each miss
	for i := range checks {
		ref := &checks[i].Entity
		if ref.Kind == "" || ref.Kind == apitype.EntityOrg || len(ref.ID) > maxCheckRef || len(ref.Project) > maxCheckRef || len(ref.Name) > maxCheckRef {
			continue
		}
		kind, err := authz.ParseEntityKind(ref.Kind)
		if err != nil {
			continue
		}
		if ke, ok := ents.probe(ents.keyOf(&ac.scratch, kind, ref.ID, ref.Project, ref.Name), now); ok {
			ac.pre[i].ce = &ke.cachedEntity
			continue
		}
		refs = append(refs, store.EntityRef{ID: ref.ID, Kind: kind, Project: ref.Project, Name: ref.Name})
		at = append(at, i)
	}
	if len(refs) == 0 {
		return nil
	}
	gen := ents.entries.Generation()
	found, err := ac.s.st.LookupEntities(ac.ctx, ac.s.org.Name, refs)
	if err != nil {
		return err
	}
	byKey := make(map[string]*cachedEntity, 2*len(found))
	for _, e := range found {
		ce := ents.put(gen, e) // cached unless invalidated meanwhile; this request uses it either way
		byKey[idKey(e.ID)], byKey[nameKey(e.Kind, e.Project, e.Name)] = ce, ce
	}
	for j, r := range refs {
		ce, ok := byKey[string(ents.keyOf(&ac.scratch, r.Kind, r.ID, r.Project, r.Name))]
		ac.pre[at[j]] = resolved{ce: ce, absent: !ok}
	}
	return nil
}

// maxCheckRef bounds each name an access check or who-can request gives (principal, entity
// ID, project, name), in bytes: real ones are far shorter (token IDs, logins and team names are a few dozen bytes; projects
// and entity names at most 100 characters), and a longer one is refused before any lookup
// instead of being looked up and echoed back in the error.
const maxCheckRef = 512

// refTooLong refuses a name longer than maxCheckRef, naming the field.
func refTooLong(field, v string) error {
	if len(v) > maxCheckRef {
		return invalid("accessCheck", field, "%d bytes; at most %d (a token ID, user:<login> or team:<name>; an entity's ID, or its project and name)", len(v), maxCheckRef)
	}
	return nil
}

// blindReason is the reason added to the answer about an entity the caller may not read.
func blindReason(kind authz.EntityKind) string {
	return "the caller may not read this " + kind.String() +
		": answered from the reference as sent, without looking it up (no tags: grants conditional on tags do not hold, guardrails conditional on them apply)"
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
	needs := func(sc authz.Scope, what string, n int) error {
		if caller.Decide(sc.ID, authz.OrgEntity) == authz.Allowed {
			if ac.callerID != "" && !ac.counted[n] { // used (least privilege counts it), once per request
				ac.counted[n] = true
				ac.s.scopes.add(ac.callerID, sc, ac.at().Unix())
			}
			return nil
		}
		return errorf(http.StatusForbidden, "principal: checking %s access also needs %s", what, sc.Name)
	}
	if login, ok := strings.CutPrefix(principal, userPrefix); ok {
		if login == "" {
			return nil, invalid("accessCheck", "principal", "user: needs a login (user:<login>)")
		}
		if err := needs(orgMemberAccessRead, "a member's", 0); err != nil {
			return nil, err
		}
		return ac.s.userIndex(ac.ctx, login)
	}
	if name, ok := strings.CutPrefix(principal, teamPrefix); ok {
		if name == "" {
			return nil, invalid("accessCheck", "principal", "team: needs a team name (team:<name>)")
		}
		if err := needs(teamRead, "a team's", 1); err != nil {
			return nil, err
		}
		return ac.s.teamIndex(ac.ctx, name)
	}
	if err := needs(orgTokenRead, "another token's", 2); err != nil {
		return nil, err
	}
	return ac.s.principalIndexAt(ac.ctx, principal, ac.at())
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
	_, ix, err := s.principalIndexOf(ctx, tokenID, s.now())
	return ix, err
}

// principalIndexOf is principalIndex at the instant now, with the token when its rights were
// compiled (its zero value when the token is expired: nothing to cache).
func (s *Server) principalIndexOf(ctx context.Context, tokenID string, now time.Time) (store.Token, *authz.Index, error) {
	tok, err := s.tokens.byID(ctx, s.org.Name, tokenID)
	if errors.Is(err, store.ErrNotFound) || err == nil && tok.Deleted {
		return store.Token{}, nil, notFound("token", "principal: no token with ID %q", tokenID)
	}
	if err != nil {
		return store.Token{}, nil, err
	}
	if tok.Expires != 0 && now.Unix() >= tok.Expires {
		return store.Token{}, emptyIndex, nil // expired: it may do nothing
	}
	cr, err := s.indexes.forToken(ctx, tok)
	if err != nil {
		return store.Token{}, nil, err
	}
	return tok, cr.ix, nil
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
	var scratch []byte
	return s.resolveRefAt(ctx, ref, scopeKind, caller, s.now(), &scratch, resolved{})
}

// resolveRefAt is resolveRef at the instant now, with the cache key built in *scratch: one
// probe of the entity cache, whose entries hold the entity ready for authz, unless pre already
// says what the cache or the store holds.
func (s *Server) resolveRefAt(ctx context.Context, ref apitype.EntityRef, scopeKind authz.EntityKind, caller *authz.Index, now time.Time, scratch *[]byte, pre resolved) (_ authz.Entity, blind bool, err error) {
	for _, f := range [...]struct{ field, v string }{{"entity.id", ref.ID}, {"entity.project", ref.Project}, {"entity.name", ref.Name}} {
		if err := refTooLong(f.field, f.v); err != nil {
			return authz.Entity{}, false, err
		}
	}
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
	ce := pre.ce
	switch {
	case pre.absent:
		err = store.ErrNotFound
	case ce == nil:
		ce, err = s.ents.lookup(ctx, kind, ref.ID, ref.Project, ref.Name, now, scratch)
	}
	if err == nil && ce.target.Kind != kind {
		err = store.ErrNotFound
	}
	unread := func() authz.Entity { // built only when answered blind; its tags are unknown
		if ref.ID != "" {
			return authz.Entity{Kind: kind, ID: ref.ID, Unknown: true}
		}
		return authz.Entity{Kind: kind, Name: qualified(ref.Project, ref.Name), Unknown: true}
	}
	switch {
	case errors.Is(err, store.ErrNotFound) && readsEverywhere(caller, kind):
		return authz.Entity{}, false, notFound(ref.Kind, "%s not found", describeEntityRef(ref))
	case errors.Is(err, store.ErrNotFound):
		return unread(), true, nil
	case err != nil:
		return authz.Entity{}, false, err
	case !mayReadTarget(caller, ce.target):
		return unread(), true, nil
	}
	return ce.target, false, nil
}
