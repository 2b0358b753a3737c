package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store/sqlite"
)

// seedStacks writes the workload's stacks into a fresh database in one transaction (the API
// would take minutes for 100,000), through the schema's own tag-index triggers.
func seedStacks(tb testing.TB, w *TagWorkload, org string) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "iam.db")
	db, err := sqlite.Open(path) // creates the schema
	if err != nil {
		tb.Fatal(err)
	}
	if _, _, err := db.EnsureOrg(context.Background(), org); err != nil {
		tb.Fatal(err)
	}
	db.Close()
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	tx, err := raw.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	ins, err := tx.Prepare(`INSERT INTO entities (id, org, kind, project, name, tags, created, modified) VALUES (?, ?, 'stack', ?, ?, ?, 0, 0)`)
	if err != nil {
		tb.Fatal(err)
	}
	for i, s := range w.Stacks {
		tags, _ := json.Marshal(s.Tags)
		if _, err := ins.Exec(s.ID, org, fmt.Sprint("proj-", i%1000), fmt.Sprint("stack-", i), string(tags)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// BenchmarkTagListing: GET /api/user/stacks on the real server (in-process, SQLite) over the
// workload's 100,000 stacks, for a token whose role reads the stacks tagged env=prod and
// team=t7 (about 1 in 150). first-page: one page of 100 through the tag index (p50 reported).
// walk-index and walk-scan: every page of the visible set, through the index, and through the
// bounded scan a condition the index cannot answer falls back to (the same stacks, written as
// an Or of the condition with itself). stale-requests: after a retag, how many listings still
// showed the old tags (0: the next one shows it).
func BenchmarkTagListing(b *testing.B) {
	w := tagEnginesOf(b, DefaultTagConfig, false).w
	srv := testserver.Start(b, testserver.Options{DBPath: seedStacks(b, w, "acme")})
	cond := conditionJSON([]Pair{{"env", "prod"}, {"team", "t7"}})
	token := func(name, cond string) string {
		details := `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["stack:list"]},` +
			`{"__type":"PermissionDescriptorCondition","condition":` + cond + `,"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}]}`
		role, err := srv.Client.CreateRole(context.Background(), "acme", apitype.CreateRoleRequest{Name: name, Details: json.RawMessage(details)})
		if err != nil {
			b.Fatal(err)
		}
		tok, err := srv.Client.CreateToken(context.Background(), "acme", apitype.CreateOrgTokenRequest{Name: name, RoleID: role.ID})
		if err != nil {
			b.Fatal(err)
		}
		return tok.TokenValue
	}
	indexed := token("prod-t7", cond)
	scanned := token("prod-t7-or", `{"__type":"PermissionExpressionOr","left":`+cond+`,"right":`+cond+`}`)
	page := func(tok, ct string) apitype.ListStacksResponse {
		url := srv.URL + "/api/user/stacks?organization=acme&maxResults=100"
		if ct != "" {
			url += "&continuationToken=" + ct
		}
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("Authorization", "token "+tok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		var out apitype.ListStacksResponse
		if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&out) != nil {
			b.Fatalf("list: %d", resp.StatusCode)
		}
		return out
	}
	walk := func(tok string) int {
		n, ct := 0, ""
		for {
			p := page(tok, ct)
			n += len(p.Stacks)
			if ct = p.ContinuationToken; ct == "" {
				return n
			}
		}
	}
	visible := 0
	for _, s := range w.Stacks {
		if s.Tags["env"] == "prod" && s.Tags["team"] == "t7" {
			visible++
		}
	}
	if got := walk(indexed); got != visible {
		b.Fatalf("the index lists %d stacks, want %d", got, visible)
	}
	if got := walk(scanned); got != visible {
		b.Fatalf("the scan lists %d stacks, want %d", got, visible)
	}
	b.Run("first-page", func(b *testing.B) {
		var ds []time.Duration
		for b.Loop() {
			start := time.Now()
			page(indexed, "")
			ds = append(ds, time.Since(start))
		}
		slices.Sort(ds)
		b.ReportMetric(float64(ds[len(ds)/2].Nanoseconds()), "p50-ns")
		b.ReportMetric(float64(visible), "visible")
	})
	b.Run("walk-index", func(b *testing.B) {
		for b.Loop() {
			walk(indexed)
		}
	})
	b.Run("walk-scan", func(b *testing.B) {
		for b.Loop() {
			walk(scanned)
		}
	})
	b.Run("retag", func(b *testing.B) {
		stale := 0
		for i := 0; b.Loop(); i++ {
			s := w.Stacks[i%len(w.Stacks)]
			if s.Tags["env"] == "prod" && s.Tags["team"] == "t7" {
				continue
			}
			tags := map[string]string{"env": "prod", "team": "t7"}
			if err := srv.Client.UpdateStackTags(context.Background(), "acme", fmt.Sprint("proj-", i%1000), fmt.Sprint("stack-", i%len(w.Stacks)), tags); err != nil {
				b.Fatal(err)
			}
			if !listed(page, indexed, "stack-"+fmt.Sprint(i%len(w.Stacks))) {
				stale++
			}
			if err := srv.Client.UpdateStackTags(context.Background(), "acme", fmt.Sprint("proj-", i%1000), fmt.Sprint("stack-", i%len(w.Stacks)), s.Tags); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(stale), "stale-requests")
	})
}

// listed reports whether the stack shows in the token's listing (every page).
func listed(page func(tok, ct string) apitype.ListStacksResponse, tok, name string) bool {
	ct := ""
	for {
		p := page(tok, ct)
		for _, s := range p.Stacks {
			if s.StackName == name {
				return true
			}
		}
		if ct = p.ContinuationToken; ct == "" {
			return false
		}
	}
}
