package authz

import (
	"regexp"
	"testing"
)

// rbacScopeGroups are the RbacScopeGroup.name labels of the Pulumi Cloud spec.
var rbacScopeGroups = []string{
	"Stacks", "Stack deployments", "Stack webhooks", "Stack tags", "Stack deployment schedules",
	"Agent pools", "Environments", "Environment webhooks", "Environment tags", "Environment versions",
	"Environment schedules", "Environment secrets rotation", "Accounts", "Scans", "Policy queue",
	"Policy evaluator", "Stack management", "Environment management", "Insights account management",
	"Insights policy management", "Organization", "Membership", "Organization access tokens", "Teams",
	"SSO", "Audit logs", "Roles", "Search", "Copilot", "Neo", "Organization annotations", "OIDC",
	"Templates", "Deployments", "Organization webhooks", "Approvals",
}

var scopeNameRE = regexp.MustCompile(`^[a-z_]+:[a-z_]+$`)

func TestCatalogEntries(t *testing.T) {
	groups := map[string]bool{}
	for _, g := range rbacScopeGroups {
		groups[g] = true
	}
	if len(Scopes()) != len(catalogData) {
		t.Fatalf("Scopes() has %d entries, catalogData %d", len(Scopes()), len(catalogData))
	}
	for i, s := range Scopes() {
		if s.ID != ScopeID(i) {
			t.Errorf("%s: ID %d, want %d", s.Name, s.ID, i)
		}
		if !scopeNameRE.MatchString(s.Name) {
			t.Errorf("scope %q does not match %s", s.Name, scopeNameRE)
		}
		if !groups[s.Group] {
			t.Errorf("scope %q: group %q is not an RbacScopeGroup label", s.Name, s.Group)
		}
		if s.Description == "" {
			t.Errorf("scope %q has no description", s.Name)
		}
		if s.Kind >= numKinds {
			t.Errorf("scope %q has invalid kind %d", s.Name, s.Kind)
		}
		got, err := LookupScope(s.Name)
		if err != nil || got.ID != s.ID {
			t.Errorf("LookupScope(%q) = %v, %v; want ID %d", s.Name, got.ID, err, s.ID)
		}
	}
}

func TestCatalogCounts(t *testing.T) {
	tests := []struct {
		kind EntityKind
		want int
	}{
		{KindStack, 31},
		{KindEnvironment, 31},
		{KindInsightsAccount, 12},
		// 190 spec enum values minus the 74 entity-scoped ones, plus 15 newer org-level scopes.
		{KindOrg, 190 - 74 + 15},
	}
	total := 0
	for _, tt := range tests {
		t.Run(tt.kind.String(), func(t *testing.T) {
			n := 0
			for _, s := range Scopes() {
				if s.Kind == tt.kind {
					n++
				}
			}
			if n != tt.want {
				t.Errorf("%d %s scopes, want %d", n, tt.kind, tt.want)
			}
			if got := ScopesOfKind(tt.kind).Len(); got != tt.want {
				t.Errorf("ScopesOfKind(%s).Len() = %d, want %d", tt.kind, got, tt.want)
			}
		})
		total += tt.want
	}
	if len(Scopes()) != total {
		t.Errorf("catalog has %d scopes, want %d", len(Scopes()), total)
	}
}

func TestCatalogKnownScopes(t *testing.T) {
	tests := []struct {
		name  string
		kind  EntityKind
		group string
	}{
		{"stack:read", KindStack, "Stacks"},
		{"stack:delete", KindStack, "Stacks"},
		{"stack_access:read", KindStack, "Stacks"},
		{"stack_webhook:create", KindStack, "Stack webhooks"},
		{"stack_tags:update", KindStack, "Stack tags"},
		{"stack_schedule:pause", KindStack, "Stack deployment schedules"},
		{"stack_deployment_settings:encrypt", KindStack, "Stack deployments"},
		{"stack:list", KindOrg, "Stack management"},
		{"stack:create", KindOrg, "Stack management"},
		{"stack:restore_deleted", KindOrg, "Stack management"},
		{"environment:open", KindEnvironment, "Environments"},
		{"environment_version:retract", KindEnvironment, "Environment versions"},
		{"environment:rotate", KindEnvironment, "Environment secrets rotation"},
		{"environment:create", KindOrg, "Environment management"},
		{"environment_yaml:open", KindOrg, "Environment management"},
		{"insights_account:read", KindInsightsAccount, "Accounts"},
		{"insights_account_scan:cancel", KindInsightsAccount, "Scans"},
		{"insights_account:list", KindOrg, "Insights account management"},
		{"insights_policy_queue:read", KindOrg, "Policy queue"},
		{"org_token:create", KindOrg, "Organization access tokens"},
		{"role:update", KindOrg, "Roles"},
		{"audit_logs:read", KindOrg, "Audit logs"},
		{"saml:update", KindOrg, "SSO"},
		{"scim:read", KindOrg, "SSO"},
		{"oidc_issuers:regenerate_thumbprints", KindOrg, "OIDC"},
		{"auth_policies:update", KindOrg, "OIDC"},
		{"ai_conversations:list_all", KindOrg, "Copilot"},
		{"agent_task:approve", KindOrg, "Neo"},
		{"agent_definitions:delete", KindOrg, "Neo"},
		{"change_gate:create", KindOrg, "Approvals"},
		{"agent_pool:delete", KindOrg, "Agent pools"},
		{"policy_results:update", KindOrg, "Insights policy management"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := LookupScope(tt.name)
			if err != nil {
				t.Fatal(err)
			}
			if s.Kind != tt.kind || s.Group != tt.group {
				t.Errorf("got kind %s group %q, want kind %s group %q", s.Kind, s.Group, tt.kind, tt.group)
			}
		})
	}
	// Names that appear in blogs and doc comments but are not real scopes.
	for _, bad := range []string{"stack:update", "audit_log:read", "stack:edit", "stack:admin", "environment:update", "organization:billingManager"} {
		if _, err := LookupScope(bad); err == nil {
			t.Errorf("LookupScope(%q) succeeded; it is not a Pulumi scope", bad)
		}
	}
}

