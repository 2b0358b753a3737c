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
	leased                      // an update's lease (update-token), acting as the token that started it
)

// route is one API endpoint: its pattern, who may call it, the scope Pulumi uses for it and
// the handler. Every route is in routeTable and goes through dispatch.
type route struct {
	method   string
	pattern  string
	access   access
	scope    authz.Scope // for scoped routes
	entity   bool        // the scope applies to the entity the path names, not to the org
	mutation bool        // audited on success too
	noBody   bool        // a mutation that answers 204 (see successStatus)
	bigBody  bool        // the body may be as large as a checkpoint (Config.MaxCheckpointBytes)
	handle   func(w http.ResponseWriter, r *http.Request, c *call) error
}

// call is what the pipeline established for a handler.
type call struct {
	principal  *principal   // nil on public routes
	authorized bool         // the caller holds the route's scope (or the route needs none)
	entity     store.Entity // the entity the path names (entity routes only)
	label      string       // what the request acts on, for the audit log, e.g. "stack:myapp/prod"
	// audit is a mutation's audit record, which the store commits with the mutation (nil for
	// other routes and before admission).
	audit *store.MutationAudit
	// note, set by the handler of a route that is not a mutation, asks finish to record the
	// request with this reason (an access check with denied results).
	note string
	// detail, set by a mutation's handler before its store write, is the reason its audit
	// record carries (what the update did, e.g. "update u1 started").
	detail string
	// update is the update whose lease authenticated the call (leased routes).
	update store.Update
}

// RouteInfo describes a route for tests and documentation.
type RouteInfo struct {
	Method, Pattern, Scope string
	Public, AuthOnly       bool
	Lease                  bool // authenticated by an update's lease, not an API token
}

// Routes lists every route the server serves.
func (s *Server) Routes() []RouteInfo {
	out := make([]RouteInfo, len(s.routes))
	for i, rt := range s.routes {
		out[i] = RouteInfo{Method: rt.method, Pattern: rt.pattern, Scope: rt.scope.Name, Public: rt.access == public, AuthOnly: rt.access == authenticated, Lease: rt.access == leased}
	}
	return out
}

// Scopes that handlers check themselves (listings filter by the read scope; access checks on
// other tokens need org_token:read), resolved once.
var (
	stackRead       = authz.MustScope("stack:read")
	environmentRead = authz.MustScope("environment:read")
	accountRead     = authz.MustScope("insights_account:read")
	orgTokenRead    = authz.MustScope("org_token:read")
)

