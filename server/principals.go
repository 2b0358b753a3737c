package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// principal is an authenticated caller: a token and its compiled effective rights. An org token
// acts with its role, a team token as its team (the team's roles), a personal token as its
// user (their org role and the roles of every team they belong to).
type principal struct {
	token    store.Token
	value    string // the presented token value; kept only for the request (idempotency sealing)
	index    *authz.Index
	roleName string // an org token's role; for team and personal tokens, what their rights are made of
	subject  string // the team's name (team tokens) or the user's login (personal tokens)
}

// name is how the principal appears in audit entries, messages and createdBy: the token's
// name, or the user's login for a personal token.
func (p *principal) name() string {
	if p.token.Kind == store.TokenPersonal {
		return p.subject
	}
	return p.token.Name
}

// who introduces the principal in messages.
func (p *principal) who() string {
	switch p.token.Kind {
	case store.TokenTeam:
		return fmt.Sprintf("team token %q of team %q", p.token.Name, p.subject)
	case store.TokenPersonal:
		return fmt.Sprintf("personal token of %q", p.subject)
	}
	return fmt.Sprintf("token %q", p.token.Name)
}

// rights says what the principal's rights are made of, for denials: `role "X"` for an org
// token, the user's or team's roles otherwise.
func (p *principal) rights() string {
	if p.token.Kind == store.TokenOrganization {
		return fmt.Sprintf("role %q", p.roleName)
	}
	return p.roleName
}

// Keys of the compiled-rights cache besides role IDs (record IDs are UUIDs: no clash). A team
// key also names the team's node in the effective trees of its members, so that Grant.Via reads
// "team:<id>" → role → … and a change to the team drops every principal built from it.
const (
	teamPrefix = "team:"
	userPrefix = "user:"
	legacyKey  = "legacy:admin" // legacy admin:true tokens (the legacy index under the guardrails)
)

func teamKey(id string) string { return teamPrefix + id }
func userKey(id string) string { return userPrefix + id }

// maxEffectiveBytes bounds the details one compile reads: a role's own and those of every record
// it composes, transitively, each counted once. With MaxCompiledGrants it bounds the work of the
// first request after a change (parsing is the larger part: ~30 ms per MB).
const maxEffectiveBytes = authz.MaxDetailsBytes

// indexCache compiles each role once and keeps the index until a record it is built from
// changes in this process (each entry knows the records its tree reaches, so a write drops only
// the roles that compose the written record, transitively) or until the cache TTL has passed,
// which bounds how long a change made through another replica takes to apply. Concurrent
// compiles of one role are coalesced: the first caller compiles, the others wait for it.
type indexCache struct {
	st     store.Store
	org    string
	log    *slog.Logger
	roles  *cache[string, compiledRole] // by role ID
	legacy *authz.Index                 // legacy admin:true tokens

	mu       sync.Mutex
	inflight map[string]*compileFlight // by role ID
}

// compiledRole is a role's, a team's or a user's compiled rights, or why they have none.
type compiledRole struct {
	ix   *authz.Index // nil when err is set
	name string       // the role's name; for a team or user, the roles their rights are made of
	// subject is the team's name or the user's login ("" for a role).
	subject string
	err     error    // why the role does not compile (a role that does not compile grants nothing)
	deps    []string // records (and team keys) the compile read: a write to any of them drops it
	// held is the roles the principal holds directly (a token's role; a user's org role and
	// their teams' roles; a team's roles): what guardrail exemptions are matched against.
	held []string
	// escapes is the guardrails that held exempts from (IDs): binding it to a principal lifts
	// them, which mayBind allows only to a caller they do not bind either.
	escapes []string
}

// compileFlight is one compile in progress; callers asking for the same role during it wait
// for its result, unless the cache was invalidated since it started.
type compileFlight struct {
	gen  uint64
	done chan struct{}
	cr   compiledRole
	err  error
}

func newIndexCache(st store.Store, org string, log *slog.Logger, ttl time.Duration, now func() time.Time) *indexCache {
	all := authz.AllScopes()
	var perms []string
	for _, n := range all.Names() {
		// Pulumi: a legacy admin token is an admin that cannot create or delete org tokens.
		if n != "org_token:create" && n != "org_token:delete" {
			perms = append(perms, n)
		}
	}
	return &indexCache{
		st: st, org: org, log: log,
		roles:    newCache[string, compiledRole](ttl, maxCached, now),
		legacy:   authz.MustCompile(&authz.Allow{Permissions: perms}, authz.NoCompose),
		inflight: map[string]*compileFlight{},
	}
}

