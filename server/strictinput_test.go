package server_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestStrictInput: each body that encoding/json would accept with a guess (the last duplicate
// key, a field name in another case, U+FFFD for bad text, a zero value for null) is a 400 that
// names the attribute, and nothing is created or changed.
func TestStrictInput(t *testing.T) {
	t.Parallel()
	h := start(t)
	h.stack("p", "s", map[string]string{"team": "a"})
	allow := `{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`
	r := h.grantRole("base", authz.GrantSpec{Scopes: []string{"stack:read"}})

	tests := []struct {
		name, method, path, body string
		attribute, contains      string
	}{
		// Trailing data.
		{"trailing object", "POST", "/api/orgs/acme/tokens", `{"name":"t1"} {"name":"t2"}`, "body", "trailing"},
		{"trailing brace", "POST", "/api/orgs/acme/tokens", `{"name":"t1"}}`, "body", "trailing"},
		{"trailing bracket", "POST", "/api/orgs/acme/roles", `{"name":"r1","details":` + allow + `}]`, "body", "trailing"},
		// Field names in another case.
		{"Name for name", "POST", "/api/orgs/acme/tokens", `{"Name":"t1"}`, "Name", `"name"`},
		{"ROLEID", "POST", "/api/orgs/acme/tokens", `{"name":"t1","ROLEID":"` + r.ID + `"}`, "ROLEID", `"roleID"`},
		{"StackName", "POST", "/api/stacks/acme/p", `{"StackName":"s2"}`, "StackName", `"stackName"`},
		{"Details", "POST", "/api/orgs/acme/roles", `{"name":"r1","Details":` + allow + `}`, "Details", `"details"`},
		{"nested Kind", "POST", "/api/orgs/acme/access/check", `{"checks":[{"action":"stack:read","entity":{"Kind":"stack","project":"p","name":"s"}}]}`, "checks[0].entity.Kind", `"kind"`},
		// Duplicate keys.
		{"duplicate name", "POST", "/api/orgs/acme/tokens", `{"name":"t1","name":"t2"}`, "name", "duplicate"},
		{"duplicate via escape", "POST", "/api/orgs/acme/tokens", `{"name":"t1","\u006eame":"t2"}`, "name", "duplicate"},
		{"duplicate inside details", "POST", "/api/orgs/acme/roles",
			`{"name":"r1","details":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"],"permissions":["org_token:create"]}}`,
			"details.permissions", "duplicate"},
		{"duplicate deep in details", "POST", "/api/orgs/acme/roles",
			`{"name":"r1","details":{"__type":"PermissionDescriptorGroup","entries":[` + allow + `,{"__type":"PermissionDescriptorAllow","__type":"PermissionDescriptorCompose","permissions":[]}]}}`,
			"details.entries[1].__type", "duplicate"},
		{"duplicate in PATCH details", "PATCH", "/api/orgs/acme/roles/" + r.ID,
			`{"details":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"],"permissions":["stack:delete"]}}`, "details.permissions", "duplicate"},
		{"duplicate tag", "PATCH", "/api/stacks/acme/p/s/tags", `{"team":"a","team":"b"}`, "team", "duplicate"},
		// Invalid UTF-8 and lone surrogates.
		{"invalid UTF-8 in a token name", "POST", "/api/orgs/acme/tokens", "{\"name\":\"t\xff1\"}", "name", "UTF-8"},
		{"invalid UTF-8 in a role name", "POST", "/api/orgs/acme/roles", "{\"name\":\"r\xc3\x281\",\"details\":" + allow + "}", "name", "UTF-8"},
		{"lone high surrogate", "POST", "/api/orgs/acme/roles", `{"name":"r\ud8001","details":` + allow + `}`, "name", "surrogate"},
		{"lone low surrogate", "POST", "/api/orgs/acme/tokens", `{"name":"t1","description":"\udc00"}`, "description", "surrogate"},
		{"surrogate in a tag value", "PATCH", "/api/stacks/acme/p/s/tags", `{"team":"\ud800"}`, "team", "surrogate"},
		// null where a value is required.
		{"null body", "POST", "/api/orgs/acme/tokens", `null`, "body", "null"},
		{"null tags body", "PATCH", "/api/stacks/acme/p/s/tags", `null`, "body", "null"},
		{"null tags", "POST", "/api/stacks/acme/p", `{"stackName":"s2","tags":null}`, "tags", "null"},
		{"null tag value", "PATCH", "/api/stacks/acme/p/s/tags", `{"team":null}`, "team", "null"},
		{"null entity", "POST", "/api/orgs/acme/access/check", `{"checks":[{"action":"stack:read","entity":null}]}`, "checks[0].entity", "null"},
		{"null checks", "POST", "/api/orgs/acme/access/check", `{"checks":null}`, "checks", "null"},
		{"null expires", "POST", "/api/orgs/acme/tokens", `{"name":"t1","expires":null}`, "expires", "null"},
		{"null admin", "POST", "/api/orgs/acme/tokens", `{"name":"t1","admin":null}`, "admin", "null"},
		// Names and descriptions that display as something else.
		{"bidi override in a role name", "POST", "/api/orgs/acme/roles", `{"name":"Admin\u202e","details":` + allow + `}`, "name", "U+202E"},
		{"isolate in a role name", "POST", "/api/orgs/acme/roles", `{"name":"\u2066Admin","details":` + allow + `}`, "name", "U+2066"},
		{"zero-width space in a role name", "POST", "/api/orgs/acme/roles", `{"name":"Ad\u200bmin","details":` + allow + `}`, "name", "U+200B"},
		{"BOM in a role name", "POST", "/api/orgs/acme/roles", `{"name":"\ufeffAdmin","details":` + allow + `}`, "name", "U+FEFF"},
		{"control character in a role name", "POST", "/api/orgs/acme/roles", `{"name":"Ad\u0007min","details":` + allow + `}`, "name", "U+0007"},
		{"newline in a role name", "POST", "/api/orgs/acme/roles", `{"name":"Ad\nmin","details":` + allow + `}`, "name", "U+000A"},
		{"bidi override in a role description", "POST", "/api/orgs/acme/roles", `{"name":"r1","description":"safe \u202egnp.exe","details":` + allow + `}`, "description", "U+202E"},
		{"rename with ZWJ", "PATCH", "/api/orgs/acme/roles/" + r.ID, `{"name":"ba\u200dse"}`, "name", "U+200D"},
		{"bidi override in a token name", "POST", "/api/orgs/acme/tokens", `{"name":"ci\u202e"}`, "name", "U+202E"},
		{"zero-width in a token description", "POST", "/api/orgs/acme/tokens", `{"name":"t1","description":"a\u200cb"}`, "description", "U+200C"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp := h.do(tc.method, tc.path, h.admin(), tc.body)
			if resp.status != 400 {
				t.Fatalf("got %s, want 400", resp)
			}
			e := resp.errorBody(t)
			if len(e.Errors) == 0 || e.Errors[0].Attribute != tc.attribute {
				t.Errorf("attribute: got %+v, want %q", e.Errors, tc.attribute)
			}
			if !strings.Contains(e.Message+" "+firstCustom(e), tc.contains) {
				t.Errorf("message %q does not mention %q", e.Message, tc.contains)
			}
		})
	}

	// Nothing was created or changed.
	if toks := h.tokens("all"); len(toks) != 1 {
		t.Errorf("tokens: %+v", toks)
	}
	var roles apitype.ListRolesResponse
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", h.admin(), nil).decode(t, &roles)
	for _, role := range roles.Roles {
		if role.DefaultIdentifier == "" && role.ID != r.ID {
			t.Errorf("a role was created: %+v", role)
		}
		if role.ID == r.ID && (role.Version != 1 || role.Name != "base") {
			t.Errorf("the role changed: %+v", role)
		}
	}
	var st apitype.Stack
	h.must(200, "GET", "/api/stacks/acme/p/s", h.admin(), nil).decode(t, &st)
	if len(st.Tags) != 1 || st.Tags["team"] != "a" {
		t.Errorf("tags changed: %v", st.Tags)
	}
	h.must(404, "GET", "/api/stacks/acme/p/s2", h.admin(), nil)

	// What stays accepted: a description on several lines, pairs of surrogates, a PATCH whose
	// optional fields are null (Pulumi's CLI sends all three).
	h.must(200, "POST", "/api/orgs/acme/tokens", h.admin(), `{"name":"ok","description":"line 1\nline 2\t\ud83d\ude00"}`)
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+r.ID, h.admin(), `{"name":null,"description":"new","details":null}`)
}