func (s *Server) routeTable() []*route {
	sc := authz.MustScope // a typo in the table fails at start-up
	return []*route{
		{method: "GET", pattern: "/healthz", access: public, handle: s.healthz},
		{method: "GET", pattern: "/metrics", access: public, handle: s.serveMetrics},
		{method: "GET", pattern: "/api/openapi.json", access: public, handle: s.serveOpenAPI},
		{method: "GET", pattern: "/api/user", access: authenticated, handle: s.getUser},

		{method: "GET", pattern: "/api/orgs/{org}/roles", access: scoped, scope: sc("role:read"), handle: s.listRoles},
		{method: "POST", pattern: "/api/orgs/{org}/roles", access: scoped, scope: sc("role:create"), mutation: true, handle: s.createRole},
		{method: "GET", pattern: "/api/orgs/{org}/roles/scopes", access: scoped, scope: sc("role:read"), handle: s.listScopes},
		{method: "GET", pattern: "/api/orgs/{org}/roles/{roleID}", access: scoped, scope: sc("role:read"), handle: s.getRole},
		{method: "PATCH", pattern: "/api/orgs/{org}/roles/{roleID}", access: scoped, scope: sc("role:update"), mutation: true, handle: s.updateRole},
		{method: "DELETE", pattern: "/api/orgs/{org}/roles/{roleID}", access: scoped, scope: sc("role:delete"), mutation: true, handle: s.deleteRole},
		{method: "GET", pattern: "/api/orgs/{org}/roles/{roleID}/tokens", access: scoped, scope: sc("org_token:read"), handle: s.listRoleTokens},
		{method: "POST", pattern: "/api/orgs/{org}/roles/{roleID}/preview", access: scoped, scope: sc("role:read"), handle: s.previewRole},
		{method: "PATCH", pattern: "/api/orgs/{org}/roles/{roleID}/default", access: scoped, scope: sc("role:update"), mutation: true, handle: s.setDefaultRole},

		{method: "GET", pattern: "/api/orgs/{org}/roles/{roleID}/users", access: scoped, scope: sc("org_member:read"), handle: s.listRoleUsers},
		{method: "GET", pattern: "/api/orgs/{org}/roles/{roleID}/teams", access: scoped, scope: sc("team:list"), handle: s.listRoleTeams},

		{method: "GET", pattern: "/api/orgs/{org}/members", access: scoped, scope: sc("org_member:read"), handle: s.listMembers},
		{method: "POST", pattern: "/api/orgs/{org}/members/{login}", access: scoped, scope: sc("org_member:add"), mutation: true, handle: s.addMember},
		{method: "PATCH", pattern: "/api/orgs/{org}/members/{login}", access: scoped, scope: sc("org_member:update"), mutation: true, noBody: true, handle: s.updateMember},
		{method: "DELETE", pattern: "/api/orgs/{org}/members/{login}", access: scoped, scope: sc("org_member:delete"), mutation: true, handle: s.removeMember},
		{method: "POST", pattern: "/api/orgs/{org}/members/{login}/tokens", access: scoped, scope: sc("org_member:update"), mutation: true, handle: s.mintMemberToken},

		{method: "GET", pattern: "/api/orgs/{org}/teams", access: scoped, scope: sc("team:list"), handle: s.listTeams},
		{method: "POST", pattern: "/api/orgs/{org}/teams/pulumi", access: scoped, scope: sc("team:create"), mutation: true, handle: s.createTeam},
		{method: "GET", pattern: "/api/orgs/{org}/teams/{team}", access: scoped, scope: sc("team:read"), handle: s.getTeam},
		{method: "PATCH", pattern: "/api/orgs/{org}/teams/{team}", access: scoped, scope: sc("team:update"), mutation: true, noBody: true, handle: s.updateTeam},
		{method: "DELETE", pattern: "/api/orgs/{org}/teams/{team}", access: scoped, scope: sc("team:delete"), mutation: true, handle: s.deleteTeam},
		{method: "GET", pattern: "/api/orgs/{org}/teams/{team}/roles", access: scoped, scope: sc("team:read"), handle: s.listTeamRoles},
		{method: "POST", pattern: "/api/orgs/{org}/teams/{team}/roles/{roleID}", access: scoped, scope: sc("team:update"), mutation: true, noBody: true, handle: s.addTeamRole},
		{method: "DELETE", pattern: "/api/orgs/{org}/teams/{team}/roles/{roleID}", access: scoped, scope: sc("team:update"), mutation: true, handle: s.removeTeamRole},
		{method: "GET", pattern: "/api/orgs/{org}/teams/{team}/tokens", access: scoped, scope: sc("team:list_tokens"), handle: s.listTeamTokens},
		{method: "POST", pattern: "/api/orgs/{org}/teams/{team}/tokens", access: scoped, scope: sc("team:create_token"), mutation: true, handle: s.createTeamToken},
		{method: "DELETE", pattern: "/api/orgs/{org}/teams/{team}/tokens/{tokenID}", access: scoped, scope: sc("team:delete_token"), mutation: true, handle: s.deleteTeamToken},

		{method: "GET", pattern: "/api/user/tokens", access: authenticated, handle: s.listUserTokens},
		{method: "POST", pattern: "/api/user/tokens", access: authenticated, mutation: true, handle: s.createUserToken},
		{method: "DELETE", pattern: "/api/user/tokens/{tokenID}", access: authenticated, mutation: true, handle: s.deleteUserToken},

		{method: "GET", pattern: "/api/orgs/{org}/tokens", access: scoped, scope: sc("org_token:read"), handle: s.listTokens},
		{method: "POST", pattern: "/api/orgs/{org}/tokens", access: scoped, scope: sc("org_token:create"), mutation: true, handle: s.createToken},
		{method: "DELETE", pattern: "/api/orgs/{org}/tokens/{tokenID}", access: scoped, scope: sc("org_token:delete"), mutation: true, handle: s.deleteToken},

		{method: "POST", pattern: "/api/stacks/{org}/{project}", access: scoped, scope: sc("stack:create"), mutation: true, handle: s.createStack},
		{method: "GET", pattern: "/api/stacks/{org}/{project}/{stack}", access: scoped, scope: sc("stack:read"), entity: true, handle: s.getStack},
		{method: "DELETE", pattern: "/api/stacks/{org}/{project}/{stack}", access: scoped, scope: sc("stack:delete"), entity: true, mutation: true, handle: s.deleteStack},
		{method: "PATCH", pattern: "/api/stacks/{org}/{project}/{stack}/tags", access: scoped, scope: sc("stack_tags:update"), entity: true, mutation: true, handle: s.updateEntityTags},
		{method: "GET", pattern: "/api/user/stacks", access: scoped, scope: sc("stack:list"), handle: s.listStacks},

		// The Pulumi state backend (stackstate.go): what `pulumi up` and friends call.
		{method: "GET", pattern: "/api/capabilities", access: authenticated, handle: s.getCapabilities},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/rename", access: scoped, scope: sc("stack:rename"), entity: true, mutation: true, noBody: true, handle: s.renameStack},
		{method: "GET", pattern: "/api/stacks/{org}/{project}/{stack}/export", access: scoped, scope: sc("stack:export"), entity: true, handle: s.exportStack},
		{method: "GET", pattern: "/api/stacks/{org}/{project}/{stack}/export/{version}", access: scoped, scope: sc("stack:export"), entity: true, handle: s.exportStack},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/import", access: scoped, scope: sc("stack:import"), entity: true, mutation: true, bigBody: true, handle: s.importStack},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/encrypt", access: scoped, scope: sc("stack:encrypt"), entity: true, handle: s.encryptValue},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/batch-encrypt", access: scoped, scope: sc("stack:encrypt"), entity: true, bigBody: true, handle: s.batchEncrypt},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/decrypt", access: scoped, scope: sc("stack:decrypt"), entity: true, handle: s.decryptValue},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/batch-decrypt", access: scoped, scope: sc("stack:decrypt"), entity: true, bigBody: true, handle: s.batchDecrypt},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/decrypt/log-decryption", access: scoped, scope: sc("stack:read"), entity: true, handle: s.logDecryption},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/decrypt/log-batch-decryption", access: scoped, scope: sc("stack:read"), entity: true, handle: s.logDecryption},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/preview", access: scoped, scope: sc("stack:read"), entity: true, mutation: true, handle: s.createUpdate("preview")},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/update", access: scoped, scope: sc("stack:write"), entity: true, mutation: true, handle: s.createUpdate("update")},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/refresh", access: scoped, scope: sc("stack:write"), entity: true, mutation: true, handle: s.createUpdate("refresh")},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/destroy", access: scoped, scope: sc("stack:delete"), entity: true, mutation: true, handle: s.createUpdate("destroy")},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}", access: scoped, scope: sc("stack:read"), entity: true, mutation: true, handle: s.startUpdate},
		{method: "GET", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}", access: scoped, scope: sc("stack:read"), entity: true, handle: s.getUpdateStatus},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/cancel", access: scoped, scope: sc("stack:cancel_update"), entity: true, mutation: true, noBody: true, handle: s.cancelUpdate},
		{method: "GET", pattern: "/api/stacks/{org}/{project}/{stack}/updates", access: scoped, scope: sc("stack:read"), entity: true, handle: s.getHistory},
		{method: "PATCH", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/checkpoint", access: leased, scope: sc("stack:write"), entity: true, bigBody: true, handle: s.patchCheckpoint},
		{method: "PATCH", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/checkpointverbatim", access: leased, scope: sc("stack:write"), entity: true, bigBody: true, handle: s.patchCheckpointVerbatim},
		{method: "PATCH", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/checkpointdelta", access: leased, scope: sc("stack:write"), entity: true, bigBody: true, handle: s.patchCheckpointDelta},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/events/batch", access: leased, scope: sc("stack:write"), entity: true, bigBody: true, handle: s.postEngineEvents},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/renew_lease", access: leased, scope: sc("stack:write"), entity: true, handle: s.renewLease},
		{method: "POST", pattern: "/api/stacks/{org}/{project}/{stack}/update/{updateID}/complete", access: leased, scope: sc("stack:write"), entity: true, mutation: true, noBody: true, handle: s.completeUpdate},

		{method: "POST", pattern: "/api/esc/environments/{org}", access: scoped, scope: sc("environment:create"), mutation: true, handle: s.createEnvironment},
		{method: "GET", pattern: "/api/esc/environments/{org}", access: scoped, scope: sc("environment:list"), handle: s.listEnvironments},
		{method: "GET", pattern: "/api/esc/environments/{org}/{project}/{env}", access: scoped, scope: sc("environment:read"), entity: true, handle: s.getEnvironment},
		{method: "DELETE", pattern: "/api/esc/environments/{org}/{project}/{env}", access: scoped, scope: sc("environment:delete"), entity: true, mutation: true, handle: s.deleteEntity},
		{method: "POST", pattern: "/api/esc/environments/{org}/{project}/{env}/open", access: scoped, scope: sc("environment:open"), entity: true, mutation: true, handle: s.openEnvironment},
		{method: "PATCH", pattern: "/api/esc/environments/{org}/{project}/{env}/tags", access: scoped, scope: sc("environment_tag:update"), entity: true, mutation: true, handle: s.updateEntityTags},

		{method: "GET", pattern: "/api/preview/insights/{org}/accounts", access: scoped, scope: sc("insights_account:list"), handle: s.listAccounts},
		{method: "POST", pattern: "/api/preview/insights/{org}/accounts/{account}", access: scoped, scope: sc("insights_account:create"), mutation: true, handle: s.createAccount},
		{method: "GET", pattern: "/api/preview/insights/{org}/accounts/{account}", access: scoped, scope: sc("insights_account:read"), entity: true, handle: s.getAccount},
		{method: "DELETE", pattern: "/api/preview/insights/{org}/accounts/{account}", access: scoped, scope: sc("insights_account:delete"), entity: true, mutation: true, handle: s.deleteEntity},

		{method: "GET", pattern: "/api/orgs/{org}/oidc/issuers", access: scoped, scope: sc("oidc_issuers:read"), handle: s.listIssuers},
		{method: "POST", pattern: "/api/orgs/{org}/oidc/issuers", access: scoped, scope: sc("oidc_issuers:create"), mutation: true, handle: s.createIssuer},
		{method: "GET", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}", access: scoped, scope: sc("oidc_issuers:read"), handle: s.getIssuer},
		{method: "PATCH", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}", access: scoped, scope: sc("oidc_issuers:update"), mutation: true, handle: s.updateIssuer},
		{method: "DELETE", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}", access: scoped, scope: sc("oidc_issuers:delete"), mutation: true, handle: s.deleteIssuer},
		{method: "POST", pattern: "/api/orgs/{org}/oidc/issuers/{issuerID}/regenerate-thumbprints", access: scoped, scope: sc("oidc_issuers:regenerate_thumbprints"), mutation: true, handle: s.regenerateThumbprints},
		{method: "GET", pattern: "/api/orgs/{org}/auth/policies/oidcissuers/{issuerID}", access: scoped, scope: sc("auth_policies:read"), handle: s.getIssuerPolicy},
		{method: "PATCH", pattern: "/api/orgs/{org}/auth/policies/{policyID}", access: scoped, scope: sc("auth_policies:update"), mutation: true, handle: s.updateAuthPolicy},
		// The ID token is the credential; every exchange is audited by the handler itself.
		{method: "POST", pattern: "/api/oauth/token", access: public, handle: s.exchangeToken},

		{method: "GET", pattern: "/api/orgs/{org}/auditlogs", access: scoped, scope: sc("audit_logs:read"), handle: s.listAuditLogs},
		{method: "POST", pattern: "/api/orgs/{org}/access/check", access: scoped, scope: sc("role:read"), handle: s.checkAccess},
		{method: "GET", pattern: "/api/orgs/{org}/entities", access: authenticated, handle: s.listEntities},
		{method: "GET", pattern: "/api/orgs/{org}/usage", access: scoped, scope: sc("org_token:read"), handle: s.getUsage},
		{method: "POST", pattern: "/api/orgs/{org}/access/who", access: scoped, scope: sc("role:read"), handle: s.whoCan},

		// Guardrails (an iamref extension): reading takes role:read; every edit also takes full
		// admin (mayEditGuardrails).
		{method: "GET", pattern: "/api/orgs/{org}/guardrails", access: scoped, scope: sc("role:read"), handle: s.listGuardrails},
		{method: "POST", pattern: "/api/orgs/{org}/guardrails", access: scoped, scope: sc("role:create"), mutation: true, handle: s.createGuardrail},
		{method: "GET", pattern: "/api/orgs/{org}/guardrails/{guardrailID}", access: scoped, scope: sc("role:read"), handle: s.getGuardrail},
		{method: "PUT", pattern: "/api/orgs/{org}/guardrails/{guardrailID}", access: scoped, scope: sc("role:update"), mutation: true, handle: s.updateGuardrail},
		{method: "DELETE", pattern: "/api/orgs/{org}/guardrails/{guardrailID}", access: scoped, scope: sc("role:delete"), mutation: true, handle: s.deleteGuardrail},
	}
}

