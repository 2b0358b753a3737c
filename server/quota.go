package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
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

// quotaKinds are what the store counts for each quota (store.Limit).
var quotaKinds = [numQuotas]store.LimitKind{
	quotaRoles:    store.LimitRecords,
	quotaTokens:   store.LimitTokens,
	quotaEntities: store.LimitEntities,
}

// limited returns ctx with quota q's limit for the store: the create made under it is counted
// inside its own transaction, after a lock that serializes the org's creates of that kind
// across replicas, so a refusal and an acceptance both rest on committed data and replicas
// sharing a database never pass the limit together. The store answers far below the limit
// without a COUNT(*) (sqlstore's limit_counts). A count or lock that cannot be read fails the
// create (503 or 500): it is never admitted.
func (s *Server) limited(ctx context.Context, q quota) context.Context {
	return store.WithLimit(ctx, store.Limit{Kind: quotaKinds[q], Max: s.quotaLimit(q)})
}

// quotaErr turns the store's refusal of a create under quota q (*store.LimitError) into the 409
// that names the setting raising it; other errors come back as they are.
func (s *Server) quotaErr(resource string, q quota, err error) error {
	var le *store.LimitError
	if !errors.As(err, &le) {
		return err
	}
	info := quotaInfo[q]
	msg := fmt.Sprintf("quota reached: %s already has %d %s, its limit; delete some, or raise the limit with iam-server serve %s (Config.%s)",
		s.org.Name, le.Count, info.what, info.flag, info.field)
	return &apiError{status: http.StatusConflict, msg: msg, fields: []apitype.FieldError{{
		Resource: resource, Attribute: info.flag[2:], ErrorType: apitype.ErrorTypeCustom, CustomMessage: msg}}}
}
