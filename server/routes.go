package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// access says who may call a route.
type access int

const (
	public        access = iota // no token (health, metrics)
	authenticated               // any valid token of the org (GET /api/user)
	scoped                      // a token whose role grants the route's scope
)

// route is one API endpoint: its pattern, the scope Pulumi uses for it, how to find the entity
// the scope applies to, and the handler. Every route is in routeTable and goes through
// dispatch, which authenticates, authorizes and audits.
type route struct {
	method   string
	pattern  string
	access   access
	scope    string // for scoped routes
	entity   bool   // the scope applies to the entity the path names
	mutation bool   // audited on success too
	handle   func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call carries what dispatch established for a handler.
type call struct {
	p          *principal
	authorized bool         // dispatch granted the route's scope (or the route needs none)
	ent        store.Entity // the entity the route acts on (entity routes only)
	entity     authz.Entity
	label      string // entity label for audit, e.g. "stack:myapp/prod"
}

// RouteInfo describes a route for tests and documentation.
type RouteInfo struct {
	Method, Pattern, Scope string
	Public, AuthOnly       bool
}

// Routes lists every route the server serves.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Method: rt.method, Pattern: rt.pattern, Scope: rt.scope, Public: rt.access == public, AuthOnly: rt.access == authenticated}
	}
	return out
}

func (s *Server) routeTable() []*route {
	return []*route{
		{method: "GET", pattern: "/healthz", access: public, handle: s.healthz},
		{method: "GET", pattern: "/metrics", access: public, handle: s.serveMetrics},
		{method: "GET", pattern: "/api/user", access: authenticated, handle: s.getUser},

		{method: "GET", pattern: "/api/orgs/{org}/roles", access: scoped, scope: "role:read", handle: s.listRoles},
		{method: "POST", pattern: "/api/orgs/{org}/roles", access: scoped, scope: "role:create", mutation: true, handle: s.createRole},
		{method: "GET", pattern: "/api/orgs/{org}/roles/scopes", access: scoped, scope: "role:read", handle: s.listScopes},
		{method: "GET", pattern: "/api/orgs/{org}/roles/{roleID}", access: scoped, scope: "role:read", handle: s.getRole},
		{method: "PATCH", pattern: "/api/orgs/{org}/roles/{roleID}", access: scoped, scope: "role:update", mutation: true, handle: s.updateRole},
		{method: "DELETE", pattern: "/api/orgs/{org}/roles/{roleID}", access: scoped, scope: "role:delete", mutation: true, handle: s.deleteRole},
		{method: "GET", pattern: "/api/orgs/{org}/roles/{roleID}/tokens", access: scoped, scope: "org_token:read", handle: s.listRoleTokens},
		{method: "PATCH", pattern: "/api/orgs/{org}/roles/{roleID}/default", access: scoped, scope: "role:update", mutation: true, handle: s.setDefaultRole},

		{method: "GET", pattern: "/api/orgs/{org}/tokens", access: scoped, scope: "org_token:read", handle: s.listTokens},
		{method: "POST", pattern: "/api/orgs/{org}/tokens", access: scoped, scope: "org_token:create", mutation: true, handle: s.createToken},
		{method: "DELETE", pattern: "/api/orgs/{org}/tokens/{tokenID}", access: scoped, scope: "org_token:delete", mutation: true, handle: s.deleteToken},

		{method: "POST", pattern: "/api/stacks/{org}/{project}", access: scoped, scope: "stack:create", mutation: true, handle: s.createStack},
		{method: "GET", pattern: "/api/stacks/{org}/{project}/{stack}", access: scoped, scope: "stack:read", entity: true, handle: s.getStack},
		{method: "DELETE", pattern: "/api/stacks/{org}/{project}/{stack}", access: scoped, scope: "stack:delete", entity: true, mutation: true, handle: s.deleteStack},
		{method: "PATCH", pattern: "/api/stacks/{org}/{project}/{stack}/tags", access: scoped, scope: "stack_tags:update", entity: true, mutation: true, handle: s.updateStackTags},
		{method: "GET", pattern: "/api/user/stacks", access: scoped, scope: "stack:list", handle: s.listStacks},

		{method: "POST", pattern: "/api/esc/environments/{org}", access: scoped, scope: "environment:create", mutation: true, handle: s.createEnvironment},
		{method: "GET", pattern: "/api/esc/environments/{org}", access: scoped, scope: "environment:list", handle: s.listEnvironments},
		{method: "GET", pattern: "/api/esc/environments/{org}/{project}/{env}", access: scoped, scope: "environment:read", entity: true, handle: s.getEnvironment},
		{method: "DELETE", pattern: "/api/esc/environments/{org}/{project}/{env}", access: scoped, scope: "environment:delete", entity: true, mutation: true, handle: s.deleteEnvironment},
		{method: "POST", pattern: "/api/esc/environments/{org}/{project}/{env}/open", access: scoped, scope: "environment:open", entity: true, mutation: true, handle: s.openEnvironment},
		{method: "PATCH", pattern: "/api/esc/environments/{org}/{project}/{env}/tags", access: scoped, scope: "environment_tag:update", entity: true, mutation: true, handle: s.updateEnvironmentTags},

		{method: "GET", pattern: "/api/preview/insights/{org}/accounts", access: scoped, scope: "insights_account:list", handle: s.listAccounts},
		{method: "POST", pattern: "/api/preview/insights/{org}/accounts/{account}", access: scoped, scope: "insights_account:create", mutation: true, handle: s.createAccount},
		{method: "GET", pattern: "/api/preview/insights/{org}/accounts/{account}", access: scoped, scope: "insights_account:read", entity: true, handle: s.getAccount},
		{method: "DELETE", pattern: "/api/preview/insights/{org}/accounts/{account}", access: scoped, scope: "insights_account:delete", entity: true, mutation: true, handle: s.deleteAccount},

		{method: "GET", pattern: "/api/orgs/{org}/auditlogs", access: scoped, scope: "audit_logs:read", handle: s.listAuditLogs},
		{method: "POST", pattern: "/api/orgs/{org}/access/check", access: scoped, scope: "role:read", handle: s.checkAccess},
	}
}

