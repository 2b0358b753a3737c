package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// Guardrails (an iamref extension) are organization-wide explicit denies: every principal's
// compiled index carries the guardrails its roles do not exempt it from (indexCache.guard), so
// every decision — route guards, listings, access checks, who-has-access — applies them.
//
// Editing one is the most privileged change there is: it takes full admin, that is grants of
// every scope of the catalog on every entity, unconditionally (the built-in admin role). The
// guardrails themselves do not hold back their own edits (one with no exemption would lock the
// org forever), and legacy admin:true tokens, which lack org_token:create and org_token:delete,
// are not full admins. Handing out an exempt role is gaining rights too: mayBind refuses it to
// a caller the guardrail binds, unless that caller is a full admin.

// Limits on guardrails: per org (each decision of a kind walks that kind's guardrails) and on
// the fields of one.
const (
	maxGuardrails      = 100
	maxGuardrailExempt = 32
	maxGuardrailCond   = 16 << 10 // bytes of condition JSON
)

// fullAdmin is the index of every scope on every entity: what editing guardrails takes.
var fullAdmin = authz.MustCompile(&authz.Allow{Permissions: authz.AllScopes().Names()}, authz.NoCompose)

// guard attaches to cr's index the org's guardrails that none of cr.held exempts from, and
// notes in cr.escapes those it does exempt from.
func (c *indexCache) guard(ctx context.Context, cr *compiledRole) error {
	stored, err := c.st.ListGuardrails(ctx, c.org)
	if err != nil {
		return fmt.Errorf("read the guardrails: %w", err)
	}
	var bind []*authz.Guardrail
	for _, g := range stored {
		if slices.ContainsFunc(g.ExemptRoles, func(id string) bool { return slices.Contains(cr.held, id) }) {
			cr.escapes = append(cr.escapes, g.ID)
			continue
		}
		bind = append(bind, compileGuardrail(g, c.log.Error)...)
	}
	cr.ix = cr.ix.WithGuardrails(bind)
	return nil
}

// compileGuardrail turns a stored guardrail into what the index applies. One that no longer
// reads (a scope gone from the catalog, a condition that does not parse) is broken: it denies
// what it can still name everywhere, and every scope of every kind if it names none (fail
// closed); logf says so.
func compileGuardrail(g store.Guardrail, logf func(msg string, args ...any)) []*authz.Guardrail {
	ag, _, err := authz.NewGuardrail(g.ID, g.Name, g.Actions, []byte(g.Condition))
	if err == nil {
		return []*authz.Guardrail{ag}
	}
	logf("guardrail cannot be evaluated; it denies everywhere until fixed", "guardrail", g.ID, "err", err)
	byKind := map[authz.EntityKind]*authz.Guardrail{}
	for _, a := range g.Actions {
		s, lerr := authz.LookupScope(a)
		if lerr != nil {
			continue
		}
		if byKind[s.Kind] == nil {
			byKind[s.Kind] = &authz.Guardrail{ID: g.ID, Name: g.Name, Kind: s.Kind, Broken: err.Error()}
		}
		byKind[s.Kind].Scopes.Add(s.ID)
	}
	allKinds := []authz.EntityKind{authz.KindOrg, authz.KindStack, authz.KindEnvironment, authz.KindInsightsAccount}
	if len(byKind) == 0 {
		for _, k := range allKinds {
			byKind[k] = &authz.Guardrail{ID: g.ID, Name: g.Name, Kind: k, Scopes: authz.ScopesOfKind(k), Broken: err.Error()}
		}
	}
	out := make([]*authz.Guardrail, 0, len(byKind))
	for _, k := range allKinds {
		if byKind[k] != nil {
			out = append(out, byKind[k])
		}
	}
	return out
}

// mayEditGuardrails refuses, as an escalation (403, audited as a denial), a caller without
// full admin.
func (c *call) mayEditGuardrails(attempt string) error {
	cov := authz.Covers(c.principal.index, fullAdmin)
	if cov.Covered {
		return nil
	}
	missing := fmt.Sprintf("editing guardrails takes full admin (every scope on every entity); the caller lacks %d of them, e.g. %s", len(cov.Gaps), cov.Gaps[0])
	return &escalation{missing: missing, apiError: &apiError{
		status: http.StatusForbidden,
		msg:    fmt.Sprintf("%s %s: %s", c.principal.who(), attempt, missing),
		fields: []apitype.FieldError{{Resource: "guardrail", Attribute: "scope", ErrorType: apitype.ErrorTypeCustom,
			CustomMessage: "privilege escalation: " + missing}},
	}}
}

