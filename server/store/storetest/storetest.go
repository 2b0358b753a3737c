// Package storetest is the conformance suite for store.Store implementations.
//
// An implementation's tests call Run with a function that opens a new, empty store:
//
//	func TestStore(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store { return openTestStore(t) })
//	}
package storetest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/server/store"
)

// Run runs the suite. Each subtest runs in parallel on its own store from open, which Run closes
// when the subtest ends (open must not close it itself).
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Orgs", testOrgs},
		{"Records", testRecords},
		{"RecordConflicts", testRecordConflicts},
		{"ListRecords", testListRecords},
		{"UpdateRecord", testUpdateRecord},
		{"DeleteRecord", testDeleteRecord},
		{"Referrers", testReferrers},
		{"Tokens", testTokens},
		{"TokenConflicts", testTokenConflicts},
		{"ListTokens", testListTokens},
		{"ListTokensByRole", testListTokensByRole},
		{"DeleteToken", testDeleteToken},
		{"TouchTokens", testTouchTokens},
		{"ScopeUsage", testScopeUsage},
		{"Members", testMembers},
		{"LastHolder", testLastHolder},
		{"Teams", testTeams},
		{"Issuers", testIssuers},
		{"UseTokenID", testUseTokenID},
		{"PruneExchangedTokens", testPruneExchangedTokens},
		{"DeleteRoleRevokesExchanged", testDeleteRoleRevokesExchanged},
		{"Entities", testEntities},
		{"EntityConflicts", testEntityConflicts},
		{"LookupEntities", testLookupEntities},
		{"ListEntities", testListEntities},
		{"EntityTags", testEntityTags},
		{"DeleteEntity", testDeleteEntity},
		{"StackUpdates", testStackUpdates},
		{"StackKeys", testStackKeys},
		{"PruneUpdates", testPruneUpdates},
		{"Guardrails", testGuardrails},
		{"TagIndex", testTagIndex},
		{"Pages", testPages},
		{"ByteOrder", testByteOrder},
		{"Audit", testAudit},
		{"MutationAudit", testMutationAudit},
		{"PruneAudit", testPruneAudit},
		{"AuditMaxField", testAuditMaxField},
		{"AuditHostileText", testAuditHostileText},
		{"Idempotency", testIdempotency},
		{"PruneIdempotent", testPruneIdempotent},
		{"IdempotencyReservation", testIdempotencyReservation},
		{"Times", testTimes},
		{"ConcurrentTokenName", testConcurrentTokenName},
		{"ConcurrentRecordUpdate", testConcurrentRecordUpdate},
		{"ConcurrentIdempotency", testConcurrentIdempotency},
		{"ConcurrentReadWrite", testConcurrentReadWrite},
		{"ConcurrentTouchTokens", testConcurrentTouchTokens},
		{"AuditCommitOrder", testAuditCommitOrder},
		{"DisplayKeys", testDisplayKeys},
		{"Limits", testLimits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := open(t)
			t.Cleanup(func() {
				if err := s.Close(); err != nil {
					t.Errorf("Close: %v", err)
				}
			})
			tc.fn(t, s)
		})
	}
}

// t0 is the suite's reference time: UTC, with sub-millisecond digits a store may drop.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 123_456_789, time.UTC)

const (
	orgA = "acme"
	orgB = "globex"
)

// check reports whether got equals want, except that time.Time fields need only agree to the
// millisecond (and come back in UTC) and nil and empty slices and maps are equal.
func check[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s: %s\n got: %+v\nwant: %+v", what, d, got, want)
	}
}

func diff[T any](got, want T) string {
	g := reflect.ValueOf(&got).Elem()
	w := reflect.ValueOf(&want).Elem()
	if g.Kind() != reflect.Struct {
		if !reflect.DeepEqual(got, want) {
			return "differ"
		}
		return ""
	}
	var msgs []string
	for i := range g.NumField() {
		gf, wf := g.Field(i), w.Field(i)
		name := g.Type().Field(i).Name
		switch gv := gf.Interface().(type) {
		case time.Time:
			if !sameTime(gv, wf.Interface().(time.Time)) {
				msgs = append(msgs, fmt.Sprintf("%s is %v, want %v", name, gv, wf.Interface()))
			}
			continue
		}
		if k := gf.Kind(); (k == reflect.Slice || k == reflect.Map) && gf.Len() == 0 && wf.Len() == 0 {
			continue
		}
		if !reflect.DeepEqual(gf.Interface(), wf.Interface()) {
			msgs = append(msgs, fmt.Sprintf("%s is %#v, want %#v", name, gf.Interface(), wf.Interface()))
		}
	}
	return strings.Join(msgs, "; ")
}

// sameTime reports whether a stored time got round-tripped want: zero stays zero, anything else
// comes back in UTC within a millisecond.
func sameTime(got, want time.Time) bool {
	if want.IsZero() {
		return got.IsZero()
	}
	d := got.Sub(want)
	return got.Location() == time.UTC && d > -time.Millisecond && d < time.Millisecond
}

func wantErr(t *testing.T, what string, err, want error) {
	t.Helper()
	switch {
	case want == nil && err != nil:
		t.Errorf("%s: unexpected error %v", what, err)
	case want != nil && !errors.Is(err, want):
		t.Errorf("%s: error %v, want %v", what, err, want)
	}
}

func must(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

func ensureOrgs(t *testing.T, s store.Store, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, _, err := s.EnsureOrg(t.Context(), n); err != nil {
			t.Fatalf("EnsureOrg(%q): %v", n, err)
		}
	}
}

func ids[T any](items []T) []string {
	out := []string{}
	for _, it := range items {
		out = append(out, fmt.Sprint(reflect.ValueOf(it).FieldByName("ID").Interface()))
	}
	return out
}

func checkIDs[T any](t *testing.T, what string, items []T, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if want == nil {
		want = []string{}
	}
	if got := ids(items); !reflect.DeepEqual(got, want) {
		t.Errorf("%s: got IDs %q, want %q", what, got, want)
	}
}

func hash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
