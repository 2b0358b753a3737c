package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/oidcrule"
	"github.com/iamref/iam/server/store"
)

const policyResource = "authPolicy"

func policyJSON(p store.AuthPolicy) (apitype.AuthPolicy, error) {
	out := apitype.AuthPolicy{ID: p.ID, Version: p.Version, IssuerID: p.IssuerID,
		Created: p.Created.UTC().Format(timeFormat), Modified: p.Modified.UTC().Format(timeFormat)}
	if err := json.Unmarshal(p.Policies, &out.Policies); err != nil {
		return out, fmt.Errorf("auth policy %s: stored policies: %w", p.ID, err)
	}
	return out, nil
}

func (s *Server) getIssuerPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	iss, err := s.issuer(r.Context(), c, r.PathValue("issuerID"))
	if err != nil {
		return err
	}
	p, err := s.st.GetIssuerPolicy(r.Context(), s.org.Name, iss.ID)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(policyResource, "OIDC issuer %q has no policy", iss.Name)
	}
	if err != nil {
		return err
	}
	out, err := policyJSON(p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) updateAuthPolicy(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.UpdateAuthPolicyRequest
	if _, err := decodeBody(r, policyResource, &req); err != nil {
		return err
	}
	id := r.PathValue("policyID")
	c.label = "auth_policy:" + truncate(id, 64)
	p, err := s.st.GetAuthPolicy(r.Context(), s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound(policyResource, "no authorization policy with ID %q in %s; find an issuer's with GET /api/orgs/%s/auth/policies/oidcissuers/{issuerId}", id, s.org.Name, s.org.Name)
	}
	if err != nil {
		return err
	}
	if err := s.validPolicies(r.Context(), c, req.Policies); err != nil {
		return err
	}
	for i := range req.Policies {
		if req.Policies[i].Rules == nil {
			req.Policies[i].Rules = map[string]string{}
		}
	}
	body, err := json.Marshal(req.Policies)
	if err != nil {
		return err
	}
	expected := p.Version
	p.Version, p.Policies, p.Modified = p.Version+1, body, s.stamp()
	switch err := s.st.UpdateAuthPolicy(r.Context(), p, expected); {
	case errors.Is(err, store.ErrVersionConflict):
		return refused(policyResource, "policies", "the policy changed while this update ran; read it again and retry")
	case errors.Is(err, store.ErrNotFound):
		return notFound(policyResource, "no authorization policy with ID %q in %s", id, s.org.Name)
	case err != nil:
		return err
	}
	out, err := policyJSON(p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// validPolicies checks an update's definitions (the grammar of oidcrule.Check: the first
// problem is the 400) and that every allow hands out only what the caller holds (the escalation
// guard): a role through mayBind, a team or a user through their effective rights.
func (s *Server) validPolicies(ctx context.Context, c *call, defs []apitype.AuthPolicyDefinition) error {
	if ps := oidcrule.Check(defs); len(ps) > 0 {
		return invalid(policyResource, ps[0].Path(), "%s", ps[0].Msg())
	}
	for i, d := range defs {
		at := func(f string) string { return "policies[" + strconv.Itoa(i) + "]." + f }
		if err := s.validTarget(ctx, c, d, at); err != nil {
			return err
		}
	}
	return nil
}

// validTarget checks, for an allow, that what it hands out exists and that the caller holds it
// (the definition's fields passed oidcrule.Check).
func (s *Server) validTarget(ctx context.Context, c *call, d apitype.AuthPolicyDefinition, at func(string) string) error {
	allow := d.Decision == apitype.PolicyDecisionAllow
	const attempt = "cannot let an OIDC policy hand out more rights than the caller holds"
	switch d.TokenType {
	case apitype.PolicyTokenOrganization:
		if !allow {
			return nil
		}
		roleID, attr := d.RoleID, at("roleID")
		if roleID != "" {
			rec, err := s.st.GetRecord(ctx, s.org.Name, roleID)
			if errors.Is(err, store.ErrNotFound) {
				return fieldError(policyResource, attr, apitype.ErrorTypeNotFound, "no role with ID %q in %s", roleID, s.org.Name)
			}
			if err != nil {
				return err
			}
			if rec.UXPurpose != "role" {
				return invalid(policyResource, attr, "%q is a %s; a policy hands out a role", rec.Name, rec.UXPurpose)
			}
		} else {
			attr = at("authorizedPermissions")
			var err error
			if roleID, err = s.policyRole(ctx, d); err != nil {
				return err
			}
		}
		return s.mayBind(ctx, c, roleID, policyResource, attr, attempt)
	case apitype.PolicyTokenTeam:
		if !allow {
			return nil // a deny refuses whatever is asked: it needs no team
		}
		if d.TeamName == "" {
			return required(policyResource, at("teamName"))
		}
		t, err := s.st.GetTeam(ctx, s.org.Name, d.TeamName)
		if errors.Is(err, store.ErrNotFound) {
			return fieldError(policyResource, at("teamName"), apitype.ErrorTypeNotFound, "no team %q in %s", d.TeamName, s.org.Name)
		}
		if err != nil {
			return err
		}
		return s.mayBind(ctx, c, teamKey(t.ID), policyResource, at("teamName"), attempt)
	default: // personal
		if !allow {
			return nil
		}
		if d.UserLogin == "" {
			return required(policyResource, at("userLogin"))
		}
		m, err := s.st.GetMember(ctx, s.org.Name, d.UserLogin)
		if errors.Is(err, store.ErrNotFound) {
			return fieldError(policyResource, at("userLogin"), apitype.ErrorTypeNotFound, "%q is not a member of %s", d.UserLogin, s.org.Name)
		}
		if err != nil {
			return err
		}
		return s.mayBind(ctx, c, userKey(m.User.ID), policyResource, at("userLogin"), attempt)
	}
}

// policyRole is the role an organization allow without roleID hands out: the built-in admin
// role for authorizedPermissions ["admin"], else the org's default role.
func (s *Server) policyRole(ctx context.Context, d apitype.AuthPolicyDefinition) (string, error) {
	if d.RoleID != "" {
		return d.RoleID, nil
	}
	if slices.Contains(d.AuthorizedPermissions, "admin") {
		return builtinID(s.org.Name, "admin"), nil
	}
	return s.defaultRoleID(ctx)
}

// exchangeRequest is what an exchange asks for: a token type and, for team and personal
// tokens, the team or user named in its scope; admin is an organization token's "admin" scope.
type exchangeRequest struct {
	tokenType string
	target    string
	admin     bool
}

// policyVerdict is the outcome of a policy for one exchange.
type policyVerdict struct {
	allowed bool
	index   int    // the deciding definition; -1 when none matched
	why     string // for the audit log
	def     apitype.AuthPolicyDefinition
}

// decide applies a policy's definitions to a verified token's claims: a deny whose rules match
// refuses the exchange, whatever it asks for; else the first allow for the requested token
// (type, team or user, and for the "admin" scope an admin grant) whose rules match grants it;
// else nothing does.
func (s *Server) decide(defs []apitype.AuthPolicyDefinition, claims map[string]any, req exchangeRequest) policyVerdict {
	var misses []string
	for i, d := range defs {
		if d.Decision != apitype.PolicyDecisionDeny {
			continue
		}
		rules, err := oidcrule.Compile(d.Rules)
		if err != nil { // stored policies were validated; a broken one refuses (fail closed)
			return policyVerdict{index: i, why: fmt.Sprintf("policy %d does not compile: %v", i, err)}
		}
		if ok, _ := oidcrule.MatchAll(rules, claims); ok {
			return policyVerdict{index: i, def: d, why: fmt.Sprintf("policy %d denies", i)}
		}
	}
	for i, d := range defs {
		if d.Decision != apitype.PolicyDecisionAllow {
			continue
		}
		if d.TokenType != req.tokenType {
			continue
		}
		switch {
		case req.tokenType == apitype.PolicyTokenTeam && d.TeamName != req.target:
			continue
		case req.tokenType == apitype.PolicyTokenPersonal && d.UserLogin != req.target:
			continue
		case req.admin && !slices.Contains(d.AuthorizedPermissions, "admin") && d.RoleID != builtinID(s.org.Name, "admin"):
			misses = append(misses, fmt.Sprintf("policy %d grants no admin", i))
			continue
		}
		rules, err := oidcrule.Compile(d.Rules)
		if err != nil {
			return policyVerdict{index: i, why: fmt.Sprintf("policy %d does not compile: %v", i, err)}
		}
		if ok, why := oidcrule.MatchAll(rules, claims); !ok {
			misses = append(misses, fmt.Sprintf("policy %d: %s", i, why))
			continue
		}
		return policyVerdict{allowed: true, index: i, def: d, why: fmt.Sprintf("policy %d allows", i)}
	}
	why := "no allow policy for this " + req.tokenType + " token"
	if req.target != "" {
		why += " (" + req.target + ")"
	}
	if len(misses) > 0 {
		why += ": " + strings.Join(misses, "; ")
	}
	return policyVerdict{index: -1, why: why}
}
