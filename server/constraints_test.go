package server_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
)

func jBoundedOpen(seconds int, scopes ...string) string {
	return fmt.Sprintf(`{"__type":"PermissionDescriptorAllow","permissions":["%s"],"constraints":{"MaxOpenDuration":%d}}`, strings.Join(scopes, `","`), seconds)
}

// TestOpenDurationIsCapped: MaxOpenDuration on environment:open caps the duration of an open
// and the cap is reported as a diagnostic (issue 9 item 9). Before, the constraint was ignored.
func TestOpenDurationIsCapped(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.env("p", "e")
	bounded := h.role("open-1h", apitype.UXPurposeRole, "", []byte(jGroup(jAllow("environment:read"), jBoundedOpen(3600, "environment:open"))))
	unbounded := h.role("open-any", apitype.UXPurposeRole, "", []byte(jAllow("environment:read", "environment:open")))
	_, short := h.token("short", bounded.ID)
	_, long := h.token("long", unbounded.ID)
	tests := []struct {
		name, token, query string
		status             int
		capped             string // "" = no diagnostic
	}{
		{"longer than the bound", short, "?duration=3h", 200, "capped at 1h0m0s"},
		{"the default (2h) is longer than the bound", short, "", 200, "capped at 1h0m0s"},
		{"within the bound", short, "?duration=30m", 200, ""},
		{"exactly the bound", short, "?duration=1h", 200, ""},
		{"unbounded role", long, "?duration=300h", 200, ""},
		{"not a duration", short, "?duration=soon", 400, ""},
		{"negative", short, "?duration=-1h", 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.must(tt.status, "POST", "/api/esc/environments/acme/p/e/open"+tt.query, tt.token, nil)
			if tt.status != 200 {
				return
			}
			var out apitype.OpenEnvironmentResponse
			r.decode(t, &out)
			switch {
			case tt.capped == "" && len(out.Diagnostics) > 0:
				t.Errorf("unexpected diagnostics: %+v", out.Diagnostics)
			case tt.capped != "" && (len(out.Diagnostics) != 1 || !strings.Contains(out.Diagnostics[0].Summary, tt.capped)):
				t.Errorf("diagnostics %+v, want one saying %q", out.Diagnostics, tt.capped)
			}
		})
	}
}

// TestConstraintsInTheEscalationGuard: a principal whose opens are bounded cannot hand out
// unbounded or longer opens, by role or by token (issue 9 item 9).
func TestConstraintsInTheEscalationGuard(t *testing.T) {
	t.Parallel()
	h := start(t)
	mgr := h.role("mgr", apitype.UXPurposeRole, "", []byte(jGroup(
		jAllow("role:create", "role:read", "org_token:create"),
		jBoundedOpen(3600, "environment:open", "environment:read"))))
	_, tok := h.token("mgr", mgr.ID)
	tests := []struct {
		name    string
		details string
		status  int
	}{
		{"unbounded open", jAllow("environment:open"), 403},
		{"longer bound", jBoundedOpen(7200, "environment:open"), 403},
		{"same bound", jBoundedOpen(3600, "environment:open"), 200},
		{"shorter bound", jBoundedOpen(600, "environment:open"), 200},
		{"read, which the bound does not limit", jAllow("environment:read"), 200},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.must(tt.status, "POST", "/api/orgs/acme/roles", tok, apitype.CreateRoleRequest{
				Name: fmt.Sprintf("r%d", i), UXPurpose: apitype.UXPurposeRole, Details: json.RawMessage(tt.details)})
			if tt.status == 403 && !strings.Contains(firstCustom(r.errorBody(t)), "privilege escalation") {
				t.Errorf("refusal does not say why: %s", r)
			}
		})
	}
	// Nor may it mint a token of a role with unbounded opens.
	open := h.role("opener", apitype.UXPurposeRole, "", []byte(jCompose(h.builtin("environment-open"))))
	if r := h.do("POST", "/api/orgs/acme/tokens", tok, apitype.CreateOrgTokenRequest{Name: "opener", RoleID: open.ID}); r.status != 403 {
		t.Errorf("mint for environment-open (unbounded): %s, want 403", r)
	}
}

// TestTokenCannotOutliveItsMinter: a token that expires cannot mint one that expires later or
// never; the refusal names the caller's expiry (issue 9 item 9, decided: it may not).
func TestTokenCannotOutliveItsMinter(t *testing.T) {
	t.Parallel()
	h := start(t)
	minter := h.role("minter", apitype.UXPurposeRole, "", []byte(jAllow("org_token:create", "stack:read")))
	target := h.role("reader", apitype.UXPurposeRole, "", []byte(jAllow("stack:read")))
	exp := time.Now().Add(time.Hour).Unix()
	var created apitype.CreateTokenResponse
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "ci", RoleID: minter.ID, Expires: exp}).decode(t, &created)
	tests := []struct {
		name    string
		expires int64
		status  int
	}{
		{"never expires", 0, 403},
		{"expires later", exp + 3600, 403},
		{"expires one second later", exp + 1, 403},
		{"expires with it", exp, 200},
		{"expires sooner", exp - 1800, 200},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.must(tt.status, "POST", "/api/orgs/acme/tokens", created.TokenValue, apitype.CreateOrgTokenRequest{Name: fmt.Sprintf("child-%d", i), RoleID: target.ID, Expires: tt.expires})
			if tt.status == 403 {
				e := r.errorBody(t)
				if !strings.Contains(e.Message, fmt.Sprint(exp)) || len(e.Errors) == 0 || e.Errors[0].Attribute != "expires" {
					t.Errorf("refusal does not name the caller's expiry %d: %s", exp, r)
				}
			}
		})
	}
	// A token that never expires may mint any lifetime.
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "forever", RoleID: target.ID})
}