// invalidate drops the compiled roles built from any of the records ids (the records
// themselves and every role that composes them, transitively).
func (c *indexCache) invalidate(ids ...string) {
	c.roles.DeleteFunc(func(role string, cr compiledRole) bool {
		for _, id := range ids {
			if role == id || slices.Contains(cr.deps, id) {
				return true
			}
		}
		return false
	})
}

// forToken returns the token's compiled rights. A token whose role (team, user) is gone or
// does not compile has none (deny by default), and the problem is logged.
func (c *indexCache) forToken(ctx context.Context, t store.Token) (compiledRole, error) {
	key := roleKeyOf(t)
	cr, err := c.role(ctx, key)
	if errors.Is(err, store.ErrNotFound) {
		c.log.Warn("token's role, team or user is missing; it has no rights", "token", t.ID, "for", key)
		return compiledRole{ix: emptyIndex, name: "(deleted role)"}, nil
	}
	if err != nil {
		return compiledRole{}, err
	}
	if cr.err != nil {
		c.log.Error("token's rights do not compile; it has no rights", "token", t.ID, "for", key, "err", cr.err)
		cr.ix = emptyIndex
	}
	return cr, nil
}

// roleKeyOf is the compiled-rights cache key a token acts with: its role, its team, its user,
// or the legacy admin index.
func roleKeyOf(t store.Token) string {
	switch {
	case t.Kind == store.TokenTeam:
		return teamKey(t.TeamID)
	case t.Kind == store.TokenPersonal:
		return userKey(t.UserID)
	case t.Admin:
		return legacyKey
	}
	return t.RoleID
}

var emptyIndex = authz.MustCompile(&authz.Group{}, authz.NoCompose)

// role returns a role's compiled rights from the cache, compiling it (once for concurrent
// callers) when missing. The error is for the role's lookup (store.ErrNotFound when it is
// gone); a role that does not compile comes back with compiledRole.err set.
func (c *indexCache) role(ctx context.Context, roleID string) (compiledRole, error) {
	if cr, ok := c.roles.Get(roleID); ok {
		return cr, nil
	}
	gen := c.roles.Generation()
	c.mu.Lock()
	if f, ok := c.inflight[roleID]; ok && f.gen == gen {
		c.mu.Unlock()
		select {
		case <-f.done:
			return f.cr, f.err
		case <-ctx.Done():
			return compiledRole{}, ctx.Err()
		}
	}
	f := &compileFlight{gen: gen, done: make(chan struct{})}
	c.inflight[roleID] = f
	c.mu.Unlock()

	// The compile is shared: it must not fail because the first caller went away.
	f.cr, f.err = c.compile(context.WithoutCancel(ctx), roleID)
	if f.err == nil {
		c.roles.Put(gen, roleID, f.cr)
		if f.cr.err != nil {
			c.log.Error("role does not compile; tokens holding it have no rights", "role", roleID, "err", f.cr.err)
		}
	}
	c.mu.Lock()
	if c.inflight[roleID] == f {
		delete(c.inflight, roleID)
	}
	c.mu.Unlock()
	close(f.done)
	return f.cr, f.err
}

// compile reads and compiles a role (or a team's or a user's rights, by their key) from the
// store, bypassing the cache: what binding a principal to a role checks (the role as stored
// now, not as cached). The org's guardrails that its roles do not exempt it from are attached
// to the index; a store failure reading them fails the compile (no index without them).
func (c *indexCache) compile(ctx context.Context, key string) (compiledRole, error) {
	return c.compileWith(ctx, key, nil)
}

// compileWith is compile resolving records through trees (nil: the store as it is), which
// may stand in new content for a record (what a role edit's preview compares against).
func (c *indexCache) compileWith(ctx context.Context, key string, trees *recordTrees) (compiledRole, error) {
	cr, err := c.compileGrants(ctx, key, trees)
	if err != nil || cr.ix == nil {
		return cr, err
	}
	if err := c.guard(ctx, &cr); err != nil {
		return compiledRole{}, err
	}
	return cr, nil
}