// dispatch wraps a route: body limit, authentication, org check, entity lookup,
// authorization, audit and metrics.
func (s *Server) dispatch(rt *route) http.Handler {
	var scopeID authz.ScopeID
	if rt.access == scoped {
		scopeID = authz.MustScope(rt.scope).ID // a typo in the table fails at start-up
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("handler panicked", "route", rt.pattern, "panic", fmt.Sprint(v))
				if sw.status == 0 {
					writeError(sw, errors.New("panic"))
				}
			}
			s.metrics.observe(rt.method+" "+rt.pattern, sw.status, time.Since(start))
		}()
		r.Body = http.MaxBytesReader(sw, r.Body, s.cfg.MaxBodyBytes)
		c := &call{}
		if rt.access == public {
			s.finish(sw, r, rt, c, rt.handle(sw, r, c))
			return
		}
		value, ok := bearer(r)
		if !ok {
			s.deny(sw, r, rt, c, errorf(http.StatusUnauthorized, "missing Authorization header: send \"Authorization: token <value>\""), "no token")
			return
		}
		tok, err := s.tokens.authenticate(r.Context(), value)
		if err != nil {
			if errors.Is(err, errBadToken) {
				s.deny(sw, r, rt, c, errorf(http.StatusUnauthorized, "invalid, expired or revoked token"), "bad token")
			} else {
				s.finish(sw, r, rt, c, err)
			}
			return
		}
		s.usage.touch(tok.ID, s.now().Unix())
		ix, roleName, err := s.indexes.forToken(r.Context(), tok)
		if err != nil {
			s.finish(sw, r, rt, c, err)
			return
		}
		c.p = &principal{token: tok, value: value, index: ix, roleName: roleName}
		if org := s.orgOf(r); org != "" && org != s.org.Name {
			s.finish(sw, r, rt, c, notFound("organization", "organization %q not found (this server serves %q)", org, s.org.Name))
			return
		}
		if rt.access == authenticated {
			c.authorized = true
			s.finish(sw, r, rt, c, rt.handle(sw, r, c))
			return
		}
		c.entity, c.label = authz.OrgEntity, "org:"+s.org.Name
		if rt.entity && !ix.GrantsAnywhere(scopeID) {
			// Refused before the lookup: no rights anywhere, so no hint of what exists.
			s.metrics.decision(authz.Denied)
			c.label = pathLabel(authz.MustScope(rt.scope).Kind, r)
			s.deny(sw, r, rt, c, &apiError{
				status: http.StatusForbidden,
				msg:    fmt.Sprintf("token %q (role %q) lacks %s on every %s", tok.Name, roleName, rt.scope, authz.MustScope(rt.scope).Kind),
				fields: []apitype.FieldError{{Resource: kindResource(authz.MustScope(rt.scope).Kind), Attribute: "scope", ErrorType: apitype.ErrorTypeCustom,
					CustomMessage: "missing scope " + rt.scope + ": the principal's role grants it nowhere"}},
			}, "the role grants "+rt.scope+" nowhere")
			return
		}
		if rt.entity {
			if c.ent, err = s.pathEntity(r, authz.MustScope(rt.scope).Kind); err != nil {
				s.finish(sw, r, rt, c, err)
				return
			}
			c.entity, c.label = target(c.ent), entityLabel(c.ent)
		}
		ex := ix.Explain(scopeID, c.entity)
		s.metrics.decision(ex.Decision)
		if !ex.Decision {
			s.deny(sw, r, rt, c, &apiError{
				status: http.StatusForbidden,
				msg:    fmt.Sprintf("token %q (role %q) lacks %s on %s", tok.Name, roleName, rt.scope, c.entity),
				fields: []apitype.FieldError{{Resource: kindResource(c.entity.Kind), Attribute: "scope", ErrorType: apitype.ErrorTypeCustom,
					CustomMessage: "missing scope " + rt.scope + ": " + ex.String()}},
			}, ex.String())
			return
		}
		c.authorized = true
		s.finish(sw, r, rt, c, rt.handle(sw, r, c))
	})
}

