package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// principal is an authenticated caller: an org token and its compiled effective rights.
type principal struct {
	token    store.Token
	value    string // the presented token value; kept only for the request (idempotency sealing)
	index    *authz.Index
	roleName string
}

// name is how the principal appears in audit entries and messages.
func (p *principal) name() string { return p.token.Name }

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

// compiledRole is a role's compiled rights, or why it has none.
type compiledRole struct {
	ix   *authz.Index // nil when err is set
	name string
	err  error    // why the role does not compile (a role that does not compile grants nothing)
	deps []string // records the compile read besides the role: a write to any of them drops it
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

// forToken returns the token's compiled rights. A token whose role is gone or does not compile
// has none (deny by default), and the problem is logged.
func (c *indexCache) forToken(ctx context.Context, t store.Token) (*authz.Index, string, error) {
	if t.Admin {
		return c.legacy, "admin (legacy)", nil
	}
	cr, err := c.role(ctx, t.RoleID)
	if errors.Is(err, store.ErrNotFound) {
		c.log.Warn("token's role is missing; it has no rights", "token", t.Name, "role", t.RoleID)
		return emptyIndex, "(deleted role)", nil
	}
	if err != nil {
		return nil, "", err
	}
	if cr.err != nil {
		c.log.Error("token's role does not compile; it has no rights", "token", t.Name, "role", t.RoleID, "err", cr.err)
		return emptyIndex, cr.name, nil
	}
	return cr.ix, cr.name, nil
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

// compile reads and compiles a role from the store, bypassing the cache: what binding a
// principal to a role checks (the role as stored now, not as cached).
func (c *indexCache) compile(ctx context.Context, roleID string) (compiledRole, error) {
	rec, err := c.st.GetRecord(ctx, c.org, roleID)
	if err != nil {
		return compiledRole{}, err
	}
	cr := compiledRole{name: rec.Name}
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
