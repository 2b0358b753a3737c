package server

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store/sqlite"
)

// TestScopeUsageBounded: a flood of distinct counters (a hostile or runaway client minting
// keys) holds at most maxPendingUsage in memory; the rest are counted as dropped, reported by
// the flush, and the kept ones reach the store. Counts of one key add up.
func TestScopeUsageBounded(t *testing.T) {
	db, err := sqlite.Open(filepath.Join(t.TempDir(), "iam.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	u := newScopeUsage(db, "acme")
	read := authz.MustScope("stack:read")
	const day = 20_000 * secondsPerDay
	for range 3 {
		u.add("tok-0", read, day+5)
	}
	for i := 1; i < maxPendingUsage+10; i++ {
		u.add("tok-"+itoa(i), read, day)
	}
	if len(u.pending) != maxPendingUsage || u.dropped != 10 {
		t.Fatalf("pending %d, dropped %d; want %d and 10", len(u.pending), u.dropped, maxPendingUsage)
	}
	u.add("tok-0", read, day) // an existing key still counts
	err = u.flush(t.Context())
	if err == nil || !strings.Contains(err.Error(), "10 scope uses were not counted") {
		t.Errorf("flush after drops: %v", err)
	}
	rows, err := db.ListScopeUsage(t.Context(), "acme", []string{"tok-0", "tok-1", "tok-" + itoa(maxPendingUsage+5)}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[0].TokenID != "tok-0" || rows[0].Count != 4 || rows[0].Day != 20_000 || rows[1].Count != 1 {
		t.Errorf("stored counters: %+v", rows)
	}
	if len(u.pending) != 0 || u.dropped != 0 {
		t.Errorf("after flush: pending %d, dropped %d", len(u.pending), u.dropped)
	}
	if err := u.flush(t.Context()); err != nil {
		t.Errorf("empty flush: %v", err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }

// TestSuggestRole: the narrowed role keeps each grant's reach (pinned entities, tag conditions,
// open-duration bounds) for the used scopes only, and grants nothing else.
func TestSuggestRole(t *testing.T) {
	const (
		allow   = `{"__type":"PermissionDescriptorAllow","permissions":[%s]}`
		hasTag  = `{"__type":"PermissionExpressionHasTag","context":{"__type":"PermissionExpressionStack"},"key":"owner"}`
		cond    = `{"__type":"PermissionDescriptorCondition","condition":%s,"subNode":%s}`
		bounded = `{"__type":"PermissionDescriptorAllow","permissions":["environment:open","environment:read"],"constraints":{"MaxOpenDuration":3600}}`
		pinned  = `{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionStack"},"right":{"__type":"PermissionLiteralExpressionStack","identity":"s1"}},"subNode":` + allow + `}`
	)
	role := `{"__type":"PermissionDescriptorGroup","entries":[` +
		fmt.Sprintf(cond, hasTag, fmt.Sprintf(allow, `"stack:read","stack:delete"`)) + `,` +
		bounded + `,` +
		fmt.Sprintf(pinned, `"stack:export","stack:import"`) + `,` +
		fmt.Sprintf(allow, `"role:read","audit_logs:read"`) + `]}`
	ix := authz.MustCompile(authz.MustParse(role), nil)
	used := map[string]*apitype.UsedScope{}
	for _, s := range []string{"stack:read", "environment:open", "stack:export", "role:read", "team:read"} {
		used[s] = &apitype.UsedScope{Scope: s, Count: 1, LastDay: "2026-12-01"}
	}
	got, err := suggestRole(ix, used, "ci")
	if err != nil {
		t.Fatal(err)
	}
	sug := authz.MustCompile(authz.MustParse(string(got.Details)), nil)
	tagged := authz.Entity{Kind: authz.KindStack, ID: "s9", Tags: map[string]string{"owner": "me"}}
	plain := authz.Entity{Kind: authz.KindStack, ID: "s9"}
	s1 := authz.Entity{Kind: authz.KindStack, ID: "s1"}
	env := authz.Entity{Kind: authz.KindEnvironment, ID: "e1"}
	for _, c := range []struct {
		scope string
		e     authz.Entity
		want  authz.Decision
	}{
		{"stack:read", tagged, authz.Allowed},
		{"stack:read", plain, authz.Denied}, // the condition is kept
		{"stack:delete", tagged, authz.Denied},
		{"stack:export", s1, authz.Allowed},
		{"stack:export", plain, authz.Denied}, // the pin is kept
		{"stack:import", s1, authz.Denied},
		{"environment:open", env, authz.Allowed},
		{"environment:read", env, authz.Denied},
		{"role:read", authz.OrgEntity, authz.Allowed},
		{"audit_logs:read", authz.OrgEntity, authz.Denied},
		{"team:read", authz.OrgEntity, authz.Denied}, // used but not held: never added
	} {
		if d, _ := sug.DecideName(c.scope, c.e); d != c.want {
			t.Errorf("%s on %v: %v, want %v\n%s", c.scope, c.e, d, c.want, got.Details)
		}
	}
	if secs, ok := sug.MaxOpenDuration(authz.MustScope("environment:open").ID, env); !ok || secs != 3600 {
		t.Errorf("open bound: %d, %v; want 3600", secs, ok)
	}
	if cov := authz.Covers(ix, sug); !cov.Covered {
		t.Errorf("the suggestion grants more than the role: %v", cov.Missing())
	}
	if len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "team:read") {
		t.Errorf("notes: %v", got.Notes)
	}
	for _, text := range []string{got.PulumiYAML, got.Terraform} {
		if !strings.Contains(text, "least-privilege-ci") {
			t.Errorf("export lacks the name:\n%s", text)
		}
	}

	// Nothing used: an empty role, said so.
	got, err = suggestRole(ix, map[string]*apitype.UsedScope{}, "")
	if err != nil {
		t.Fatal(err)
	}
	if sug := authz.MustCompile(authz.MustParse(string(got.Details)), nil); len(sug.Grants()) != 0 || !strings.Contains(strings.Join(got.Notes, " "), "grants nothing") {
		t.Errorf("nothing used: %s %v", got.Details, got.Notes)
	}
}
