package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
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

// indexCache compiles each role once and keeps the index until any record changes in this
// process (role trees compose sets and policies, so any record write drops the whole cache;
// writes are rare) or until the cache TTL has passed, which bounds how long a change made
// through another replica takes to apply.
type indexCache struct {
	st     store.Store
	org    string
	log    *slog.Logger
	roles  *cache[string, compiledRole] // by role ID
	legacy *authz.Index                 // legacy admin:true tokens
}

type compiledRole struct {
	ix   *authz.Index
	name string
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
		roles:  newCache[string, compiledRole](ttl, maxCached, now),
		legacy: authz.MustCompile(&authz.Allow{Permissions: perms}, authz.NoCompose),
	}
}

// invalidate drops every compiled index (after any record write).
func (c *indexCache) invalidate() { c.roles.Clear() }

// forToken returns the token's compiled rights. A token whose role is gone or broken has
// none (deny by default), and the problem is logged.
func (c *indexCache) forToken(ctx context.Context, t store.Token) (*authz.Index, string, error) {
	if t.Admin {
		return c.legacy, "admin (legacy)", nil
	}
	ix, name, err := c.forRole(ctx, t.RoleID)
	if errors.Is(err, store.ErrNotFound) {
		c.log.Warn("token's role is missing; it has no rights", "token", t.Name, "role", t.RoleID)
		return emptyIndex, "(deleted role)", nil
	}
	return ix, name, err
}

var emptyIndex = authz.MustCompile(&authz.Group{}, authz.NoCompose)

// forRole returns a role's compiled rights and its name. A role whose tree does not compile
// grants nothing (deny by default), and the problem is logged.
func (c *indexCache) forRole(ctx context.Context, roleID string) (*authz.Index, string, error) {
	cr, err := c.roles.Load(roleID, func() (compiledRole, error) {
		rec, err := c.st.GetRecord(ctx, c.org, roleID)
		if err != nil {
			return compiledRole{}, err
		}
		root, err := authz.Parse(rec.Details)
		if err != nil {
			return compiledRole{}, fmt.Errorf("role %s: stored details do not parse: %w", roleID, err)
		}
		ix, err := authz.Compile(root, c.resolver(ctx))
		if err != nil {
			c.log.Error("role does not compile; it grants nothing", "role", roleID, "err", err)
			ix = emptyIndex
		}
		return compiledRole{ix: ix, name: rec.Name}, nil
	})
	return cr.ix, cr.name, err
}

// resolver loads Compose references from the store.
func (c *indexCache) resolver(ctx context.Context) authz.Resolver {
	return authz.ResolverFunc(func(id string) (authz.Node, error) {
		rec, err := c.st.GetRecord(ctx, c.org, id)
		if errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("no permission set or policy with ID %q", id)
		}
		if err != nil {
			return nil, err
		}
		return authz.Parse(rec.Details)
	})
}