// mayEscape refuses to bind a principal whose roles exempt it from guardrails that bind the
// caller (cr.escapes): that would hand out what the guardrail denies the caller. A full admin,
// who may edit the guardrails, may hand out their exemptions too.
func (c *call) mayEscape(cr compiledRole, resource, attribute, attempt string) error {
	if len(cr.escapes) == 0 || authz.Covers(c.principal.index, fullAdmin).Covered {
		return nil // a full admin may edit the guardrails anyway
	}
	bound := c.principal.index.Guardrails()
	var names []string
	for _, g := range bound {
		if slices.Contains(cr.escapes, g.ID) && !slices.Contains(names, g.Name) {
			names = append(names, fmt.Sprintf("%q (%s)", g.Name, g.ID))
		}
	}
	if len(names) == 0 {
		return nil
	}
	missing := "it would lift guardrail(s) " + strings.Join(names, ", ") + ", which bind the caller"
	return &escalation{missing: missing, apiError: &apiError{
		status: http.StatusForbidden,
		msg:    fmt.Sprintf("%s %s: %s", c.principal.who(), attempt, missing),
		fields: []apitype.FieldError{{Resource: resource, Attribute: attribute, ErrorType: apitype.ErrorTypeCustom,
			CustomMessage: "privilege escalation: " + missing}},
	}}
}

func guardrailJSON(g store.Guardrail) apitype.Guardrail {
	out := apitype.Guardrail{ID: g.ID, Name: g.Name, Description: g.Description, Actions: g.Actions,
		ExemptRoles: g.ExemptRoles, Version: g.Version, Created: g.Created, Modified: g.Modified, CreatedBy: g.CreatedBy}
	if g.Condition != "" {
		out.Condition = json.RawMessage(g.Condition)
	}
	return out
}

// checkedGuardrail validates a guardrail's fields and returns it with its canonical condition.
func (s *Server) checkedGuardrail(ctx context.Context, name, description string, actions []string, condition json.RawMessage, exempt []string) (store.Guardrail, error) {
	switch {
	case strings.TrimSpace(name) == "":
		return store.Guardrail{}, required("guardrail", "name")
	case utf8.RuneCountInString(name) > maxRoleName || !utf8.ValidString(name):
		return store.Guardrail{}, invalid("guardrail", "name", "at most %d characters of valid UTF-8", maxRoleName)
	case utf8.RuneCountInString(description) > maxRoleDescription || !utf8.ValidString(description):
		return store.Guardrail{}, invalid("guardrail", "description", "at most %d characters of valid UTF-8", maxRoleDescription)
	case len(condition) > maxGuardrailCond:
		return store.Guardrail{}, invalid("guardrail", "condition", "%d bytes; at most %d", len(condition), maxGuardrailCond)
	case len(exempt) > maxGuardrailExempt:
		return store.Guardrail{}, invalid("guardrail", "exemptRoles", "%d roles; at most %d", len(exempt), maxGuardrailExempt)
	}
	if p := textProblem(name, false); p != "" {
		return store.Guardrail{}, invalid("guardrail", "name", "%s", p)
	}
	if p := textProblem(description, true); p != "" {
		return store.Guardrail{}, invalid("guardrail", "description", "%s", p)
	}
	_, canon, err := authz.NewGuardrail("", name, actions, condition)
	if ge := (*authz.GuardrailError)(nil); errors.As(err, &ge) {
		return store.Guardrail{}, invalid("guardrail", ge.Field, "%s", ge.Msg)
	}
	if err != nil {
		return store.Guardrail{}, err
	}
	seen := map[string]bool{}
	var roles []string
	for i, id := range exempt {
		if seen[id] {
			continue
		}
		seen[id] = true
		rec, err := s.st.GetRecord(ctx, s.org.Name, id)
		if errors.Is(err, store.ErrNotFound) {
			return store.Guardrail{}, fieldError("guardrail", fmt.Sprintf("exemptRoles[%d]", i), apitype.ErrorTypeNotFound, "no role with ID %q in %s (exemptions name roles by ID)", id, s.org.Name)
		}
		if err != nil {
			return store.Guardrail{}, err
		}
		if !strings.HasPrefix(rec.UXPurpose, "role") {
			return store.Guardrail{}, invalid("guardrail", fmt.Sprintf("exemptRoles[%d]", i), "%q is a %s, not a role: only holding a role exempts", rec.Name, rec.UXPurpose)
		}
		roles = append(roles, id)
	}
	slices.Sort(roles)
	// Actions are stored as scope names, sorted and de-duplicated (their canonical form).
	names := slices.Clone(actions)
	slices.Sort(names)
	return store.Guardrail{Org: s.org.Name, Name: name, Description: description, Actions: slices.Compact(names),
		Condition: canon, ExemptRoles: roles}, nil
}