// dispatch serves a route: body limit, admit (authenticate, org check, authorize), the
// handler, audit and metrics.
func (s *Server) dispatch(rt *route) http.Handler {
	metricName := rt.method + " " + rt.pattern // once, not per request
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
			s.metrics.observe(metricName, sw.status, time.Since(start))
		}()
		limit := s.cfg.MaxBodyBytes
		if rt.bigBody {
			limit = s.cfg.MaxCheckpointBytes
		}
		r.Body = http.MaxBytesReader(sw, r.Body, limit)
		c := &call{}
		if err := s.admit(r, rt, c); err != nil {
			if d := (*denial)(nil); errors.As(err, &d) {
				s.deny(sw, r, rt, c, d)
			} else {
				s.finish(sw, r, rt, c, err)
			}
			return
		}
		if rt.mutation {
			// The store writes this record in the transaction of the handler's (first) write,
			// so that it is durable before the answer.
			ok := successStatus(rt)
			c.audit = store.NewMutationAudit(func() store.AuditEvent {
				return s.auditEvent(r, rt, c, apitype.DecisionAllow, c.detail, ok)
			})
			r = r.WithContext(store.WithAudit(r.Context(), c.audit))
		}
		s.finish(sw, r, rt, c, rt.handle(sw, r, c))
	})
}

