package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

const maxChecks = 1000

var noReasons = []string{} // shared, never appended to: encodes as []

// checkAccess answers "may this principal do this action on this entity, and why" for a batch,
// with the same compiled index the route guards use.
func (s *Server) checkAccess(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.AccessCheckRequest
	body, err := readBody(r)
	if err != nil {
		return err
	}
	if err := decodeJSONBytes(body, "accessCheck", &req); err != nil {
		return err
	}
	if len(req.Checks) == 0 {
		return required("accessCheck", "checks")
	}
	if len(req.Checks) > maxChecks {
		return invalid("accessCheck", "checks", "%d checks; at most %d per request", len(req.Checks), maxChecks)
	}
	resp := apitype.AccessCheckResponse{Results: make([]apitype.AccessCheckResult, len(req.Checks))}
	principals := map[string]*authz.Index{"": c.p.index, c.p.token.ID: c.p.index}
	// Asking about another token's rights also needs org_token:read (who holds what).
	mayReadTokens := c.p.index.Decide(authz.MustScope("org_token:read").ID, authz.OrgEntity) == authz.Allowed
	for i, chk := range req.Checks {
		res := &resp.Results[i]
		res.Reasons = noReasons
		ix, ok := principals[chk.Principal]
		if !ok && !mayReadTokens {
			res.Error = "principal: checking another token's access also needs org_token:read"
			continue
		}
		if !ok {
			ix, err = s.principalIndex(r.Context(), chk.Principal)
			if err != nil {
				var ae *apiError
				if !errors.As(err, &ae) {
					return err
				}
				res.Error = ae.msg
				continue
			}
			principals[chk.Principal] = ix
		}
		scope, err := authz.LookupScope(chk.Action)
		if err != nil {
			res.Error = "action: " + err.Error()
			continue
		}
		ent, err := s.resolveRef(r.Context(), chk.Entity, scope.Kind)
		if err != nil {
			var ae *apiError
			if !errors.As(err, &ae) {
				return err
			}
			res.Error = ae.msg
			continue
		}
		ex := ix.Explain(scope.ID, ent)
		s.metrics.decision(ex.Decision)
		res.Allowed = bool(ex.Decision)
		res.Reasons = ex.Reasons()
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// principalIndex is the compiled rights of a token named by ID.
func (s *Server) principalIndex(ctx context.Context, tokenID string) (*authz.Index, error) {
	tok, err := s.tokens.byID(ctx, s.org.Name, tokenID)
	if errors.Is(err, store.ErrNotFound) || err == nil && tok.Deleted {
		return nil, notFound("token", "principal: no token with ID %q", tokenID)
	}
	if err != nil {
		return nil, err
	}
	if tok.Expires != 0 && s.now().Unix() >= tok.Expires {
		return emptyIndex, nil // expired: it may do nothing
	}
	ix, _, err := s.indexes.forToken(ctx, tok)
	return ix, err
}

// resolveRef finds the entity an access check names, by ID or by project/name.
func (s *Server) resolveRef(ctx context.Context, ref apitype.EntityRef, scopeKind authz.EntityKind) (authz.Entity, error) {
	if ref.Kind == "" || ref.Kind == apitype.EntityOrg {
		if scopeKind != authz.KindOrg {
			return authz.Entity{}, invalid("accessCheck", "entity.kind", "this action acts on a %s; name one (kind, and id or project/name)", scopeKind)
		}
		return authz.OrgEntity, nil
	}
	kind, err := authz.ParseEntityKind(ref.Kind)
	if err != nil {
		return authz.Entity{}, invalid("accessCheck", "entity.kind", "%v", err)
	}
	var e store.Entity
	if ref.ID != "" {
		e, err = s.ents.getByID(ctx, ref.ID)
		if err == nil && e.Kind != ref.Kind {
			err = store.ErrNotFound
		}
	} else {
		e, err = s.ents.get(ctx, kind.String(), ref.Project, ref.Name)
	}
	if errors.Is(err, store.ErrNotFound) {
		return authz.Entity{}, notFound(ref.Kind, "%s not found", describeEntityRef(ref))
	}
	if err != nil {
		return authz.Entity{}, err
	}
	return toAuthz(e), nil
}