func builtinByID(t *testing.T, id string) builtinSpec {
	t.Helper()
	for _, b := range builtinData {
		if b.identifier == id {
			return b
		}
	}
	t.Fatalf("no builtin %q", id)
	return builtinSpec{}
}

func TestBuiltinData(t *testing.T) {
	wantOrder := []string{
		"stack-read", "stack-write", "stack-admin",
		"environment-read", "environment-open", "environment-write", "environment-admin",
		"insights-account-read", "insights-account-write", "insights-account-admin",
		"member", "admin", "billing-manager",
	}
	if len(builtinData) != len(wantOrder) {
		t.Fatalf("%d builtins, want %d", len(builtinData), len(wantOrder))
	}
	for i, b := range builtinData {
		t.Run(b.identifier, func(t *testing.T) {
			if b.identifier != wantOrder[i] {
				t.Errorf("builtin %d is %q, want %q", i, b.identifier, wantOrder[i])
			}
			if b.name == "" || b.description == "" {
				t.Error("missing name or description")
			}
			wantPurpose := "set"
			if b.kind == KindOrg {
				wantPurpose = "role"
			}
			if b.uxPurpose != wantPurpose {
				t.Errorf("uxPurpose %q, want %q", b.uxPurpose, wantPurpose)
			}
			if b.allScopes != (b.identifier == "admin") {
				t.Errorf("allScopes = %v", b.allScopes)
			}
			if b.allScopes {
				if len(b.scopes) != 0 {
					t.Errorf("allScopes builtin also lists %d scopes", len(b.scopes))
				}
				return
			}
			if len(b.scopes) == 0 {
				t.Error("no scopes")
			}
			seen := map[string]bool{}
			for _, name := range b.scopes {
				if seen[name] {
					t.Errorf("scope %q listed twice", name)
				}
				seen[name] = true
				s, err := LookupScope(name)
				if err != nil {
					t.Errorf("scope %q: %v", name, err)
					continue
				}
				if s.Kind != b.kind {
					t.Errorf("scope %q has kind %s, want %s", name, s.Kind, b.kind)
				}
			}
		})
	}
}

func TestBuiltinLadders(t *testing.T) {
	tests := []struct {
		lower, upper string
		added        int // scopes upper adds over lower
	}{
		{"stack-read", "stack-write", 17},
		{"stack-write", "stack-admin", 4},
		{"environment-read", "environment-open", 3},
		{"environment-open", "environment-write", 18},
		{"environment-write", "environment-admin", 1},
		{"insights-account-read", "insights-account-write", 6},
		{"insights-account-write", "insights-account-admin", 2},
	}
	for _, tt := range tests {
		t.Run(tt.lower+"<"+tt.upper, func(t *testing.T) {
			lo := MustSetOf(builtinByID(t, tt.lower).scopes...)
			hi := MustSetOf(builtinByID(t, tt.upper).scopes...)
			if missing := lo.Minus(hi); !missing.Empty() {
				t.Errorf("%s lacks %v from %s", tt.upper, missing, tt.lower)
			}
			if n := hi.Minus(lo).Len(); n != tt.added {
				t.Errorf("%s adds %d scopes over %s, want %d", tt.upper, n, tt.lower, tt.added)
			}
		})
	}
	// The admin sets grant every entity scope of their kind except the few that the
	// permission-sets docs put in no built-in set.
	for _, tt := range []struct {
		id      string
		kind    EntityKind
		notIncl []string
	}{
		{"stack-admin", KindStack, []string{"stack_annotations:read", "stack_annotations:update"}},
		{"environment-admin", KindEnvironment, []string{"environment_access:read", "environment_access:update", "environment_settings:read", "environment_settings:update"}},
		{"insights-account-admin", KindInsightsAccount, []string{"insights_account:update_policy_results"}},
	} {
		set := MustSetOf(builtinByID(t, tt.id).scopes...)
		if missing, want := ScopesOfKind(tt.kind).Minus(set), MustSetOf(tt.notIncl...); missing != want {
			t.Errorf("%s does not grant %v, want exactly %v left out", tt.id, missing, want)
		}
	}
	// member covers the billing-manager role except organization:billing.
	member := MustSetOf(builtinByID(t, "member").scopes...)
	billing := MustSetOf(builtinByID(t, "billing-manager").scopes...)
	if extra := billing.Minus(member); extra != MustSetOf("organization:billing") {
		t.Errorf("billing-manager scopes beyond member: %v, want {organization:billing}", extra)
	}
}
