package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/openapi"
)

// loadOpenAPI loads and validates the embedded document (OpenAPI 3.1: kin-openapi validates
// its schemas with JSON Schema 2020-12).
func loadOpenAPI(t *testing.T) *openapi3.T {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(openapi.JSON)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if !doc.IsOpenAPI31OrLater() {
		t.Fatalf("openapi.json is OpenAPI %s, want 3.1", doc.OpenAPI)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI document: %v", err)
	}
	return doc
}

// TestOpenAPIListsEveryRoute checks the document against the router: every route is an
// operation with the route's access and scope, and every operation is a route.
func TestOpenAPIListsEveryRoute(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	h := start(t)
	routes := map[string]bool{}
	for _, rt := range h.ts.API.Routes() {
		key := rt.Method + " " + rt.Pattern
		routes[key] = true
		item := doc.Paths.Value(rt.Pattern)
		if item == nil || item.GetOperation(rt.Method) == nil {
			t.Errorf("route %s is not in server/openapi/openapi.json: add it to server/openapi/gen/operations.go and run 'make docs'", key)
			continue
		}
		op := item.GetOperation(rt.Method)
		access := "scoped"
		switch {
		case rt.Public:
			access = "public"
		case rt.AuthOnly:
			access = "authenticated"
		case rt.Lease:
			access = "lease"
		}
		if got := op.Extensions["x-iamref-access"]; got != access {
			t.Errorf("%s: x-iamref-access %v, the router says %s", key, got, access)
		}
		if got, _ := op.Extensions["x-iamref-scope"].(string); got != rt.Scope {
			t.Errorf("%s: x-iamref-scope %q, the router checks %q", key, got, rt.Scope)
		}
		if rt.Public != (op.Security != nil && len(*op.Security) == 0) {
			t.Errorf("%s: public is %v but the operation's security is %v", key, rt.Public, op.Security)
		}
		if _, ok := op.Responses.Map()["401"]; ok == rt.Public {
			t.Errorf("%s: a 401 response is documented: %v, want %v", key, ok, !rt.Public)
		}
	}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			if !routes[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which the server does not serve", method, path)
			}
		}
	}
}

// TestGetOpenAPI checks that the server serves the document without a token.
func TestGetOpenAPI(t *testing.T) {
	t.Parallel()
	h := start(t)
	r := h.must(200, "GET", "/api/openapi.json", "", nil)
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q", ct)
	}
	if !bytes.Equal(r.body, openapi.JSON) {
		t.Error("GET /api/openapi.json differs from the embedded document")
	}
}

