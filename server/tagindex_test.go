package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

// rowCountingStore counts the entity rows listings read, by way.
type rowCountingStore struct {
	store.Store
	scanned, indexed *atomic.Int64
}

func (c rowCountingStore) ListEntitiesPage(ctx context.Context, org string, kind authz.EntityKind, project string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	es, err := c.Store.ListEntitiesPage(ctx, org, kind, project, after, limit)
	c.scanned.Add(int64(len(es)))
	return es, err
}

func (c rowCountingStore) ListEntitiesByTags(ctx context.Context, org string, kind authz.EntityKind, project string, tags map[string]string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	es, err := c.Store.ListEntitiesByTags(ctx, org, kind, project, tags, after, limit)
	c.indexed.Add(int64(len(es)))
	return es, err
}

func (c rowCountingStore) ListEntitiesByIDs(ctx context.Context, org string, kind authz.EntityKind, project string, ids []string, after *store.EntityPos, limit int) ([]store.Entity, error) {
	es, err := c.Store.ListEntitiesByIDs(ctx, org, kind, project, ids, after, limit)
	c.indexed.Add(int64(len(es)))
	return es, err
}

// TestStackListingUsesTheTagIndex: a token granted stacks by tag (and one by ID) lists exactly
// those among many, reading only them (no scan of the org's stacks); pages of one give the
// same; a retag shows on the next request; a guardrail on stack:read filters the listing too.
func TestStackListingUsesTheTagIndex(t *testing.T) {
	t.Parallel()
	scanned, indexed := &atomic.Int64{}, &atomic.Int64{}
	h := start(t, testserver.Options{WrapStore: func(s store.Store) store.Store {
		return rowCountingStore{Store: s, scanned: scanned, indexed: indexed}
	}})
	const n = 300
	var pinned apitype.Stack
	for i := 0; i < n; i++ {
		tags := map[string]string{"env": "dev", "team": fmt.Sprint("t", i%7)}
		if i%50 == 0 {
			tags = map[string]string{"env": "prod", "team": "pay"}
		}
		st := h.stack(fmt.Sprintf("p%02d", i%13), fmt.Sprint("s", i), tags)
		if i == 77 {
			pinned = st
		}
	}
	prodPay := `{"__type":"PermissionExpressionAnd","left":` + prodTag + `,"right":` +
		`{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"team"},"right":{"__type":"PermissionLiteralExpressionString","value":"pay"}}}`
	details := `{"__type":"PermissionDescriptorGroup","entries":[` +
		`{"__type":"PermissionDescriptorAllow","permissions":["stack:list"]},` +
		`{"__type":"PermissionDescriptorCondition","condition":` + prodPay + `,"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}},` +
		`{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"` + pinned.ID + `"}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}]}`
	role := h.role("prod-pay-reader", apitype.UXPurposeRole, "", []byte(details))
	_, tok := h.token("reader", role.ID)

	list := func(page int) []string {
		t.Helper()
		var names []string
		ct := ""
		for {
			path := fmt.Sprintf("/api/user/stacks?organization=acme&maxResults=%d", page)
			if ct != "" {
				path += "&continuationToken=" + ct
			}
			var out apitype.ListStacksResponse
			h.must(200, "GET", path, tok, nil).decode(t, &out)
			for _, s := range out.Stacks {
				names = append(names, s.ProjectName+"/"+s.StackName)
			}
			if ct = out.ContinuationToken; ct == "" {
				return names
			}
		}
	}
	var want []string
	for i := 0; i < n; i++ {
		if i%50 == 0 || i == 77 {
			want = append(want, fmt.Sprintf("p%02d/s%d", i%13, i))
		}
	}
	slices.Sort(want)
	scanned.Store(0)
	indexed.Store(0)
	got := list(100)
	if !slices.Equal(got, want) {
		t.Fatalf("listed %v, want %v", got, want)
	}
	if scanned.Load() != 0 || indexed.Load() > int64(2*len(want)) {
		t.Fatalf("read %d rows by scan and %d through the index for %d visible stacks", scanned.Load(), indexed.Load(), len(want))
	}
	if paged := list(1); !slices.Equal(paged, want) {
		t.Fatalf("pages of one: %v", paged)
	}

	// Retag: s100 leaves, s1 joins, on the next request.
	h.must(204, "PATCH", "/api/stacks/acme/p09/s100/tags", h.admin(), map[string]string{"env": "dev"})
	h.must(204, "PATCH", "/api/stacks/acme/p01/s1/tags", h.admin(), map[string]string{"env": "prod", "team": "pay"})
	got = list(3)
	if slices.Contains(got, "p09/s100") || !slices.Contains(got, "p01/s1") || len(got) != len(want) {
		t.Fatalf("after the retag: %v", got)
	}

	// A guardrail denying stack:read on team=pay stacks hides them all but the pinned one.
	payCond := `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"team"},"right":{"__type":"PermissionLiteralExpressionString","value":"pay"}}`
	h.guardrail(apitype.CreateGuardrailRequest{Name: "hide-pay", Actions: []string{"stack:read"}, Condition: json.RawMessage(payCond)})
	if got := list(2); !slices.Equal(got, []string{"p12/s77"}) {
		t.Fatalf("under the guardrail: %v", got)
	}
}