// compileGrants compiles key's grants alone (no guardrails), through trees when not nil.
func (c *indexCache) compileGrants(ctx context.Context, key string, trees *recordTrees) (compiledRole, error) {
	if key == legacyKey {
		return compiledRole{ix: c.legacy, name: "admin (legacy)"}, nil
	}
	if id, ok := strings.CutPrefix(key, teamPrefix); ok {
		return c.compileTeam(ctx, id, trees)
	}
	if id, ok := strings.CutPrefix(key, userPrefix); ok {
		return c.compileUser(ctx, id, trees)
	}
	if trees != nil { // a preview: the record may stand in for what is stored
		p, err := trees.get(key)
		if p == nil {
			return compiledRole{}, err // the store failed
		}
		if err != nil {
			return compiledRole{}, fmt.Errorf("%w: %v", store.ErrNotFound, err)
		}
		cr := compiledRole{name: p.rec.Name}
		r := trees.budget(p.size)
		cr.ix, cr.err = authz.Compile(p.node, r)
		cr.deps = r.ids
		return cr, nil
	}
	rec, err := c.st.GetRecord(ctx, c.org, key)
	if err != nil {
		return compiledRole{}, err
	}
	cr := compiledRole{name: rec.Name, held: []string{rec.ID}}
	root, err := authz.Parse(rec.Details)
	if err != nil {
		cr.err = fmt.Errorf("its stored details do not parse: %w", err)
		return cr, nil
	}
	r := newRecordTrees(ctx, c.st, c.org).budget(len(rec.Details))
	cr.ix, cr.err = authz.Compile(root, r)
	cr.deps = r.ids
	return cr, nil
}

// Team and user rights are compiled as one synthetic tree, so that Decide stays one lookup
// and a bit test on one index, allocation-free, whatever the number of roles: a user's root is
// Compose[their org role, team:<id>…] and each team:<id> resolves to Compose[the team's roles].
// Grants then carry the path: Via = [team:<id>, role, …], Source = the record holding the
// Allow. (Merging separately compiled indexes would need an authz merge and would keep a
// per-role index alive per principal; the synthetic root reuses Compile as is.)

// principalTree resolves team keys to their roles' Compose (and teamgrant keys to a team's
// per-entity grants, teamgrants.go) and everything else to records,
// within one compile's budget.
type principalTree struct {
	ctx    context.Context
	c      *indexCache
	trees  *recordTrees
	b      *budgetResolver
	teams  map[string]authz.Node
	held   []string // the roles kept, for guardrail exemptions
	skip   []string // roles left out (gone or unreadable): deps all the same
	failed error    // a store failure while resolving (not the principal's fault)
}

func (c *indexCache) newPrincipalTree(ctx context.Context, trees *recordTrees) *principalTree {
	if trees == nil {
		trees = newRecordTrees(ctx, c.st, c.org)
	}
	return &principalTree{ctx: ctx, c: c, trees: trees, b: trees.budget(0), teams: map[string]authz.Node{}}
}

func (p *principalTree) Resolve(id string) (authz.Node, error) {
	if n, ok := p.teams[id]; ok {
		p.b.ids = append(p.b.ids, id)
		return n, nil
	}
	return p.b.Resolve(id)
}

// roles keeps the role IDs that can be composed (existing, parsable roles) and their names;
// the others are logged and left out, so one broken role does not void the rest.
func (p *principalTree) roles(ids []string) (kept, names []string, err error) {
	for _, id := range ids {
		rec, err := p.trees.get(id)
		if rec == nil {
			return nil, nil, err // the store failed
		}
		if err != nil {
			p.skip = append(p.skip, id)
			p.c.log.Warn("a role of a user or team is missing or unreadable; it grants nothing", "role", id, "err", err)
			continue
		}
		kept, names = append(kept, id), append(names, strconv.Quote(rec.rec.Name))
		p.held = append(p.held, id)
	}
	return kept, names, nil
}

// team adds team id's node (its roles) and returns a description of them.
func (p *principalTree) team(id string) (string, error) {
	roleIDs, err := p.c.st.ListTeamRoles(p.ctx, p.c.org, id)
	if err != nil {
		return "", err
	}
	kept, names, err := p.roles(roleIDs)
	if err != nil {
		return "", err
	}
	grants, err := p.c.st.ListTeamGrants(p.ctx, p.c.org, id)
	if err != nil {
		return "", err
	}
	for _, g := range grants {
		key := teamGrantKey(id, g.EntityID)
		p.teams[key] = p.c.teamGrantNode(g)
		kept = append(kept, key)
	}
	p.teams[teamKey(id)] = &authz.Compose{IDs: kept}
	desc := "no roles"
	if len(names) > 0 {
		desc = "roles " + strings.Join(names, ", ")
	}
	if len(grants) > 0 {
		desc += fmt.Sprintf(" and %d per-entity permission(s)", len(grants))
	}
	return desc, nil
}

