package server_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store/sqlite"
)

// Descriptor snippets for the escalation tests.
func jAllow(scopes ...string) string {
	return `{"__type":"PermissionDescriptorAllow","permissions":["` + strings.Join(scopes, `","`) + `"]}`
}

func jCompose(ids ...string) string {
	return `{"__type":"PermissionDescriptorCompose","permissionDescriptors":["` + strings.Join(ids, `","`) + `"]}`
}

func jGroup(entries ...string) string {
	return `{"__type":"PermissionDescriptorGroup","entries":[` + strings.Join(entries, ",") + `]}`
}

func times(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// bigStringSet is a condition on a stack tag holding a string set of about size bytes.
func bigStringSet(size int, sub string) string {
	var b strings.Builder
	b.WriteString(`{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"k"},"values":{"__type":"PermissionSetExpressionString","values":[`)
	for i := 0; b.Len() < size-200; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"v%07d-%s"`, i, strings.Repeat("x", 40))
	}
	b.WriteString(`]}},"subNode":` + sub + `}`)
	return b.String()
}

// TestUpdateThatBreaksAComposerIsRefused: updating a set re-checks every record that composes
// it, transitively, and refuses a change after which one of them would no longer compile
// (issue 9 item 1). Before, the update went through and the role granted nothing until the set
// was repaired, so the escalation guard let a token be minted for it.
func TestUpdateThatBreaksAComposerIsRefused(t *testing.T) {
	t.Parallel()
	h := start(t)
	tests := []struct {
		name  string
		setup func(t *testing.T) (set apitype.Role, role apitype.Role, next string)
		want  string
	}{
		{"fan-out past MaxCompiledGrants", func(t *testing.T) (apitype.Role, apitype.Role, string) {
			set := h.role("fan-set", apitype.UXPurposeSet, "", []byte(jAllow("stack:read")))
			role := h.role("fan-role", apitype.UXPurposeRole, "", []byte(jGroup(times(jCompose(set.ID), authz.MaxGroupEntries)...)))
			return set, role, jGroup(times(jAllow("stack:read"), 10)...)
		}, "effective tree too large"},
		{"chain deeper than MaxDepth through the role", func(t *testing.T) (apitype.Role, apitype.Role, string) {
			tail := h.role("chain-tail", apitype.UXPurposeSet, "", []byte(jAllow("stack:read")))
			next := h.role("chain-extra", apitype.UXPurposeSet, "", []byte(jAllow("stack:read")))
			id := tail.ID
			for i := authz.MaxDepth - 1; i >= 1; i-- {
				id = h.role(fmt.Sprintf("chain-%02d", i), apitype.UXPurposeSet, "", []byte(jCompose(id))).ID
			}
			role := h.role("chain-role", apitype.UXPurposeRole, "", []byte(jCompose(id))) // 64 records deep
			return tail, role, jCompose(next.ID)
		}, "compose chain deeper than 64"},
		{"details past the limit together", func(t *testing.T) (apitype.Role, apitype.Role, string) {
			set := h.role("bytes-set", apitype.UXPurposeSet, "", []byte(bigStringSet(400_000, jAllow("stack:read"))))
			role := h.role("bytes-role", apitype.UXPurposeRole, "", []byte(jGroup(jCompose(set.ID), bigStringSet(400_000, jAllow("stack:read")))))
			return set, role, bigStringSet(700_000, jAllow("stack:read"))
		}, "past 1048576 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, role, next := tt.setup(t)
			r := h.do("PATCH", "/api/orgs/acme/roles/"+set.ID, h.admin(), apitype.UpdateRoleRequest{Details: json.RawMessage(next)})
			if r.status != 409 {
				t.Fatalf("update that breaks %q: %s, want 409", role.Name, r)
			}
			if e := r.errorBody(t); !strings.Contains(e.Message, role.Name) || !strings.Contains(e.Message, tt.want) {
				t.Errorf("message %q should name %q and say %q", e.Message, role.Name, tt.want)
			}
			// The role still compiles, so a token can still be minted for it.
			h.tokenAs(h.admin(), "tok-"+set.ID[:8], role.ID)
		})
	}
}

// TestBindingARoleThatDoesNotCompile: a role that does not compile (broken behind the server's
// back, here by writing the store directly) cannot be bound to a token or made the default
// role: 409 naming why. A token already holding it is denied everything, and that is logged
// (issue 9 item 1). Before, the role counted as granting nothing, so the escalation guard
// passed and the binding succeeded.
func TestBindingARoleThatDoesNotCompile(t *testing.T) {
	t.Parallel()
	var logs syncBuffer
	h := start(t, testserver.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	base := h.role("base-set", apitype.UXPurposeSet, "", []byte(jAllow("stack:read", "stack:write")))
	wide := h.role("wide-set", apitype.UXPurposeSet, "", []byte(jGroup(times(jCompose(base.ID), authz.MaxGroupEntries)...)))
	tests := []struct {
		name   string
		broken func(roleID string) string // the role's details as written to the store
		want   string
	}{
		{"composes a missing record", func(string) string { return jGroup(jCompose(base.ID), jCompose("0000-missing")) }, "no permission set or policy"},
		{"composes itself", func(id string) string { return jCompose(id) }, "compose cycle"},
		{"fan-out past the limit", func(string) string {
			return jGroup(times(jCompose(wide.ID), 6)...) // 6 × 4,002 nodes
		}, "effective tree too large"},
		{"stored details do not parse", func(string) string { return `{"__type":"Nope"}` }, "do not parse"},
	}
	st, err := sqlite.Open(h.ts.DBPath)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			role := h.role(fmt.Sprintf("strong-%d", i), apitype.UXPurposeRole, "", []byte(jCompose(base.ID)))
			_, held := h.token(fmt.Sprintf("held-%d", i), role.ID)

			rec, err := st.GetRecord(ctx(t), org, role.ID)
			if err != nil {
				t.Fatal(err)
			}
			next := rec
			next.Details, next.Version = []byte(tt.broken(role.ID)), rec.Version+1
			if err := st.UpdateRecord(ctx(t), next, rec.Version); err != nil {
				t.Fatal(err)
			}

			r := h.do("POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: fmt.Sprintf("mint-%d", i), RoleID: role.ID})
			if r.status != 409 || !strings.Contains(r.errorBody(t).Message, "does not compile") || !strings.Contains(r.errorBody(t).Message, tt.want) {
				t.Errorf("mint for a role that does not compile: %s, want 409 saying it does not compile (%s)", r, tt.want)
			}
			r = h.do("PATCH", "/api/orgs/acme/roles/"+role.ID+"/default", h.admin(), nil)
			if r.status != 409 || !strings.Contains(r.errorBody(t).Message, "does not compile") {
				t.Errorf("default role that does not compile: %s, want 409", r)
			}
			// Fail closed: the token that holds it may do nothing, and the server says why.
			h.stack("p", fmt.Sprintf("s%d", i), nil)
			if r := h.do("GET", fmt.Sprintf("/api/stacks/acme/p/s%d", i), held, nil); r.status != 403 {
				t.Errorf("request of a token whose role does not compile: %s, want 403", r)
			}
			if !strings.Contains(logs.String(), "does not compile") || !strings.Contains(logs.String(), role.ID) {
				t.Errorf("not logged:\n%s", logs.String())
			}
		})
	}
}
