package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
)

// TestRoutes checks the method, escaped path, query and body of every API method.
func TestRoutes(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name   string
		call   func(*Client) (any, error)
		answer string // JSON answer; "" means {"id":"x"}
		method string
		path   string
		query  string
		body   string
		check  func(t *testing.T, got any)
	}{
		{name: "GetCurrentUser", call: func(c *Client) (any, error) { return c.GetCurrentUser(ctx) },
			answer: `{"githubLogin":"acme","organizations":[{"githubLogin":"acme"}]}`, method: "GET", path: "/api/user",
			check: func(t *testing.T, got any) {
				if u := got.(*apitype.User); u.GitHubLogin != "acme" || len(u.Organizations) != 1 {
					t.Errorf("user %+v", u)
				}
			}},
		{name: "Healthz", call: func(c *Client) (any, error) { return nil, c.Healthz(ctx) }, answer: "ok", method: "GET", path: "/healthz"},
		{name: "ListRoles", call: func(c *Client) (any, error) { return c.ListRoles(ctx, "acme", apitype.UXPurposeSet) },
			answer: `{"roles":[{"id":"r1","uxPurpose":"set","defaultIdentifier":"stack-read"}]}`,
			method: "GET", path: "/api/orgs/acme/roles", query: "uxPurpose=set",
			check: func(t *testing.T, got any) {
				if r := got.([]apitype.Role); len(r) != 1 || r[0].DefaultIdentifier != "stack-read" {
					t.Errorf("roles %+v", r)
				}
			}},
		{name: "CreateRole", call: func(c *Client) (any, error) {
			return c.CreateRole(ctx, "acme", apitype.CreateRoleRequest{Name: "ops", UXPurpose: apitype.UXPurposeRole,
				Details: json.RawMessage(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`)})
		}, method: "POST", path: "/api/orgs/acme/roles",
			body: `{"name":"ops","uxPurpose":"role","details":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`},
		{name: "GetRole", call: func(c *Client) (any, error) { return c.GetRole(ctx, "acme", "r1") }, method: "GET", path: "/api/orgs/acme/roles/r1"},
		{name: "UpdateRole", call: func(c *Client) (any, error) {
			return c.UpdateRole(ctx, "acme", "r1", apitype.UpdateRoleRequest{Description: new("d"), Version: new(3)})
		}, method: "PATCH", path: "/api/orgs/acme/roles/r1", body: `{"description":"d","version":3}`},
		{name: "DeleteRole", call: func(c *Client) (any, error) { return nil, c.DeleteRole(ctx, "acme", "r1", false) },
			method: "DELETE", path: "/api/orgs/acme/roles/r1"},
		{name: "DeleteRole force", call: func(c *Client) (any, error) { return nil, c.DeleteRole(ctx, "acme", "r1", true) },
			method: "DELETE", path: "/api/orgs/acme/roles/r1", query: "force=true"},
		{name: "ListScopes", call: func(c *Client) (any, error) { return c.ListScopes(ctx, "acme") },
			answer: `{"stack":[{"name":"Stacks","scopes":[{"name":"stack:read","metadata":{"description":"Read."}}]}]}`,
			method: "GET", path: "/api/orgs/acme/roles/scopes",
			check: func(t *testing.T, got any) {
				if s := got.(apitype.ListScopesResponse); s["stack"][0].Scopes[0].Name != "stack:read" {
					t.Errorf("scopes %+v", s)
				}
			}},
		{name: "ListRoleTokens", call: func(c *Client) (any, error) { return c.ListRoleTokens(ctx, "acme", "r1") },
			answer: `{"tokens":[{"id":"t1"}]}`, method: "GET", path: "/api/orgs/acme/roles/r1/tokens"},
		{name: "SetDefaultRole", call: func(c *Client) (any, error) { return nil, c.SetDefaultRole(ctx, "acme", "r1") },
			method: "PATCH", path: "/api/orgs/acme/roles/r1/default"},
		{name: "CreateToken", call: func(c *Client) (any, error) {
			return c.CreateToken(ctx, "acme", apitype.CreateOrgTokenRequest{Name: "ci", Description: "d", Expires: 10, RoleID: "r1"})
		}, answer: `{"id":"t1","tokenValue":"pul-x"}`, method: "POST", path: "/api/orgs/acme/tokens",
			body: `{"name":"ci","description":"d","admin":false,"expires":10,"roleID":"r1"}`,
			check: func(t *testing.T, got any) {
				if r := got.(*apitype.CreateTokenResponse); r.TokenValue != "pul-x" {
					t.Errorf("token %+v", r)
				}
			}},
		{name: "ListTokens", call: func(c *Client) (any, error) { return c.ListTokens(ctx, "acme", apitype.TokenFilterAll) },
			answer: `{"tokens":[]}`, method: "GET", path: "/api/orgs/acme/tokens", query: "filter=all"},
		{name: "ListOIDCIssuers", call: func(c *Client) (any, error) { return c.ListOIDCIssuers(ctx, "acme") },
			answer: `{"oidcIssuers":[{"id":"i1","name":"gh","thumbprints":[]}]}`, method: "GET", path: "/api/orgs/acme/oidc/issuers",
			check: func(t *testing.T, got any) {
				if is := got.([]apitype.Issuer); len(is) != 1 || is[0].Name != "gh" {
					t.Errorf("issuers %+v", is)
				}
			}},
		{name: "CreateOIDCIssuer", call: func(c *Client) (any, error) {
			return c.CreateOIDCIssuer(ctx, "acme", apitype.RegisterIssuerRequest{Name: "gh", URL: "https://token.actions.githubusercontent.com", MaxExpiration: 3600})
		}, method: "POST", path: "/api/orgs/acme/oidc/issuers",
			body: `{"name":"gh","url":"https://token.actions.githubusercontent.com","maxExpiration":3600}`},
		{name: "GetOIDCIssuer", call: func(c *Client) (any, error) { return c.GetOIDCIssuer(ctx, "acme", "i1") },
			method: "GET", path: "/api/orgs/acme/oidc/issuers/i1"},
		{name: "UpdateOIDCIssuer", call: func(c *Client) (any, error) {
			return c.UpdateOIDCIssuer(ctx, "acme", "i1", apitype.UpdateIssuerRequest{Name: "gh2", MaxExpiration: new(int64(60))})
		}, method: "PATCH", path: "/api/orgs/acme/oidc/issuers/i1", body: `{"name":"gh2","maxExpiration":60}`},
		{name: "DeleteOIDCIssuer", call: func(c *Client) (any, error) { return nil, c.DeleteOIDCIssuer(ctx, "acme", "i1") },
			method: "DELETE", path: "/api/orgs/acme/oidc/issuers/i1"},
		{name: "RegenerateThumbprints", call: func(c *Client) (any, error) { return c.RegenerateThumbprints(ctx, "acme", "i1") },
			method: "POST", path: "/api/orgs/acme/oidc/issuers/i1/regenerate-thumbprints"},
		{name: "GetAuthPolicyForIssuer", call: func(c *Client) (any, error) { return c.GetAuthPolicyForIssuer(ctx, "acme", "i1") },
			method: "GET", path: "/api/orgs/acme/auth/policies/oidcissuers/i1"},
		{name: "UpdateAuthPolicy", call: func(c *Client) (any, error) {
			return c.UpdateAuthPolicy(ctx, "acme", "p1", apitype.UpdateAuthPolicyRequest{Policies: []apitype.AuthPolicyDefinition{
				{Decision: "allow", TokenType: "organization", RoleID: "r1", Rules: map[string]string{"sub": "repo:acme/*"}}}})
		}, method: "PATCH", path: "/api/orgs/acme/auth/policies/p1",
			body: `{"policies":[{"decision":"allow","tokenType":"organization","roleID":"r1","rules":{"sub":"repo:acme/*"}}]}`},
		{name: "ExchangeToken", call: func(c *Client) (any, error) {
			return c.ExchangeToken(ctx, apitype.TokenExchangeRequest{GrantType: apitype.GrantTypeTokenExchange, Audience: "urn:pulumi:org:acme",
				SubjectToken: "jwt", SubjectTokenType: apitype.SubjectTokenTypeIDToken, RequestedTokenType: apitype.RequestedTokenType("organization")})
		}, answer: `{"access_token":"pul-x","issued_token_type":"urn:pulumi:token-type:access_token:organization","token_type":"token","expires_in":7200}`,
			method: "POST", path: "/api/oauth/token",
			body: `{"grant_type":"urn:ietf:params:oauth:grant-type:token-exchange","audience":"urn:pulumi:org:acme","subject_token":"jwt","subject_token_type":"urn:ietf:params:oauth:token-type:id_token","requested_token_type":"urn:pulumi:token-type:access_token:organization"}`,
			check: func(t *testing.T, got any) {
				if r := got.(*apitype.TokenExchangeResponse); r.AccessToken != "pul-x" || r.ExpiresIn != 7200 {
					t.Errorf("exchange %+v", r)
				}
			}},
		{name: "ListTokens default filter", call: func(c *Client) (any, error) { return c.ListTokens(ctx, "acme", "") },
			answer: `{"tokens":[]}`, method: "GET", path: "/api/orgs/acme/tokens"},
		{name: "DeleteToken", call: func(c *Client) (any, error) { return nil, c.DeleteToken(ctx, "acme", "t1") },
			method: "DELETE", path: "/api/orgs/acme/tokens/t1"},
		{name: "CreateStack", call: func(c *Client) (any, error) {
			return c.CreateStack(ctx, "acme", "web", apitype.CreateStackRequest{StackName: "prod", Tags: map[string]string{"env": "prod"}})
		}, method: "POST", path: "/api/stacks/acme/web", body: `{"stackName":"prod","tags":{"env":"prod"}}`},
		{name: "GetStack", call: func(c *Client) (any, error) { return c.GetStack(ctx, "acme", "web", "prod") },
			method: "GET", path: "/api/stacks/acme/web/prod"},
		{name: "DeleteStack", call: func(c *Client) (any, error) { return nil, c.DeleteStack(ctx, "acme", "web", "prod") },
			method: "DELETE", path: "/api/stacks/acme/web/prod"},
		{name: "UpdateStackTags", call: func(c *Client) (any, error) {
			return nil, c.UpdateStackTags(ctx, "acme", "web", "prod", map[string]string{"env": "prod"})
		}, method: "PATCH", path: "/api/stacks/acme/web/prod/tags", body: `{"env":"prod"}`},
		{name: "UpdateStackTags nil clears", call: func(c *Client) (any, error) {
			return nil, c.UpdateStackTags(ctx, "acme", "web", "prod", nil)
		}, method: "PATCH", path: "/api/stacks/acme/web/prod/tags", body: `{}`},
		{name: "ListStacks", call: func(c *Client) (any, error) { return c.ListStacks(ctx, "acme", "web") },
			answer: `{"stacks":[{"id":"s1","stackName":"prod"}]}`, method: "GET", path: "/api/user/stacks", query: "organization=acme&project=web"},
		{name: "CreateEnvironment", call: func(c *Client) (any, error) {
			return c.CreateEnvironment(ctx, "acme", apitype.CreateEnvironmentRequest{Project: "app", Name: "dev"})
		}, method: "POST", path: "/api/esc/environments/acme", body: `{"project":"app","name":"dev"}`},
		{name: "GetEnvironment", call: func(c *Client) (any, error) { return c.GetEnvironment(ctx, "acme", "app", "dev") },
			method: "GET", path: "/api/esc/environments/acme/app/dev"},
		{name: "DeleteEnvironment", call: func(c *Client) (any, error) { return nil, c.DeleteEnvironment(ctx, "acme", "app", "dev") },
			method: "DELETE", path: "/api/esc/environments/acme/app/dev"},
		{name: "OpenEnvironment", call: func(c *Client) (any, error) { return c.OpenEnvironment(ctx, "acme", "app", "dev") },
			method: "POST", path: "/api/esc/environments/acme/app/dev/open"},
		{name: "UpdateEnvironmentTags", call: func(c *Client) (any, error) {
			return nil, c.UpdateEnvironmentTags(ctx, "acme", "app", "dev", map[string]string{"team": "a"})
		}, method: "PATCH", path: "/api/esc/environments/acme/app/dev/tags", body: `{"team":"a"}`},
		{name: "ListEnvironments", call: func(c *Client) (any, error) { return c.ListEnvironments(ctx, "acme") },
			answer: `{"environments":[]}`, method: "GET", path: "/api/esc/environments/acme"},
		{name: "CreateInsightsAccount", call: func(c *Client) (any, error) {
			return c.CreateInsightsAccount(ctx, "acme", "prod-aws", apitype.CreateInsightsAccountRequest{Provider: "aws", Tags: map[string]string{"env": "prod"}})
		}, method: "POST", path: "/api/preview/insights/acme/accounts/prod-aws", body: `{"provider":"aws","tags":{"env":"prod"}}`},
		{name: "GetInsightsAccount", call: func(c *Client) (any, error) { return c.GetInsightsAccount(ctx, "acme", "prod-aws") },
			method: "GET", path: "/api/preview/insights/acme/accounts/prod-aws"},
		{name: "DeleteInsightsAccount", call: func(c *Client) (any, error) { return nil, c.DeleteInsightsAccount(ctx, "acme", "prod-aws") },
			method: "DELETE", path: "/api/preview/insights/acme/accounts/prod-aws"},
		{name: "ListInsightsAccounts", call: func(c *Client) (any, error) { return c.ListInsightsAccounts(ctx, "acme") },
			answer: `{"accounts":[]}`, method: "GET", path: "/api/preview/insights/acme/accounts"},
		{name: "ListAuditLogs", call: func(c *Client) (any, error) { return c.ListAuditLogs(ctx, "acme", "") },
			answer: `{"auditLogEvents":[{"timestamp":1,"decision":"deny"}],"continuationToken":"n"}`, method: "GET", path: "/api/orgs/acme/auditlogs",
			check: func(t *testing.T, got any) {
				if r := got.(*apitype.ListAuditLogsResponse); len(r.AuditLogEvents) != 1 || r.ContinuationToken != "n" {
					t.Errorf("audit %+v", r)
				}
			}},
		{name: "ListAuditLogs next page", call: func(c *Client) (any, error) { return c.ListAuditLogs(ctx, "acme", "a b/c") },
			answer: `{"auditLogEvents":[]}`, method: "GET", path: "/api/orgs/acme/auditlogs", query: "continuationToken=a+b%2Fc"},
		{name: "CheckAccess", call: func(c *Client) (any, error) {
			return c.CheckAccess(ctx, "acme", apitype.AccessCheckRequest{Checks: []apitype.AccessCheck{
				{Action: "stack:delete", Entity: apitype.EntityRef{Kind: apitype.EntityStack, Project: "web", Name: "prod"}},
			}})
		}, answer: `{"results":[{"allowed":true,"reasons":["role ops"]}]}`, method: "POST", path: "/api/orgs/acme/access/check",
			body: `{"checks":[{"action":"stack:delete","entity":{"kind":"stack","project":"web","name":"prod"}}]}`,
			check: func(t *testing.T, got any) {
				if r := got.(*apitype.AccessCheckResponse); len(r.Results) != 1 || !r.Results[0].Allowed {
					t.Errorf("check %+v", r)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			answer := tt.answer
			if answer == "" {
				answer = `{"id":"x"}`
			}
			rec := newRecorder(t, statuses(answer, 200))
			c := newTestClient(t, rec)
			got, err := tt.call(c)
			if err != nil {
				t.Fatal(err)
			}
			reqs := rec.requests()
			if len(reqs) != 1 {
				t.Fatalf("requests = %d, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != tt.method || r.Path != tt.path || r.Query != tt.query {
				t.Errorf("request %s %s?%s, want %s %s?%s", r.Method, r.Path, r.Query, tt.method, tt.path, tt.query)
			}
			if r.Body != tt.body {
				t.Errorf("body %s, want %s", r.Body, tt.body)
			}
			if tt.check != nil {
				tt.check(t, got)
			}
		})
	}
}

// TestPathEscaping checks that names containing "/" and other reserved characters stay one
// path segment.
func TestPathEscaping(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		call func(*Client) error
		path string
	}{
		{"token ID with slash", func(c *Client) error { return c.DeleteToken(ctx, "acme", "ci/deploy") }, "/api/orgs/acme/tokens/ci%2Fdeploy"},
		{"stack with slash", func(c *Client) error { _, err := c.GetStack(ctx, "acme", "my/proj", "dev/1"); return err }, "/api/stacks/acme/my%2Fproj/dev%2F1"},
		{"space question mark hash percent", func(c *Client) error { _, err := c.GetRole(ctx, "acme", "a b?c#d%e"); return err }, "/api/orgs/acme/roles/a%20b%3Fc%23d%25e"},
		{"insights account", func(c *Client) error { _, err := c.GetInsightsAccount(ctx, "acme", "aws/prod"); return err }, "/api/preview/insights/acme/accounts/aws%2Fprod"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, statuses(`{"id":"x"}`, 200))
			c := newTestClient(t, rec)
			if err := tt.call(c); err != nil {
				t.Fatal(err)
			}
			if got := rec.requests()[0].Path; got != tt.path {
				t.Errorf("path = %s, want %s", got, tt.path)
			}
		})
	}
}

func TestEmptyIdentifiersRejected(t *testing.T) {
	rec := newRecorder(t, statuses(`{}`, 200))
	c := newTestClient(t, rec)
	ctx := context.Background()
	calls := map[string]func() error{
		"org":      func() error { _, err := c.ListRoles(ctx, "", apitype.UXPurposeRole); return err },
		"role ID":  func() error { _, err := c.GetRole(ctx, "acme", ""); return err },
		"token ID": func() error { return c.DeleteToken(ctx, "acme", "") },
		"stack":    func() error { return c.DeleteStack(ctx, "acme", "p", "") },
		"project": func() error {
			_, err := c.CreateEnvironment(ctx, "acme", apitype.CreateEnvironmentRequest{Name: "e"})
			return err
		},
		`".."`: func() error { return c.DeleteEnvironment(ctx, "acme", "..", "dev") },
		`"."`:  func() error { _, err := c.GetStack(ctx, "acme", "web", "."); return err },
	}
	for name, call := range calls {
		if err := call(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: error = %v", name, err)
		}
	}
	if n := len(rec.requests()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

func TestPagination(t *testing.T) {
	ctx := context.Background()
	pages := func(key string, bodies map[string]string) func(int, http.ResponseWriter, *http.Request) {
		return func(_ int, w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, bodies[r.URL.Query().Get(key)])
		}
	}
	t.Run("tokens", func(t *testing.T) {
		rec := newRecorder(t, pages("continuationToken", map[string]string{
			"":   `{"tokens":[{"id":"a"},{"id":"b"}],"continuationToken":"p2"}`,
			"p2": `{"tokens":[{"id":"c"}],"continuationToken":"p3"}`,
			"p3": `{"tokens":[]}`,
		}))
		got, err := newTestClient(t, rec).ListTokens(ctx, "acme", "expired")
		if err != nil {
			t.Fatal(err)
		}
		if ids := tokenIDs(got); !reflect.DeepEqual(ids, []string{"a", "b", "c"}) {
			t.Errorf("ids %v", ids)
		}
		reqs := rec.requests()
		if len(reqs) != 3 || reqs[1].Query != "continuationToken=p2&filter=expired" {
			t.Errorf("requests %+v", reqs)
		}
	})
	t.Run("stacks", func(t *testing.T) {
		rec := newRecorder(t, pages("continuationToken", map[string]string{
			"":  `{"stacks":[{"id":"s1"}],"continuationToken":"n"}`,
			"n": `{"stacks":[{"id":"s2"}]}`,
		}))
		got, err := newTestClient(t, rec).ListStacks(ctx, "acme", "")
		if err != nil || len(got) != 2 || got[1].ID != "s2" {
			t.Fatalf("got %+v, %v", got, err)
		}
		if q := rec.requests()[1].Query; q != "continuationToken=n&organization=acme" {
			t.Errorf("query %s", q)
		}
	})
	t.Run("environments use nextToken", func(t *testing.T) {
		rec := newRecorder(t, pages("continuationToken", map[string]string{
			"":  `{"environments":[{"id":"e1"}],"nextToken":"n"}`,
			"n": `{"environments":[{"id":"e2"}]}`,
		}))
		got, err := newTestClient(t, rec).ListEnvironments(ctx, "acme")
		if err != nil || len(got) != 2 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("insights accounts use nextToken", func(t *testing.T) {
		rec := newRecorder(t, pages("continuationToken", map[string]string{
			"":  `{"accounts":[{"id":"i1"}],"nextToken":"n"}`,
			"n": `{"accounts":[{"id":"i2"}]}`,
		}))
		got, err := newTestClient(t, rec).ListInsightsAccounts(ctx, "acme")
		if err != nil || len(got) != 2 {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("repeated token is an error", func(t *testing.T) {
		rec := newRecorder(t, statuses(`{"tokens":[{"id":"a"}],"continuationToken":"same"}`, 200))
		_, err := newTestClient(t, rec).ListTokens(ctx, "acme", "")
		if err == nil || !strings.Contains(err.Error(), "repeated") {
			t.Fatalf("error = %v", err)
		}
		if n := len(rec.requests()); n != 2 {
			t.Errorf("requests = %d, want 2", n)
		}
	})
	t.Run("error on a later page", func(t *testing.T) {
		rec := newRecorder(t, statuses(`{"tokens":[{"id":"a"}],"continuationToken":"n"}`, 200, 403))
		_, err := newTestClient(t, rec).ListTokens(ctx, "acme", "")
		if !IsForbidden(err) {
			t.Fatalf("error = %v", err)
		}
	})
}

func tokenIDs(ts []apitype.AccessToken) []string {
	var ids []string
	for _, t := range ts {
		ids = append(ids, t.ID)
	}
	return ids
}

// TestCreateReadsBack checks that a create answered the Pulumi way (no body, or a body without
// the object) reads the object back, and that a create answered with the object does not.
func TestCreateReadsBack(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name     string
		answer   func(w http.ResponseWriter)
		call     func(*Client) (string, error)
		wantGet  string
		wantReqs int
	}{
		{"stack empty object", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{}`) },
			func(c *Client) (string, error) {
				s, err := c.CreateStack(ctx, "acme", "web", apitype.CreateStackRequest{StackName: "prod"})
				return idOf(s, err)
			}, "/api/stacks/acme/web/prod", 2},
		{"environment no content", func(w http.ResponseWriter) { w.WriteHeader(http.StatusNoContent) },
			func(c *Client) (string, error) {
				e, err := c.CreateEnvironment(ctx, "acme", apitype.CreateEnvironmentRequest{Project: "app", Name: "dev"})
				return idOf(e, err)
			}, "/api/esc/environments/acme/app/dev", 2},
		{"insights account empty body", func(w http.ResponseWriter) {},
			func(c *Client) (string, error) {
				a, err := c.CreateInsightsAccount(ctx, "acme", "prod", apitype.CreateInsightsAccountRequest{Provider: "aws"})
				return idOf(a, err)
			}, "/api/preview/insights/acme/accounts/prod", 2},
		{"stack answered in full", func(w http.ResponseWriter) { _, _ = io.WriteString(w, `{"id":"got"}`) },
			func(c *Client) (string, error) {
				s, err := c.CreateStack(ctx, "acme", "web", apitype.CreateStackRequest{StackName: "prod"})
				return idOf(s, err)
			}, "", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(n int, w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					tt.answer(w)
					return
				}
				_, _ = io.WriteString(w, `{"id":"got"}`)
			})
			id, err := tt.call(newTestClient(t, rec))
			if err != nil || id != "got" {
				t.Fatalf("id %q, err %v", id, err)
			}
			reqs := rec.requests()
			if len(reqs) != tt.wantReqs {
				t.Fatalf("requests = %d, want %d", len(reqs), tt.wantReqs)
			}
			if tt.wantGet != "" {
				if reqs[1].Method != http.MethodGet || reqs[1].Path != tt.wantGet {
					t.Errorf("read back %s %s, want GET %s", reqs[1].Method, reqs[1].Path, tt.wantGet)
				}
				if k := reqs[1].Header.Get("Idempotency-Key"); k != "" {
					t.Errorf("read back sent Idempotency-Key %q", k)
				}
			}
		})
	}
}

func idOf[T any](v *T, err error) (string, error) {
	if err != nil {
		return "", err
	}
	return reflect.ValueOf(v).Elem().FieldByName("ID").String(), nil
}