// finish compiles root and fills cr's index, error and deps.
func (p *principalTree) finish(cr *compiledRole, root authz.Node) {
	cr.ix, cr.err = authz.Compile(root, p)
	cr.deps = append(p.b.ids, p.skip...)
}

func (c *indexCache) compileTeam(ctx context.Context, id string, trees *recordTrees) (compiledRole, error) {
	t, err := c.st.GetTeamByID(ctx, c.org, id)
	if err != nil {
		return compiledRole{}, err
	}
	p := c.newPrincipalTree(ctx, trees)
	desc, err := p.team(id)
	if err != nil {
		return compiledRole{}, err
	}
	cr := compiledRole{subject: t.Name, name: fmt.Sprintf("team %q: %s", t.Name, desc), held: p.held}
	p.finish(&cr, &authz.Compose{IDs: []string{teamKey(id)}})
	return cr, nil
}

func (c *indexCache) compileUser(ctx context.Context, id string, trees *recordTrees) (compiledRole, error) {
	m, err := c.st.GetMemberByID(ctx, c.org, id)
	if err != nil {
		return compiledRole{}, err
	}
	teams, err := c.st.ListUserTeams(ctx, c.org, id)
	if err != nil {
		return compiledRole{}, err
	}
	p := c.newPrincipalTree(ctx, trees)
	ids, names, err := p.roles([]string{m.RoleID})
	if err != nil {
		return compiledRole{}, err
	}
	parts := []string{"role (deleted)"}
	if len(names) > 0 {
		parts[0] = "role " + names[0]
	}
	for _, t := range teams {
		desc, err := p.team(t.ID)
		if err != nil {
			return compiledRole{}, err
		}
		ids = append(ids, teamKey(t.ID))
		parts = append(parts, fmt.Sprintf("team %q: %s", t.Name, desc))
	}
	cr := compiledRole{subject: m.User.Login, name: fmt.Sprintf("user %q: %s", m.User.Login, strings.Join(parts, "; ")), held: p.held}
	p.finish(&cr, &authz.Compose{IDs: ids})
	return cr, nil
}

// recordTrees reads and parses the records one request needs, each once, and can stand in new
// content for a record being updated (so that the update is checked as if it were stored).
type recordTrees struct {
	ctx   context.Context
	st    store.Store
	org   string
	trees map[string]*parsedRecord
}

type parsedRecord struct {
	rec  store.Record // without Details
	node authz.Node
	size int // bytes of details
	err  error
}

func newRecordTrees(ctx context.Context, st store.Store, org string) *recordTrees {
	return &recordTrees{ctx: ctx, st: st, org: org, trees: map[string]*parsedRecord{}}
}

// set makes id resolve to node (of size bytes) instead of what is stored.
func (t *recordTrees) set(rec store.Record, node authz.Node, size int) {
	rec.Details = nil
	t.trees[rec.ID] = &parsedRecord{rec: rec, node: node, size: size}
}

// get returns record id, parsed. A record missing from the store is an error naming it.
func (t *recordTrees) get(id string) (*parsedRecord, error) {
	if p, ok := t.trees[id]; ok {
		return p, p.err
	}
	rec, err := t.st.GetRecord(t.ctx, t.org, id)
	if errors.Is(err, store.ErrNotFound) {
		err = fmt.Errorf("no permission set or policy with ID %q", id)
	} else if err != nil {
		return nil, err // a store failure is not the record's fault: not remembered
	}
	p := &parsedRecord{err: err}
	if err == nil {
		p.size = len(rec.Details)
		p.node, err = authz.Parse(rec.Details)
		if err != nil {
			p.err = fmt.Errorf("record %s: stored details do not parse: %w", id, err)
		}
		rec.Details = nil
		p.rec = rec
	}
	t.trees[id] = p
	return p, p.err
}

// budget is a Resolver for one compile of a tree of rootSize bytes: it resolves through t and
// fails once the records reached, with the root, hold more than maxEffectiveBytes of details.
func (t *recordTrees) budget(rootSize int) *budgetResolver {
	return &budgetResolver{t: t, used: rootSize}
}

type budgetResolver struct {
	t    *recordTrees
	used int
	ids  []string // records resolved, in order
}

func (b *budgetResolver) Resolve(id string) (authz.Node, error) {
	b.ids = append(b.ids, id)
	p, err := b.t.get(id)
	if err != nil {
		return nil, err
	}
	b.used += p.size
	if b.used > maxEffectiveBytes {
		return nil, fmt.Errorf("the records it composes bring its details past %d bytes (the limit for a role and everything it composes, together)", maxEffectiveBytes)
	}
	return p.node, nil
}
