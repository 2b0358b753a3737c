package mapping

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/authz"
)

func TestCheckPermission(t *testing.T) {
	tests := []struct {
		name  string
		args  PermissionArgs
		field string // "" = valid
		msg   string
	}{
		{"valid stack set", PermissionArgs{Name: "deleters", Scopes: []string{"stack:delete", "stack:read"}}, "", ""},
		{"valid org set", PermissionArgs{Name: "auditors", Scopes: []string{"audit_logs:read", "audit_logs:export"}}, "", ""},
		{"no name", PermissionArgs{Scopes: []string{"stack:read"}}, "name", "required"},
		{"no scopes", PermissionArgs{Name: "x"}, "scopes", "at least one"},
		{"typo", PermissionArgs{Name: "x", Scopes: []string{"stack:read", "stack:delet"}}, "scopes[1]", `did you mean "stack:delete"`},
		{"mixed kinds", PermissionArgs{Name: "x", Scopes: []string{"stack:read", "environment:open"}}, "scopes", "split them"},
		{"entity and org", PermissionArgs{Name: "x", Scopes: []string{"stack:read", "audit_logs:read"}}, "scopes", "mix"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, CheckPermission(tt.args), tt.field, tt.msg)
		})
	}
}

func assertProblems(t *testing.T, ps Problems, field, msg string) {
	t.Helper()
	if field == "" {
		if len(ps) > 0 {
			t.Fatalf("unexpected problems: %v", ps)
		}
		return
	}
	for _, p := range ps {
		if p.Path.String() == field && strings.Contains(p.Msg.String(), msg) {
			return
		}
	}
	t.Fatalf("want a problem at %s mentioning %q, got %v", field, msg, ps)
}

func TestCheckRole(t *testing.T) {
	tests := []struct {
		name  string
		args  CustomRoleArgs
		field string
		msg   string
	}{
		{"grants", CustomRoleArgs{Name: "r", Grants: []Grant{{Permissions: []string{"stack-admin"}, Scopes: []string{"stack:delete"}, Refs: authz.Refs{Stacks: []string{"myapp/prod"}}}}}, "", ""},
		{"org-wide", CustomRoleArgs{Name: "r", Grants: []Grant{{Scopes: []string{"audit_logs:read"}}}}, "", ""},
		{"permission id", CustomRoleArgs{Name: "r", Grants: []Grant{{Permissions: []string{"0c4d1f5e-8a3b-4c2d-9e1f-123456789abc"}}}}, "", ""},
		{"details", CustomRoleArgs{Name: "r", Details: `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`}, "", ""},
		{"both", CustomRoleArgs{Name: "r", Details: `{}`, Grants: []Grant{{Scopes: []string{"stack:read"}}}}, "details", "not both"},
		{"typo in grant", CustomRoleArgs{Name: "r", Grants: []Grant{{Scopes: []string{"stack:delet"}, Refs: authz.Refs{Stacks: []string{"a/b"}}}}}, "grants[0].scopes[0]", `did you mean "stack:delete"`},
		{"bad stack ref", CustomRoleArgs{Name: "r", Grants: []Grant{{Scopes: []string{"stack:read"}, Refs: authz.Refs{Stacks: []string{"prod"}}}}}, "grants[0].stacks[0]", "project/name"},
		{"env scope on stacks", CustomRoleArgs{Name: "r", Grants: []Grant{{Scopes: []string{"environment:open"}, Refs: authz.Refs{Stacks: []string{"a/b"}}}}}, "grants[0].scopes[0]", "lists no environments"},
		{"org scope with stacks", CustomRoleArgs{Name: "r", Grants: []Grant{{Scopes: []string{"audit_logs:read"}, Refs: authz.Refs{Stacks: []string{"a/b"}}}}}, "grants[0].scopes[0]", "organization-level"},
		{"builtin role as set", CustomRoleArgs{Name: "r", Grants: []Grant{{Permissions: []string{"admin"}}}}, "grants[0].permissions[0]", "built-in role"},
		{"unknown permission ref", CustomRoleArgs{Name: "r", Grants: []Grant{{Permissions: []string{"stack-admn"}}}}, "grants[0].permissions[0]", "neither"},
		{"details typo", CustomRoleArgs{Name: "r", Details: `{"__type":"PermissionDescriptorAllow","permissions":["stack:delet"]}`}, "details.permissions[0]", `did you mean "stack:delete"`},
		{"empty grant", CustomRoleArgs{Name: "r", Grants: []Grant{{Refs: authz.Refs{Stacks: []string{"a/b"}}}}}, "grants[0]", "at least one"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, CheckRole(tt.args), tt.field, tt.msg)
		})
	}
}