// orgOf is the org a request names: the {org} path segment, or ?organization= for the
// user-scoped stack listing.
func (s *Server) orgOf(r *http.Request) string {
	if o := r.PathValue("org"); o != "" {
		return o
	}
	return r.URL.Query().Get("organization")
}

func kindResource(k authz.EntityKind) string {
	if k == authz.KindOrg {
		return "organization"
	}
	return k.String()
}

// finish writes err (if the handler has not written) and audits mutations.
func (s *Server) finish(w *statusWriter, r *http.Request, rt *route, c *call, err error) {
	if err != nil {
		if ae := (*apiError)(nil); !errors.As(err, &ae) {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		if w.status == 0 {
			writeError(w, err)
		}
	}
	if rt.mutation && c.p != nil {
		decision, reason := apitype.DecisionAllow, ""
		if !c.authorized {
			decision = "error" // failed before authorization (unknown org or entity)
		}
		if err != nil {
			reason = err.Error()
		}
		s.audit.record(s.auditEvent(r, rt, c, decision, reason, w.status))
	}
}

// deny writes a 401 or 403 and audits it.
func (s *Server) deny(w *statusWriter, r *http.Request, rt *route, c *call, err *apiError, reason string) {
	writeError(w, err)
	s.audit.record(s.auditEvent(r, rt, c, apitype.DecisionDeny, reason, err.status))
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request, _ *call) error {
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	if _, err := s.st.GetOrg(ctx, s.org.Name); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}

// sourceIP is the peer address without the port.
func sourceIP(r *http.Request) string {
	host := r.RemoteAddr
	if i := strings.LastIndexByte(host, ':'); i > 0 {
		host = host[:i]
	}
	return strings.Trim(host, "[]")
}
