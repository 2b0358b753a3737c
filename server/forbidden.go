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

// denial is a request refused before its handler ran (a 401 or 403): the error the caller gets
// and the reason the audit log records.
type denial struct {
	err    *apiError
	reason string
}

func (d *denial) Error() string { return d.err.msg }

// forbidden is the 403 for a principal that lacks scope, rendered from authorize's explanation.
// An explanation about an unnamed entity is a refusal before the lookup: the scope is granted
// on no entity of its kind.
func forbidden(p *principal, scope authz.Scope, ex authz.Explanation) *denial {
	on, why, reason := ex.Entity.String(), ex.String(), ex.String()
	if ex.Entity.Kind != authz.KindOrg && ex.Entity.ID == "" {
		on = "every " + ex.Entity.Kind.String()
		why = "the principal's role grants it nowhere"
		reason = "the role grants " + scope.Name + " nowhere"
	}
	resource := ex.Entity.Kind.String()
	if ex.Entity.Kind == authz.KindOrg {
		resource = "organization"
	}
	return &denial{
		err: &apiError{
			status: http.StatusForbidden,
			msg:    fmt.Sprintf("%s (%s) lacks %s on %s", p.who(), p.rights(), scope.Name, on),
			fields: []apitype.FieldError{{Resource: resource, Attribute: "scope", ErrorType: apitype.ErrorTypeCustom,
				CustomMessage: "missing scope " + scope.Name + ": " + why}},
		},
		reason: reason,
	}
}

// mayHandOut refuses, with a 403, a request that would hand out rights beyond the caller's own
// (a role's details, a default role, a token's role): grants is what it would hand out, attempt
// completes "token %q …", and resource and attribute name the request field that carries them.
func (c *call) mayHandOut(grants *authz.Index, resource, attribute, attempt string) error {
	cov := authz.Covers(c.principal.index, grants)
	if cov.Covered {
		return nil
	}
	missing := strings.Join(cov.Missing(), "; ")
	return &escalation{missing: missing, apiError: &apiError{
		status: http.StatusForbidden,
		msg:    fmt.Sprintf("%s %s: %s", c.principal.who(), attempt, missing),
		fields: []apitype.FieldError{{Resource: resource, Attribute: attribute, ErrorType: apitype.ErrorTypeCustom,
			CustomMessage: "privilege escalation: " + missing}},
	}}
}

// escalation is mayHandOut's refusal: the 403 the caller gets, and what the audit log records
// (a denial naming the rights the caller lacks, although the route's own scope was granted).
type escalation struct {
	*apiError
	missing string
}

func (e *escalation) Unwrap() error { return e.apiError }

// auditReason is the reason recorded for the refusal.
func (e *escalation) auditReason() string { return "privilege escalation refused: " + e.missing }

// mayBind refuses to bind a principal to a role (a token's role, the default role, and the
// team and member assignments to come) unless the role, as stored now, compiles and the caller
// already holds everything it grants. A role that does not compile grants nothing at request
// time, so the escalation guard alone would pass it; once repaired it would grant in full. That
// refusal is a 409 naming why; one past the caller's rights is mayHandOut's 403.
func (s *Server) mayBind(ctx context.Context, c *call, roleID, resource, attribute, attempt string) error {
	cr, err := s.indexes.compile(ctx, roleID)
	if errors.Is(err, store.ErrNotFound) {
		return fieldError(resource, attribute, apitype.ErrorTypeNotFound, "no role with ID %q in %s", roleID, s.org.Name)
	}
	if err != nil {
		return err
	}
	if cr.err != nil {
		why := fmt.Sprintf("role %q (%s) does not compile: %v", cr.name, roleID, cr.err)
		return &apiError{
			status: http.StatusConflict,
			msg:    fmt.Sprintf("%s; it cannot be bound until the role or the records it composes are fixed", why),
			fields: []apitype.FieldError{{Resource: resource, Attribute: attribute, ErrorType: apitype.ErrorTypeCustom, CustomMessage: why}},
		}
	}
	if err := c.mayHandOut(cr.ix, resource, attribute, attempt); err != nil {
		return err
	}
	return c.mayEscape(cr, resource, attribute, attempt)
}

// readScopes is the scope that lets a principal see an entity of each kind exists.
var readScopes = map[authz.EntityKind]authz.Scope{
	authz.KindStack:           stackRead,
	authz.KindEnvironment:     environmentRead,
	authz.KindInsightsAccount: accountRead,
}

// readsEverywhere reports whether ix may read every entity of kind, unconditionally and under
// no guardrail on reading: such a principal may learn that an entity does not exist (a 404), as
// listing would tell it anyway.
func readsEverywhere(ix *authz.Index, kind authz.EntityKind) bool {
	read, ok := readScopes[kind]
	if !ok {
		return false
	}
	for _, g := range ix.Guardrails() {
		if g.Scopes.Has(read.ID) {
			return false // some entities are out of its reach: not telling which exist
		}
	}
	for _, g := range ix.Grants() {
		if g.Kind == kind && g.Entities == nil && g.Condition == "" && g.Scopes.Has(read.ID) {
			return true
		}
	}
	return false
}

// mayRead reports whether ix may read the entity (so may know it exists and what it is).
func mayRead(ix *authz.Index, e store.Entity) bool { return mayReadTarget(ix, targetOf(e)) }

// mayReadTarget is mayRead for an entity already in authz's form.
func mayReadTarget(ix *authz.Index, t authz.Entity) bool {
	read, ok := readScopes[t.Kind]
	return ok && ix.Decide(read.ID, t) == authz.Allowed
}

// unseen is the 403 for a request on an entity the principal may not read, whether or not it
// exists: the body depends only on the request (the path's name), never on the entity, so it
// cannot tell a missing entity from a forbidden one. reason is for the audit log.
func unseen(p *principal, scope authz.Scope, kind authz.EntityKind, name, reason string) *denial {
	on := authz.Entity{Kind: kind, Name: name}.String()
	return &denial{
		err: &apiError{
			status: http.StatusForbidden,
			msg:    fmt.Sprintf("token %q (role %q) lacks %s on %s", p.token.Name, p.roleName, scope.Name, on),
			fields: []apitype.FieldError{{Resource: kind.String(), Attribute: "scope", ErrorType: apitype.ErrorTypeCustom,
				CustomMessage: "missing scope " + scope.Name + ": not granted on this " + kind.String() + ", or it does not exist"}},
		},
		reason: reason,
	}
}
