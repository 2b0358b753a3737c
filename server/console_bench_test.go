package server_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
)

// BenchmarkConsole measures the console's heavy requests over HTTP against the real handler,
// on an org of 10,000 stacks (1 in 10 tagged env=prod), a role held by 100 tokens and by a
// team of 20 members, beside a peer measured in the same run: one access-check batch of 1,000
// checks (what the explorer sends per page). Run with
//
//	go test -run '^$' -bench BenchmarkConsole -benchmem ./server/
func BenchmarkConsole(b *testing.B) {
	var st store.Store
	h := start(b, testserver.Options{WrapStore: func(s store.Store) store.Store { st = s; return s }})
	ctx := context.Background()
	now := time.Now().UTC()
	var ids []string
	for i := range 10_000 {
		e := store.Entity{ID: fmt.Sprintf("bench-%05d", i), Org: "acme", Kind: authz.KindStack, Project: fmt.Sprintf("p%02d", i%50),
			Name: fmt.Sprintf("s%05d", i), Created: now, Modified: now}
		if i%10 == 0 {
			e.Tags = map[string]string{"env": "prod"}
		}
		if err := st.CreateEntity(ctx, e); err != nil {
			b.Fatal(err)
		}
		ids = append(ids, e.ID)
	}
	role := h.grantRole("deployer", authz.GrantSpec{Scopes: []string{"stack:read"}})
	for i := range 100 {
		h.token(fmt.Sprintf("ci-%03d", i), role.ID)
	}
	h.team("platform", role.ID)
	for i := range 20 {
		login := fmt.Sprintf("user%02d", i)
		h.member(login, "member", "")
		h.teamMember("platform", "add", login)
	}
	// The edit: stack:read on 1,000 pinned stacks instead of all, plus stack:delete on them.
	edit := buildDetails(b, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: stackRefs(ids[:1000]...)})
	checks := make([]apitype.AccessCheck, 1000)
	for i := range checks {
		checks[i] = apitype.AccessCheck{Principal: "team:platform", Action: "stack:read", Entity: apitype.EntityRef{Kind: "stack", ID: ids[i*7]}}
	}

	b.Run("preview-10k-stacks-121-principals", func(b *testing.B) {
		measured(b, func(int) {
			var out apitype.RolePreviewResponse
			h.must(200, "POST", "/api/orgs/acme/roles/"+role.ID+"/preview", h.admin(), apitype.RolePreviewRequest{Details: edit}).decode(b, &out)
			if out.EntitiesScanned != 10_000 || out.Principals != 121 || !out.Truncated {
				b.Fatalf("preview: scanned %d, principals %d, truncated %v", out.EntitiesScanned, out.Principals, out.Truncated)
			}
		})
	})
	pinnedRole := h.grantRole("pinned", authz.GrantSpec{Scopes: []string{"stack:read"}, Refs: stackRefs(ids[:100]...)})
	for i := range 20 {
		h.token(fmt.Sprintf("pinned-%02d", i), pinnedRole.ID)
	}
	pinnedEdit := buildDetails(b, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}, Refs: stackRefs(ids[50:250]...)})
	b.Run("preview-pinned-100-to-200-stacks", func(b *testing.B) {
		measured(b, func(int) {
			var out apitype.RolePreviewResponse
			h.must(200, "POST", "/api/orgs/acme/roles/"+pinnedRole.ID+"/preview", h.admin(), apitype.RolePreviewRequest{Details: pinnedEdit}).decode(b, &out)
			if out.EntitiesScanned != 250 || out.Principals != 20 {
				b.Fatalf("preview: scanned %d, principals %d", out.EntitiesScanned, out.Principals)
			}
		})
	})
	b.Run("peer-access-check-1000", func(b *testing.B) {
		measured(b, func(int) {
			h.must(200, "POST", "/api/orgs/acme/access/check", h.admin(), apitype.AccessCheckRequest{Checks: checks})
		})
	})
	b.Run("entities-page-100-tag-filter", func(b *testing.B) {
		measured(b, func(int) {
			var out apitype.ListEntitiesResponse
			h.must(200, "GET", "/api/orgs/acme/entities?kind=stack&tag=env=prod&maxResults=100", h.admin(), nil).decode(b, &out)
			if len(out.Entities) != 100 {
				b.Fatalf("%d entities", len(out.Entities))
			}
		})
	})
}