// TestRoleNamesUniqueUnderFolding: names that differ only by case, compatibility form or
// spacing cannot sit beside each other, so five roles cannot all display as "Admin".
func TestRoleNamesUniqueUnderFolding(t *testing.T) {
	t.Parallel()
	h := start(t)
	details := buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read"}})
	for _, name := range []string{"admin", "ADMIN", "Ａｄｍｉｎ", "Admin  ", " admin", "Stack  read"} {
		purpose := apitype.UXPurposeRole
		if strings.Contains(name, "read") {
			purpose = apitype.UXPurposeSet
		}
		resp := h.do("POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{Name: name, UXPurpose: purpose, ResourceType: "stack", Details: details})
		if resp.status != 409 {
			t.Errorf("%q: %s, want 409", name, resp)
			continue
		}
		if e := resp.errorBody(t); len(e.Errors) == 0 || e.Errors[0].Attribute != "name" || !strings.Contains(e.Message, "display") {
			t.Errorf("%q: %+v", name, e)
		}
	}
	a := h.grantRole("Deployer", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.grantRole("Auditor", authz.GrantSpec{Scopes: []string{"stack:read"}})
	h.must(409, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{Name: "deployer", Details: details})
	// A rename into another record's folded name is refused; a change of case of its own name is not.
	h.must(409, "PATCH", "/api/orgs/acme/roles/"+a.ID, h.admin(), apitype.UpdateRoleRequest{Name: ptrTo("AUDITOR")})
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+a.ID, h.admin(), apitype.UpdateRoleRequest{Name: ptrTo("DEPLOYER")})
	// The same name is fine for another kind of record (names are unique per uxPurpose).
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{Name: "deployer", UXPurpose: apitype.UXPurposeSet, ResourceType: "stack", Details: details})
	// Once the record it clashed with is deleted or renamed, the name is free.
	h.must(204, "DELETE", "/api/orgs/acme/roles/"+a.ID, h.admin(), nil)
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{Name: "deployer", Details: details})
}

func ptrTo[T any](v T) *T { return &v }