// successStatus is the status a mutation route answers with when it succeeds, which the audit
// record written with the mutation carries: 204 for deletes and for the PATCHes that answer no
// body, 200 otherwise. finish records a second event if the answer turns out different.
func successStatus(rt *route) int {
	if rt.method == "DELETE" || rt.noBody || strings.HasSuffix(rt.pattern, "/tags") || strings.HasSuffix(rt.pattern, "/default") {
		return http.StatusNoContent
	}
	return http.StatusOK
}

// admit runs the steps before the handler. A refusal is a *denial (a 401 or 403, audited as a
// deny); any other error ends the request as a handler's error would.
func (s *Server) admit(r *http.Request, rt *route, c *call) error {
	if rt.access == public {
		c.authorized = true
		return nil
	}
	if rt.access == leased {
		return s.admitLease(r, rt, c)
	}
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	c.principal = p
	if org := s.orgOf(r); org != "" && org != s.org.Name {
		// A valid token asking about another org: answered 404, recorded as a denial.
		c.label = label(authz.KindOrg, "", truncate(org, 64))
		return &denial{
			err:    notFound("organization", "organization %q not found (this server serves %q)", org, s.org.Name),
			reason: fmt.Sprintf("organization %q is not served here (a token of %q)", truncate(org, 64), s.org.Name),
		}
	}
	if rt.access == scoped {
		ex, err := s.authorize(r, rt, c)
		if err != nil {
			return err
		}
		if ex.Decision {
			s.scopes.add(p.token.ID, rt.scope, s.now().Unix())
		} else {
			if rt.entity && c.entity.ID != "" && !mayRead(p.index, c.entity) { // no existence oracle
				return unseen(p, rt.scope, c.entity.Kind, qualified(c.entity.Project, c.entity.Name), ex.String())
			}
			return forbidden(p, rt.scope, ex)
		}
	}
	c.authorized = true
	return nil
}

