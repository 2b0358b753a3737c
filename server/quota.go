package server

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

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

// quotaCounter serializes the creates against one quota and keeps an estimate of its count,
// so that a create far below the limit costs no COUNT(*) (a scan of the table): the estimate
// is the stored count when last read plus every create admitted since, an upper bound for
// this process (deletes only lower the true count), re-read every quotaRecount for the creates
// of other replicas, and re-read before any refusal, so a refusal always rests on a fresh count.
type quotaCounter struct {
	sync.Mutex
	count int
	read  time.Time // when count was last read from the store; zero: never
}

const quotaRecount = 30 * time.Second

// admitCreate checks quota q before a create and returns the function that ends the check,
// to call once the create is stored (or failed). Creates against one quota are serialized
// between the check and the write, so one server never passes a limit; replicas sharing a
// database may pass it by the creates they run within quotaRecount of each other.
func (s *Server) admitCreate(ctx context.Context, resource string, q quota) (done func(), err error) {
	qc := &s.quotas[q]
	qc.Lock()
	limit := s.quotaLimit(q)
	fresh := false
	if qc.read.IsZero() || s.now().Sub(qc.read) >= quotaRecount || qc.count >= limit {
		n, err := s.quotaCount(ctx, q)
		if err != nil {
			qc.Unlock()
			return nil, err
		}
		qc.count, qc.read, fresh = n, s.now(), true
	}
	if n := qc.count; n >= limit && fresh {
		qc.Unlock()
		info := quotaInfo[q]
		msg := fmt.Sprintf("quota reached: %s already has %d %s, its limit; delete some, or raise the limit with iam-server serve %s (Config.%s)",
			s.org.Name, n, info.what, info.flag, info.field)
		return nil, &apiError{status: http.StatusConflict, msg: msg, fields: []apitype.FieldError{{
			Resource: resource, Attribute: info.flag[2:], ErrorType: apitype.ErrorTypeCustom, CustomMessage: msg}}}
	}
	return func() {
		qc.count++ // counted as stored even when the create failed: an over-estimate, re-read at the limit
		qc.Unlock()
	}, nil
}
