package server_test

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// TestDetailsComeBackAsSent: a role's details are stored and returned as the caller sent them
// (order and shape kept, whitespace dropped), as Pulumi Cloud does, so that Pulumi's own
// provider sees no diff after a refresh; the canonical form only serves comparison: a tree
// equal up to order is still covered by the escalation guard (issue 10 item 9).
func TestDetailsComeBackAsSent(t *testing.T) {
	t.Parallel()
	h := start(t)
	sent := `{"permissions":["stack:write","role:create","stack:read"],"__type":"PermissionDescriptorAllow"}`
	spaced := "{\n  \"permissions\": [\"stack:write\", \"role:create\", \"stack:read\"],\n  \"__type\": \"PermissionDescriptorAllow\"\n}"
	var created apitype.Role
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), `{"name":"unsorted","uxPurpose":"role","details":`+spaced+`}`).decode(t, &created)
	check := func(what string, got json.RawMessage) {
		t.Helper()
		if string(got) != sent {
			t.Errorf("%s: details\n got %s\nwant %s", what, got, sent)
		}
	}
	check("create", created.Details)
	var got apitype.Role
	h.must(200, "GET", "/api/orgs/acme/roles/"+created.ID, h.admin(), nil).decode(t, &got)
	check("get", got.Details)
	var list apitype.ListRolesResponse
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", h.admin(), nil).decode(t, &list)
	for _, r := range list.Roles {
		if r.ID == created.ID {
			check("list", r.Details)
		}
	}

	// A token of that role may create a role granting the same in another order (covered),
	// and its details come back in that other order.
	_, tok := h.token("unsorted", created.ID)
	sorted := `{"__type":"PermissionDescriptorAllow","permissions":["stack:read","stack:write"]}`
	var other apitype.Role
	h.must(200, "POST", "/api/orgs/acme/roles", tok, apitype.CreateRoleRequest{Name: "sorted", UXPurpose: apitype.UXPurposeRole, Details: json.RawMessage(sorted)}).decode(t, &other)
	if string(other.Details) != sorted {
		t.Errorf("details\n got %s\nwant %s", other.Details, sorted)
	}

	// An update keeps the new order too.
	reordered := `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]},{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}]}`
	var updated apitype.Role
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+other.ID, h.admin(), apitype.UpdateRoleRequest{Details: json.RawMessage(reordered)}).decode(t, &updated)
	if string(updated.Details) != reordered || updated.Version != 2 {
		t.Errorf("update: version %d, details %s", updated.Version, updated.Details)
	}
}

// TestNothingAcceptedFailsLater: details near the size limit made of '<', '>' and '&' are
// accepted, stored within the limit, and every later use of them works: reading the role,
// listing, minting a token for it, making it the default, and the token's requests. Before,
// the canonical printing escaped each such byte as six, the stored form failed the limit on
// every load, and all of those answered 500 (issue 9 item 7).
func TestNothingAcceptedFailsLater(t *testing.T) {
	t.Parallel()
	h := start(t)
	var b strings.Builder
	b.WriteString(`{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]},{"__type":"PermissionDescriptorCondition","condition":{"__type":"PermissionExpressionIn","target":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":"<&>"},"values":{"__type":"PermissionSetExpressionString","values":[`)
	for i := 0; b.Len() < authz.MaxDetailsBytes-2000; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + strings.Repeat("<>&", 100) + strconv.Itoa(i) + `"`)
	}
	b.WriteString(`]}},"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:write"]}}]}`)
	details := b.String()

	var role apitype.Role
	// Sent as is: json.Marshal would escape every '<' as six bytes, past the body limit.
	h.must(200, "POST", "/api/orgs/acme/roles", h.admin(), `{"name":"html","uxPurpose":"role","details":`+details+`}`).decode(t, &role)
	var got apitype.Role
	h.must(200, "GET", "/api/orgs/acme/roles/"+role.ID, h.admin(), nil).decode(t, &got)
	if string(got.Details) != details {
		t.Errorf("details changed: %d bytes sent, %d returned", len(details), len(got.Details))
	}
	h.must(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", h.admin(), nil)
	_, tok := h.token("html", role.ID)
	h.stack("p", "s", nil)
	h.must(200, "GET", "/api/stacks/acme/p/s", tok, nil)
	h.must(204, "PATCH", "/api/orgs/acme/roles/"+role.ID+"/default", h.admin(), nil)
	h.must(200, "PATCH", "/api/orgs/acme/roles/"+role.ID, h.admin(), apitype.UpdateRoleRequest{Description: ptr("still fine")})
}