// authenticate finds the principal the request's token stands for, or a 401 denial.
func (s *Server) authenticate(r *http.Request) (*principal, error) {
	value, ok := bearer(r)
	if !ok {
		return nil, &denial{err: errorf(http.StatusUnauthorized, "missing Authorization header: send \"Authorization: token <value>\""), reason: "no token"}
	}
	tok, err := s.tokens.authenticate(r.Context(), value)
	if errors.Is(err, errBadToken) {
		reason := "bad token"
		if errors.Is(err, errForeignToken) {
			reason = "token of another organization"
		}
		return nil, &denial{err: errorf(http.StatusUnauthorized, "invalid, expired or revoked token"), reason: reason}
	}
	if err != nil {
		return nil, err
	}
	s.usage.touch(tok.ID, s.now().Unix())
	cr, err := s.indexes.forToken(r.Context(), tok)
	if err != nil {
		return nil, err
	}
	return &principal{token: tok, value: value, index: cr.ix, roleName: cr.name, subject: cr.subject}, nil
}

// authorize explains whether the principal holds the route's scope on the org or on the
// entity the path names, which it looks up (a 404 when missing). A scope the principal holds
// on no entity at all is refused before the lookup, so the refusal reveals nothing about what
// exists: that explanation is about an unnamed entity of the scope's kind (see forbidden).
func (s *Server) authorize(r *http.Request, rt *route, c *call) (authz.Explanation, error) {
	ix := c.principal.index
	target := authz.OrgEntity
	c.label = label(authz.KindOrg, "", s.org.Name)
	if rt.entity {
		if !ix.GrantsAnywhere(rt.scope.ID) {
			c.label = pathLabel(rt.scope.Kind, r)
			target = authz.Entity{Kind: rt.scope.Kind}
		} else {
			e, err := s.pathEntity(r, rt.scope.Kind)
			if ae := (*apiError)(nil); errors.As(err, &ae) && ae.status == http.StatusNotFound && !readsEverywhere(ix, rt.scope.Kind) {
				// Missing, told to a principal who may not read every entity of the kind: the
				// same 403 as for one that exists but is out of its reach (see unseen).
				c.label = pathLabel(rt.scope.Kind, r)
				p := entityPaths[rt.scope.Kind]
				return authz.Explanation{}, unseen(c.principal, rt.scope, rt.scope.Kind, qualified(r.PathValue(p.project), r.PathValue(p.name)),
					"not found; answered as forbidden: the principal may not read every "+rt.scope.Kind.String())
			}
			if err != nil {
				return authz.Explanation{}, err
			}
			c.entity, c.label, target = e, entityLabel(e), targetOf(e)
		}
	}
	ex := ix.Explain(rt.scope.ID, target)
	s.metrics.decision(ex.Decision)
	return ex, nil
}

