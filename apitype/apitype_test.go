package apitype

import (
	"bytes"
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

// TestMarshal pins the exact JSON of each wire type: field names, order and omitempty.
func TestMarshal(t *testing.T) {
	created := time.Date(2026, 11, 28, 13, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   any
		want string
	}{
		{"error response", ErrorResponse{Code: 400, Message: "bad", Errors: []FieldError{{
			Resource: "role", Attribute: "details.permissions[0]", ErrorType: ErrorTypeInvalid, CustomMessage: "unknown scope",
		}}}, `{"code":400,"message":"bad","errors":[{"resource":"role","attribute":"details.permissions[0]","errorType":"invalid","customMessage":"unknown scope"}]}`},
		{"error response minimal", ErrorResponse{Code: 404, Message: "not found"}, `{"code":404,"message":"not found"}`},
		{"role", Role{ID: "r1", OrgID: "o1", Name: "ops", ResourceType: "global", UXPurpose: UXPurposeRole,
			Details: json.RawMessage(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`),
			Version: 2, Created: created, Modified: created, IsOrgDefault: true},
			`{"id":"r1","orgId":"o1","name":"ops","description":"","resourceType":"global","uxPurpose":"role","details":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]},"version":2,"created":"2026-11-28T13:00:00Z","modified":"2026-11-28T13:00:00Z","isOrgDefault":true}`},
		{"built-in role", Role{ID: "r2", UXPurpose: UXPurposeSet, DefaultIdentifier: "stack-read", Created: created, Modified: created},
			`{"id":"r2","orgId":"","name":"","description":"","resourceType":"","uxPurpose":"set","version":0,"created":"2026-11-28T13:00:00Z","modified":"2026-11-28T13:00:00Z","isOrgDefault":false,"defaultIdentifier":"stack-read"}`},
		{"create role", CreateRoleRequest{Name: "ops", UXPurpose: UXPurposeRole, Details: json.RawMessage(`{}`)},
			`{"name":"ops","uxPurpose":"role","details":{}}`},
		{"update role empty", UpdateRoleRequest{}, `{}`},
		{"update role", UpdateRoleRequest{Name: ptr("n"), Description: ptr(""), Details: json.RawMessage(`{}`), Version: ptr(3)},
			`{"name":"n","description":"","details":{},"version":3}`},
		{"list roles nil", ListRolesResponse{}, `{"roles":[]}`},
		{"scopes", ListScopesResponse{"stack": {{Name: "Stacks", Scopes: []Scope{{Name: "stack:read", Metadata: ScopeMetadata{Description: "Read.", EntityKind: EntityStack}}}}}},
			`{"stack":[{"name":"Stacks","scopes":[{"name":"stack:read","metadata":{"description":"Read.","entityKind":"stack"}}]}]}`},
		{"create token", CreateOrgTokenRequest{Name: "ci", Description: "d", RoleID: "r1"},
			`{"name":"ci","description":"d","admin":false,"expires":0,"roleID":"r1"}`},
		{"create token admin", CreateOrgTokenRequest{Name: "ci", Admin: true, Expires: 1800000000},
			`{"name":"ci","description":"","admin":true,"expires":1800000000}`},
		{"create token response", CreateTokenResponse{ID: "t1", TokenValue: "pul-x"}, `{"id":"t1","tokenValue":"pul-x"}`},
		{"access token", AccessToken{ID: "t1", Name: "ci", Created: "2026-11-28T13:00:00Z", CreatedBy: "alice",
			Role: &TokenRole{ID: "r1", Name: "Member", DefaultIdentifier: "member"}, Type: TokenTypeOrganization},
			`{"id":"t1","name":"ci","description":"","created":"2026-11-28T13:00:00Z","lastUsed":0,"expires":0,"admin":false,"createdBy":"alice","role":{"id":"r1","name":"Member","defaultIdentifier":"member"},"type":"organization"}`},
		{"access token no role no type", AccessToken{ID: "t1"},
			`{"id":"t1","name":"","description":"","created":"","lastUsed":0,"expires":0,"admin":false,"createdBy":""}`},
		{"list tokens", ListTokensResponse{ContinuationToken: "c"}, `{"tokens":[],"continuationToken":"c"}`},
		{"user zero", User{},
			`{"id":"","githubLogin":"","name":"","email":"","avatarUrl":"","organizations":[],"potentialOrganizations":[],"identities":[],"hasMFA":false,"isOrgManaged":false,"isManagedByMultiOrg":false,"siteAdmin":false,"registryAdmin":false,"isAgent":false}`},
		{"user token", User{ID: "u", GitHubLogin: "acme", Organizations: []UserOrganization{{Name: "acme", GitHubLogin: "acme", Role: "admin"}},
			Identities: []string{"Pulumi"}, TokenInfo: &TokenInfo{Name: "ci", Organization: "acme"}},
			`{"id":"u","githubLogin":"acme","name":"","email":"","avatarUrl":"","organizations":[{"name":"acme","githubLogin":"acme","avatarUrl":"","role":"admin"}],"potentialOrganizations":[],"identities":["Pulumi"],"hasMFA":false,"isOrgManaged":false,"isManagedByMultiOrg":false,"siteAdmin":false,"registryAdmin":false,"isAgent":false,"tokenInfo":{"name":"ci","organization":"acme"}}`},
		{"create stack", CreateStackRequest{StackName: "dev"}, `{"stackName":"dev"}`},
		{"stack", Stack{ID: "s1", OrgName: "acme", ProjectName: "p", StackName: "dev", Tags: map[string]string{"env": "dev"}, Version: 1},
			`{"id":"s1","orgName":"acme","projectName":"p","stackName":"dev","activeUpdate":"","tags":{"env":"dev"},"version":1}`},
		{"stack summary", StackSummary{ID: "s1", OrgName: "acme", ProjectName: "p", StackName: "dev", ResourceCount: ptr(0)},
			`{"id":"s1","orgName":"acme","projectName":"p","stackName":"dev","resourceCount":0}`},
		{"list stacks", ListStacksResponse{}, `{"stacks":[]}`},
		{"create env", CreateEnvironmentRequest{Project: "p", Name: "e"}, `{"project":"p","name":"e"}`},
		{"environment", Environment{ID: "e1", Organization: "acme", Project: "p", Name: "e"},
			`{"id":"e1","organization":"acme","project":"p","name":"e","tags":{},"created":"","modified":""}`},
		{"list envs", ListEnvironmentsResponse{NextToken: "n"}, `{"environments":[],"nextToken":"n"}`},
		{"open env", OpenEnvironmentResponse{ID: "o1"}, `{"id":"o1"}`},
		{"insights account", InsightsAccount{ID: "i1", Name: "prod", Provider: InsightsProviderAWS},
			`{"id":"i1","name":"prod","provider":"aws"}`},
		{"create insights account", CreateInsightsAccountRequest{Provider: InsightsProviderAWS, Tags: map[string]string{"a": "b"}},
			`{"provider":"aws","tags":{"a":"b"}}`},
		{"list insights accounts", ListInsightsAccountsResponse{}, `{"accounts":[]}`},
		{"audit event", AuditLogEvent{Timestamp: 1, SourceIP: "127.0.0.1", Event: "stack.delete", User: UserInfo{Name: "ci", GitHubLogin: "acme"},
			TokenID: "t1", TokenName: "ci", Action: "stack:delete", Entity: &EntityRef{Kind: EntityStack, Project: "p", Name: "dev"},
			Decision: DecisionDeny, Reason: "no grant", Status: 403},
			`{"timestamp":1,"sourceIP":"127.0.0.1","event":"stack.delete","description":"","user":{"name":"ci","githubLogin":"acme","avatarUrl":""},"tokenID":"t1","tokenName":"ci","action":"stack:delete","entity":{"kind":"stack","project":"p","name":"dev"},"decision":"deny","reason":"no grant","status":403}`},
		{"list audit", ListAuditLogsResponse{}, `{"auditLogEvents":[]}`},
		{"access check", AccessCheckRequest{Checks: []AccessCheck{{Action: "stack:read", Entity: EntityRef{Kind: EntityStack, ID: "s1"}}}},
			`{"checks":[{"action":"stack:read","entity":{"kind":"stack","id":"s1"}}]}`},
		{"access check response", AccessCheckResponse{Results: []AccessCheckResult{{Allowed: true, Reasons: []string{}}, {Error: "unknown scope", Reasons: []string{}}}},
			`{"results":[{"allowed":true,"reasons":[]},{"allowed":false,"reasons":[],"error":"unknown scope"}]}`},
		{"access check response pointer", &AccessCheckResponse{}, `{"results":[]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// TestRoundTrip checks that every type decodes what it encodes.
func TestRoundTrip(t *testing.T) {
	created := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	values := []any{
		&Role{ID: "r", Name: "n", UXPurpose: UXPurposePolicy, Details: json.RawMessage(`{"__type":"PermissionDescriptorCompose","permissionDescriptors":["a"]}`), Version: 1, Created: created, Modified: created},
		&User{ID: "u", GitHubLogin: "g", Organizations: []UserOrganization{{Name: "o", GitHubLogin: "o", Role: "member"}}, PotentialOrganizations: []UserOrganization{}, Identities: []string{"github.com"}, TokenInfo: &TokenInfo{Name: "t", Organization: "o", Team: "x"}},
		&ListTokensResponse{Tokens: []AccessToken{{ID: "t", Role: &TokenRole{ID: "r"}, Type: TokenTypeTeam}}, ContinuationToken: "c"},
		&Environment{ID: "e", Tags: map[string]string{"k": "v"}},
		&AccessCheckResponse{Results: []AccessCheckResult{{Allowed: true, Reasons: []string{"role ops: stack:read"}}}},
		&AuditLogEvent{Timestamp: 9, Entity: &EntityRef{Kind: EntityEnvironment, ID: "e"}, Decision: DecisionAllow},
	}
	for _, v := range values {
		data, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		back := reflect.New(reflect.TypeOf(v).Elem()).Interface()
		if err := json.Unmarshal(data, back); err != nil {
			t.Fatalf("%T: %v", v, err)
		}
		if !reflect.DeepEqual(v, back) {
			t.Errorf("%T: round trip\n got %+v\nwant %+v", v, back, v)
		}
	}
}

// TestDecodePulumiSamples decodes the examples of the Pulumi Cloud reference.
func TestDecodePulumiSamples(t *testing.T) {
	const user = `{"id":"1","githubLogin":"alice","name":"A","email":"a@example.com","avatarUrl":"x",
 "organizations":[{"name":"Acme","githubLogin":"acme","avatarUrl":"y","role":"admin"}],
 "potentialOrganizations":[],"identities":["github.com"],
 "hasMFA":false,"isOrgManaged":false,"isManagedByMultiOrg":false,
 "siteAdmin":false,"registryAdmin":false,"isAgent":false,
 "tokenInfo":{"name":"ci-deployer","organization":"acme","team":""}}`
	var u User
	if err := json.Unmarshal([]byte(user), &u); err != nil {
		t.Fatal(err)
	}
	if u.GitHubLogin != "alice" || len(u.Organizations) != 1 || u.Organizations[0].GitHubLogin != "acme" || u.TokenInfo.Name != "ci-deployer" {
		t.Errorf("user: %+v", u)
	}

	const token = `{"id":"i","name":"n","description":"d","created":"2021-07-29 20:30:33.123","lastUsed":1627590233,"expires":0,
 "admin":false,"createdBy":"alice","role":{"id":"r","name":"Member","defaultIdentifier":"member"},"type":"organization"}`
	var tok AccessToken
	if err := json.Unmarshal([]byte(token), &tok); err != nil {
		t.Fatal(err)
	}
	if tok.LastUsed != 1627590233 || tok.Role.DefaultIdentifier != "member" || tok.Type != TokenTypeOrganization {
		t.Errorf("token: %+v", tok)
	}

	const scopes = `{"stack":[{"name":"Stacks","scopes":[{"name":"stack:read","metadata":{"description":"Read a stack."}}]}]}`
	var sc ListScopesResponse
	if err := json.Unmarshal([]byte(scopes), &sc); err != nil {
		t.Fatal(err)
	}
	if got := sc["stack"][0].Scopes[0]; got.Name != "stack:read" || got.Metadata.Description != "Read a stack." {
		t.Errorf("scopes: %+v", sc)
	}

	// The pulumi-pulumiservice provider sends PATCH bodies with capitalised keys; encoding/json
	// matches keys case-insensitively, so they decode too.
	var upd UpdateRoleRequest
	if err := json.Unmarshal([]byte(`{"Name":"n","Description":null,"Details":{"__type":"PermissionDescriptorAllow"}}`), &upd); err != nil {
		t.Fatal(err)
	}
	if upd.Name == nil || *upd.Name != "n" || upd.Description != nil || !bytes.Contains(upd.Details, []byte("Allow")) {
		t.Errorf("update: %+v", upd)
	}
}

// TestUserRequiredFields checks that every field the Pulumi spec marks required is always present.
func TestUserRequiredFields(t *testing.T) {
	data, err := json.Marshal(User{})
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	required := []string{"avatarUrl", "email", "githubLogin", "hasMFA", "id", "identities", "isManagedByMultiOrg", "isOrgManaged", "name", "organizations"}
	sort.Strings(required)
	for _, k := range required {
		v, ok := m[k]
		if !ok || string(v) == "null" {
			t.Errorf("required field %q missing or null in %s", k, data)
		}
	}
}
