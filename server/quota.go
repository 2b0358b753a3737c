package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/iamref/iam/apitype"
)

// quota is one per-org limit on stored objects.
type quota int

const (
	quotaRoles quota = iota
	quotaTokens
	quotaEntities
	numQuotas
)

var quotaInfo = [numQuotas]struct {
	what, flag, field string
}{
	quotaRoles:    {"custom roles, permission sets and policies", "--max-roles", "MaxRoles"},
	quotaTokens:   {"access tokens (not deleted; expired ones count until deleted)", "--max-tokens", "MaxTokens"},
	quotaEntities: {"stacks, environments and insights accounts", "--max-entities", "MaxEntities"},
}

func (s *Server) quotaLimit(q quota) int {
	switch q {
	case quotaRoles:
		return s.cfg.MaxRoles
	case quotaTokens:
		return s.cfg.MaxTokens
	}
	return s.cfg.MaxEntities
}

func (s *Server) quotaCount(ctx context.Context, q quota) (int, error) {
	switch q {
	case quotaRoles:
		return s.st.CountRecords(ctx, s.org.Name)
	case quotaTokens:
		return s.st.CountTokens(ctx, s.org.Name)
	}
	return s.st.CountEntities(ctx, s.org.Name)
}

// admitCreate checks quota q before a create and returns the function that ends the check,
// to call once the create is stored (or failed). Creates against one quota are serialized
// between the count and the write, so one server never passes a limit; replicas sharing a
// database may pass it by the creates they run at the same moment.
func (s *Server) admitCreate(ctx context.Context, resource string, q quota) (done func(), err error) {
	mu := &s.quotas[q]
	mu.Lock()
	n, err := s.quotaCount(ctx, q)
	if err != nil {
		mu.Unlock()
		return nil, err
	}
	if limit := s.quotaLimit(q); n >= limit {
		mu.Unlock()
		info := quotaInfo[q]
		msg := fmt.Sprintf("quota reached: %s already has %d %s, its limit; delete some, or raise the limit with iam-server serve %s (Config.%s)",
			s.org.Name, n, info.what, info.flag, info.field)
		return nil, &apiError{status: http.StatusConflict, msg: msg, fields: []apitype.FieldError{{
			Resource: resource, Attribute: info.flag[2:], ErrorType: apitype.ErrorTypeCustom, CustomMessage: msg}}}
	}
	return mu.Unlock, nil
}
