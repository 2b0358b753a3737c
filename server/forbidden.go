package server

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
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
			msg:    fmt.Sprintf("token %q (role %q) lacks %s on %s", p.token.Name, p.roleName, scope.Name, on),
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
		msg:    fmt.Sprintf("token %q %s: %s", c.principal.name(), attempt, missing),
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