// guardrailsChanged drops every compiled index: each carries the guardrails that bind it.
func (s *Server) guardrailsChanged() { s.indexes.roles.Clear() }

func (s *Server) listGuardrails(w http.ResponseWriter, r *http.Request, c *call) error {
	gs, err := s.st.ListGuardrails(r.Context(), s.org.Name)
	if err != nil {
		return err
	}
	resp := apitype.ListGuardrailsResponse{}
	for _, g := range gs {
		resp.Guardrails = append(resp.Guardrails, guardrailJSON(g))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) getGuardrail(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.guardrailOf(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, guardrailJSON(g))
	return nil
}

func (s *Server) guardrailOf(r *http.Request) (store.Guardrail, error) {
	id := r.PathValue("guardrailID")
	g, err := s.st.GetGuardrail(r.Context(), s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		return g, notFound("guardrail", "no guardrail with ID %q in %s", truncate(id, 64), s.org.Name)
	}
	return g, err
}

func (s *Server) createGuardrail(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateGuardrailRequest
	return s.create(w, r, c, "guardrail", &req, func() (int, any, error) {
		if err := c.mayEditGuardrails(fmt.Sprintf("cannot create guardrail %q", truncate(req.Name, 64))); err != nil {
			return 0, nil, err
		}
		g, err := s.checkedGuardrail(r.Context(), req.Name, req.Description, req.Actions, req.Condition, req.ExemptRoles)
		if err != nil {
			return 0, nil, err
		}
		now := s.stamp()
		g.ID, g.Version, g.Created, g.Modified, g.CreatedBy = newID(), 1, now, now, c.principal.name()
		// The store counts them in the create's transaction, under the org's lock: replicas
		// sharing a database never pass maxGuardrails together.
		ctx := store.WithLimit(r.Context(), store.Limit{Kind: store.LimitGuardrails, Max: maxGuardrails})
		if err := s.st.CreateGuardrail(ctx, g); err != nil {
			var le *store.LimitError
			switch {
			case errors.Is(err, store.ErrConflict):
				return 0, nil, conflict("guardrail", "name", "a guardrail named %q already exists in %s", g.Name, s.org.Name)
			case errors.As(err, &le):
				return 0, nil, conflict("guardrail", "name", "%s has %d guardrails, the most it may have; delete or merge some first", s.org.Name, le.Count)
			}
			return 0, nil, err
		}
		s.guardrailsChanged()
		return http.StatusOK, guardrailJSON(g), nil
	})
}

func (s *Server) updateGuardrail(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.UpdateGuardrailRequest
	if _, err := decodeBody(r, "guardrail", &req); err != nil {
		return err
	}
	cur, err := s.guardrailOf(r)
	if err != nil {
		return err
	}
	if err := c.mayEditGuardrails(fmt.Sprintf("cannot change guardrail %q", cur.Name)); err != nil {
		return err
	}
	if req.Version != nil && *req.Version != cur.Version {
		return refused("guardrail", "version", "guardrail %q is at version %d, not %d: it changed since you read it; read it again and retry", cur.Name, cur.Version, *req.Version)
	}
	g, err := s.checkedGuardrail(r.Context(), req.Name, req.Description, req.Actions, req.Condition, req.ExemptRoles)
	if err != nil {
		return err
	}
	g.ID, g.Version, g.Created, g.Modified, g.CreatedBy = cur.ID, cur.Version+1, cur.Created, s.stamp(), cur.CreatedBy
	switch err := s.st.UpdateGuardrail(r.Context(), g, cur.Version); {
	case errors.Is(err, store.ErrConflict):
		return conflict("guardrail", "name", "a guardrail named %q already exists in %s", g.Name, s.org.Name)
	case errors.Is(err, store.ErrVersionConflict):
		return refused("guardrail", "version", "guardrail %q changed while this update ran; read it again and retry", cur.Name)
	case errors.Is(err, store.ErrNotFound):
		return notFound("guardrail", "no guardrail with ID %q in %s", cur.ID, s.org.Name)
	case err != nil:
		return err
	}
	s.guardrailsChanged()
	writeJSON(w, http.StatusOK, guardrailJSON(g))
	return nil
}

func (s *Server) deleteGuardrail(w http.ResponseWriter, r *http.Request, c *call) error {
	g, err := s.guardrailOf(r)
	if err != nil {
		return err
	}
	if err := c.mayEditGuardrails(fmt.Sprintf("cannot delete guardrail %q", g.Name)); err != nil {
		return err
	}
	if err := s.st.DeleteGuardrail(r.Context(), s.org.Name, g.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return notFound("guardrail", "no guardrail with ID %q in %s", g.ID, s.org.Name)
		}
		return err
	}
	s.guardrailsChanged()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
