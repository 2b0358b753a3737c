package store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// LimitKind names what a Limit counts; each is counted by one create method.
type LimitKind string

const (
	LimitRecords    LimitKind = "records"    // CreateRecord: custom records (built-ins excluded)
	LimitTokens     LimitKind = "tokens"     // CreateToken: tokens not deleted (expired included)
	LimitEntities   LimitKind = "entities"   // CreateEntity: entities of every kind
	LimitGuardrails LimitKind = "guardrails" // CreateGuardrail
)

// Limit bounds how many objects of Kind an org may hold. A create method of Kind called under
// a context from WithLimit counts them inside its own transaction, after taking a lock that
// serializes the org's creates of Kind across every process sharing the database, and fails
// with a *LimitError (ErrLimit) when the org holds Max or more: the decision rests on
// committed data, so replicas together never pass it. Calls of other kinds ignore it.
type Limit struct {
	Kind LimitKind
	Max  int
}

// ErrLimit is what a *LimitError wraps.
var ErrLimit = errors.New("limit reached")

// LimitError refuses a create under a Limit: the org holds Count objects of Kind, Max allowed.
type LimitError struct {
	Kind       LimitKind
	Count, Max int
}

func (e *LimitError) Error() string {
	return fmt.Sprintf("%v: %d %s stored, at most %d", ErrLimit, e.Count, e.Kind, e.Max)
}

func (e *LimitError) Unwrap() error { return ErrLimit }

type limitKey struct{}

// WithLimit returns a context under which the create method of l.Kind enforces l.
func WithLimit(ctx context.Context, l Limit) context.Context {
	return context.WithValue(ctx, limitKey{}, l)
}

// LimitOf returns ctx's limit on kind, if it has one: for Store implementations.
func LimitOf(ctx context.Context, kind LimitKind) (Limit, bool) {
	l, ok := ctx.Value(limitKey{}).(Limit)
	return l, ok && l.Kind == kind
}

var folder = cases.Fold()

// DisplayKey is the form two record names are compared in for uniqueness within an org and
// uxPurpose: NFKC, case-folded, NFKC again (Unicode's NFKC_Casefold, near enough), with runs of
// white space collapsed and trimmed. "Admin", "ADMIN", "Ａｄｍｉｎ" (full width) and "Admin "
// share one key. Stores keep it beside the name (the SQL engines cannot compute it) and refuse
// a second record with the same key (ErrConflict).
func DisplayKey(name string) string {
	k := norm.NFKC.String(folder.String(norm.NFKC.String(name)))
	return strings.Join(strings.Fields(k), " ")
}