// orgOf is the org a request names: the {org} path segment, or ?organization= for the
// user-scoped stack listing.
func (s *Server) orgOf(r *http.Request) string {
	if o := r.PathValue("org"); o != "" {
		return o
	}
	return r.URL.Query().Get("organization")
}

// finish writes err (if the handler has not written) and audits mutations, escalation refusals
// (as denials) and what handlers ask to record.
func (s *Server) finish(w *statusWriter, r *http.Request, rt *route, c *call, err error) {
	if d := (*denial)(nil); errors.As(err, &d) && w.status == 0 {
		s.deny(w, r, rt, c, d) // a handler's own refusal (a scope it checks itself)
		return
	}
	if err != nil {
		if ae := (*apiError)(nil); !errors.As(err, &ae) {
			s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
		if w.status == 0 {
			writeError(w, err)
		}
	}
	if esc := (*escalation)(nil); errors.As(err, &esc) && c.principal != nil {
		s.denials.add(s.auditEvent(r, rt, c, apitype.DecisionDeny, esc.auditReason(), w.status))
		return
	}
	if c.note != "" && !rt.mutation && c.principal != nil {
		s.denials.add(s.auditEvent(r, rt, c, apitype.DecisionAllow, c.note, w.status))
		return
	}
	if rt.mutation && c.principal != nil {
		if ev, ok := c.audit.Committed(); ok {
			if err == nil && ev.Status == w.status {
				return // recorded with the mutation
			}
			// The mutation committed with its record, then the request failed or answered
			// otherwise: record what the caller saw as well.
			s.log.Error("mutation answered differently from its committed audit record",
				"method", r.Method, "route", rt.pattern, "recorded", ev.Status, "answered", w.status)
		}
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
func (s *Server) deny(w *statusWriter, r *http.Request, rt *route, c *call, d *denial) {
	writeError(w, d.err)
	s.denials.add(s.auditEvent(r, rt, c, apitype.DecisionDeny, d.reason, d.err.status))
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