func TestCheckToken(t *testing.T) {
	tests := []struct {
		name  string
		args  TokenArgs
		field string
		msg   string
	}{
		{"minimal", TokenArgs{Name: "ci"}, "", ""},
		{"expiring", TokenArgs{Name: "ci", RoleID: "r", ExpiresIn: "720h", RotateBefore: "7d"}, "", ""},
		{"long name", TokenArgs{Name: strings.Repeat("x", 41)}, "name", "at most 40"},
		{"both", TokenArgs{Name: "ci", RoleID: "r", Admin: true}, "roleId", "not both"},
		{"bad duration", TokenArgs{Name: "ci", ExpiresIn: "a month"}, "expiresIn", "720h"},
		{"too long", TokenArgs{Name: "ci", ExpiresIn: "800d"}, "expiresIn", "two years"},
		{"negative", TokenArgs{Name: "ci", ExpiresIn: "-1h"}, "expiresIn", "positive"},
		{"rotate without expiry", TokenArgs{Name: "ci", RotateBefore: "1h"}, "rotateBefore", "with expiresIn"},
		{"rotate too long", TokenArgs{Name: "ci", ExpiresIn: "24h", RotateBefore: "48h"}, "rotateBefore", "shorter than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assertProblems(t, CheckToken(tt.args), tt.field, tt.msg)
		})
	}
}

func TestTokenChanges(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	base := TokenState{
		TokenArgs: TokenArgs{Name: "ci", RoleID: "r1", ExpiresIn: "720h", RotateBefore: "168h"},
		TokenID:   "t1", ExpiresAt: now.Add(600 * time.Hour).Format(time.RFC3339),
	}
	tests := []struct {
		name    string
		old     TokenState
		args    TokenArgs
		now     time.Time
		update  string
		replace string
	}{
		{"unchanged", base, base.TokenArgs, now, "", ""},
		{"new role", base, TokenArgs{Name: "ci", RoleID: "r2", ExpiresIn: "720h", RotateBefore: "168h"}, now, "", "roleId"},
		{"rename", base, TokenArgs{Name: "cd", RoleID: "r1", ExpiresIn: "720h", RotateBefore: "168h"}, now, "", "name"},
		{"new expiry", base, TokenArgs{Name: "ci", RoleID: "r1", ExpiresIn: "1440h", RotateBefore: "168h"}, now, "", "expiresIn"},
		{"rotateBefore only", base, TokenArgs{Name: "ci", RoleID: "r1", ExpiresIn: "720h", RotateBefore: "24h"}, now, "rotateBefore", ""},
		{"rotation due", base, base.TokenArgs, now.Add(500 * time.Hour), "", "expiresAt"},
		{"expired", base, TokenArgs{Name: "ci", RoleID: "r1", ExpiresIn: "720h"}, now.Add(700 * time.Hour), "rotateBefore", "expiresAt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			update, replace, reason := TokenChanges(tt.old, tt.args, tt.now)
			if joined(update) != tt.update || joined(replace) != tt.replace {
				t.Fatalf("update %v replace %v, want %q %q", update, replace, tt.update, tt.replace)
			}
			if strings.Contains(tt.replace, "expiresAt") && reason == nil {
				t.Fatalf("rotation without a reason")
			}
		})
	}
}