// TestResponsesMatchOpenAPI sends a representative request of each kind to the in-process
// server and validates request and response against the document: bodies, status codes and
// the error shape.
func TestResponsesMatchOpenAPI(t *testing.T) {
	t.Parallel()
	doc := loadOpenAPI(t)
	h := start(t)
	doc.Servers = openapi3.Servers{{URL: h.ts.URL}}
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	v := &validator{t: t, h: h, router: router, seen: map[string]bool{}}

	// Roles.
	var role apitype.Role
	v.check(200, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{
		Name: "deployer", Description: "deploys", Details: buildDetails(t, authz.GrantSpec{Scopes: []string{"stack:read", "stack:delete"}}, authz.GrantSpec{Scopes: []string{"stack:list", "role:read"}}),
	}).decode(t, &role)
	v.check(200, "POST", "/api/orgs/acme/roles", h.admin(), apitype.CreateRoleRequest{
		Name: "readers", UXPurpose: apitype.UXPurposeSet, Details: json.RawMessage(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`),
	}, "Idempotency-Key", "k1")
	v.check(200, "GET", "/api/orgs/acme/roles/"+role.ID, h.admin(), nil)
	v.check(200, "GET", "/api/orgs/acme/roles?uxPurpose=role", h.admin(), nil)
	v.check(200, "GET", "/api/orgs/acme/roles?uxPurpose=set", h.admin(), nil)
	v.check(200, "GET", "/api/orgs/acme/roles/scopes", h.admin(), nil)
	v.check(200, "PATCH", "/api/orgs/acme/roles/"+role.ID, h.admin(), apitype.UpdateRoleRequest{Description: new("deploys prod"), Version: new(1)})
	v.check(409, "PATCH", "/api/orgs/acme/roles/"+role.ID, h.admin(), apitype.UpdateRoleRequest{Description: new("stale"), Version: new(1)})

	// Tokens.
	var tok apitype.CreateTokenResponse
	v.check(200, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "ci", RoleID: role.ID}).decode(t, &tok)
	v.check(200, "GET", "/api/orgs/acme/tokens", h.admin(), nil)
	v.check(200, "GET", "/api/orgs/acme/tokens?filter=all", h.admin(), nil)
	v.check(200, "GET", "/api/orgs/acme/roles/"+role.ID+"/tokens", h.admin(), nil)
	v.check(200, "GET", "/api/user", tok.TokenValue, nil)

	// Stacks, environments, insights accounts.
	v.check(200, "POST", "/api/stacks/acme/myapp", h.admin(), apitype.CreateStackRequest{StackName: "prod", Tags: map[string]string{"env": "prod"}})
	v.check(200, "POST", "/api/stacks/acme/myapp", h.admin(), apitype.CreateStackRequest{StackName: "dev"})
	v.check(200, "GET", "/api/stacks/acme/myapp/prod", h.admin(), nil)
	v.check(204, "PATCH", "/api/stacks/acme/myapp/prod/tags", h.admin(), apitype.UpdateStackTagsRequest{"env": "production"})
	v.check(200, "GET", "/api/user/stacks?organization=acme", tok.TokenValue, nil)
	v.check(200, "POST", "/api/esc/environments/acme", h.admin(), apitype.CreateEnvironmentRequest{Project: "myapp", Name: "prod"})
	v.check(200, "GET", "/api/esc/environments/acme", h.admin(), nil)
	v.check(200, "GET", "/api/esc/environments/acme/myapp/prod", h.admin(), nil)
	v.check(200, "POST", "/api/esc/environments/acme/myapp/prod/open", h.admin(), nil)
	v.check(200, "POST", "/api/preview/insights/acme/accounts/prod-aws", h.admin(), apitype.CreateInsightsAccountRequest{Provider: "aws", Tags: map[string]string{"team": "a"}})
	v.check(200, "GET", "/api/preview/insights/acme/accounts", h.admin(), nil)
	v.check(200, "GET", "/api/preview/insights/acme/accounts/prod-aws", h.admin(), nil)

	// Access checks: allowed, denied, and an invalid check.
	v.check(200, "POST", "/api/orgs/acme/access/check", tok.TokenValue, apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
		{Action: "stack:read", Entity: apitype.EntityRef{Kind: apitype.EntityStack, Project: "myapp", Name: "prod"}},
		{Action: "environment:open", Entity: apitype.EntityRef{Kind: apitype.EntityEnvironment, Project: "myapp", Name: "prod"}},
		{Action: "stack:delet", Entity: apitype.EntityRef{Kind: apitype.EntityStack, Project: "myapp", Name: "prod"}},
	}})

	// Errors: 400, 401, 403, 404, 409.
	v.check(400, "POST", "/api/orgs/acme/roles", h.admin(), `{"name":"x","details":{"__type":"PermissionDescriptorAllow","permissions":["stack:delet"]}}`)
	v.check(400, "GET", "/api/orgs/acme/roles", h.admin(), nil)
	v.check(401, "GET", "/api/orgs/acme/roles?uxPurpose=role", "", nil)
	v.check(403, "GET", "/api/orgs/acme/auditlogs", tok.TokenValue, nil)
	v.check(404, "GET", "/api/stacks/acme/myapp/nope", h.admin(), nil)
	v.check(404, "GET", "/api/orgs/other/roles?uxPurpose=role", h.admin(), nil)
	v.check(409, "POST", "/api/orgs/acme/tokens", h.admin(), apitype.CreateOrgTokenRequest{Name: "ci", RoleID: role.ID})

	// Deletes, the audit log (with the denials above in it), public routes.
	v.check(204, "DELETE", "/api/stacks/acme/myapp/dev", h.admin(), nil)
	v.check(204, "DELETE", "/api/orgs/acme/tokens/"+tok.ID, h.admin(), nil)
	h.waitAudit("of the 403", func(e apitype.AuditLogEvent) bool { return e.Status == 403 })
	v.check(200, "GET", "/api/orgs/acme/auditlogs?pageSize=50", h.admin(), nil)
	v.check(200, "GET", "/healthz", "", nil)
	v.check(200, "GET", "/api/openapi.json", "", nil)

	for _, want := range []string{"POST /api/orgs/{org}/roles", "GET /api/orgs/{org}/auditlogs", "POST /api/orgs/{org}/access/check", "GET /api/user/stacks"} {
		if !v.seen[want] {
			t.Errorf("no response of %s was validated", want)
		}
	}
}

type validator struct {
	t      *testing.T
	h      *harness
	router routers.Router
	seen   map[string]bool // "METHOD /path/{template}" validated
}

// check sends a request, checks its status and validates the request and the response
// against the document's operation for it.
func (v *validator) check(status int, method, path, token string, body any, hdr ...string) *response {
	t := v.t
	t.Helper()
	r := v.h.must(status, method, path, token, body, hdr...)
	var raw []byte
	switch b := body.(type) {
	case nil:
	case string:
		raw = []byte(b)
	default:
		var err error
		if raw, err = json.Marshal(b); err != nil {
			t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, v.h.ts.URL+path, bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "token "+token)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		t.Fatalf("%s %s: no operation in openapi.json: %v", method, path, err)
	}
	v.seen[method+" "+route.Path] = true
	in := &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}}
	if status < 400 { // the error cases send invalid requests on purpose
		if err := openapi3filter.ValidateRequest(context.Background(), in); err != nil {
			t.Errorf("%s %s: the request does not match openapi.json: %v", method, path, err)
		}
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: r.status, Header: r.header,
		Body: io.NopCloser(bytes.NewReader(r.body)), Options: in.Options}
	if err := openapi3filter.ValidateResponse(context.Background(), out); err != nil {
		t.Errorf("%s %s → %d: the response does not match openapi.json: %v\n%s", method, path, r.status, err, truncate(r.body))
	}
	return r
}

func truncate(b []byte) string {
	s := string(b)
	if len(s) > 2000 {
		s = s[:2000] + "…"
	}
	return strings.TrimSpace(s)
}