func joined(fs []Field) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = string(f)
	}
	return strings.Join(parts, ",")
}

func TestParsePath(t *testing.T) {
	for _, s := range []string{"name", "grants[1]", "grants[1].insightsAccounts[0]", "details.entries[0].permissions[2]", "details"} {
		p, err := ParsePath(s)
		if err != nil || p.String() != s {
			t.Errorf("ParsePath(%q) = %v (%q), %v", s, p, p.String(), err)
		}
	}
	p, _ := ParsePath("grants[1].stacks[0]")
	if !p.Within(Root(FieldGrants).At(1)) || Root(FieldGrants).At(1).Within(p) || !p.Within(p) {
		t.Error("Within")
	}
	for _, s := range []string{"grants[x]", "[1]", "a..b"} {
		if _, err := ParsePath(s); err == nil {
			t.Errorf("ParsePath(%q) accepted", s)
		}
	}
}

func TestMsgNamesFields(t *testing.T) {
	snake := namer{"insightsAccounts": "insights_accounts", "expiresIn": "expires_in"}
	m := namedIn("put it in a grant without stacks, environments or insightsAccounts (100%)", FieldStacks, FieldInsightsAccounts)
	if got := m.Text(snake); got != "put it in a grant without stacks, environments or insights_accounts (100%)" {
		t.Errorf("namedIn: %q", got)
	}
	err := fmt.Errorf("create: %w", Problems{problem(Root(FieldGrants).At(0).Dot(FieldInsightsAccounts).At(1), "only with %s", FieldExpiresIn)})
	if got := Text(err, snake); got != "create: grants[0].insights_accounts[1]: only with expires_in" {
		t.Errorf("Text: %q", got)
	}
	wrapped := errorf(errorf(ErrNoEntity, "%s does not exist", "x"), "%s", Root(FieldGrants).At(0).Dot(FieldInsightsAccounts).At(2))
	if got := Text(wrapped, snake); got != "grants[0].insights_accounts[2]: x does not exist: no such entity" || !errors.Is(wrapped, ErrNoEntity) {
		t.Errorf("Text of a wrapped path: %q", got)
	}
}

// namer renames the fields it lists.
type namer map[Field]string

func (n namer) Field(f Field) string {
	if s, ok := n[f]; ok {
		return s
	}
	return string(f)
}
func (namer) Setting(s Setting) string { return string(s) }
func (namer) Term(t Term) string       { return string(t) }

func TestParseDurationAndSuffix(t *testing.T) {
	for in, want := range map[string]time.Duration{"30d": 720 * time.Hour, "90m": 90 * time.Minute, "1h30m": 90 * time.Minute} {
		if got, err := ParseDuration(in); err != nil || got != want {
			t.Errorf("ParseDuration(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseDuration("1 week"); err == nil {
		t.Error("accepted 1 week")
	}
	if got := suffixed(strings.Repeat("a", 40), 12); len(got) != 40 || !strings.HasSuffix(got, "-12") {
		t.Errorf("suffixed: %q", got)
	}
	if got := suffixed("ci", 2); got != "ci-2" {
		t.Errorf("suffixed: %q", got)
	}
}

func TestScopes(t *testing.T) {
	all, err := Scopes("")
	if err != nil || len(all) < 200 {
		t.Fatalf("Scopes: %d, %v", len(all), err)
	}
	stacks, _ := Scopes("stack")
	for _, s := range stacks {
		if s.EntityType != "stack" {
			t.Fatalf("%s is %s", s.Name, s.EntityType)
		}
	}
	if len(stacks) != 31 {
		t.Fatalf("%d stack scopes", len(stacks))
	}
	if _, err := Scopes("stacks"); err == nil {
		t.Fatal("accepted an unknown entity type")
	}
}
