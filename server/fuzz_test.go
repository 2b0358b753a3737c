package server

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/backend"
	"github.com/iamref/iam/server/store/sqlite"
)

// fuzzAdmin is the admin token of FuzzBodies' server.
const fuzzAdmin = "pul-0123456789abcdef0123456789abcdef01234567"

// FuzzBodies sends arbitrary bodies to every route that decodes one (every POST, PATCH and PUT
// of the route table, so routes added later are covered too), as an admin, on a server with an
// org holding the objects the paths name. No body may make the server fail (5xx) or panic,
// and every refusal is Pulumi's error body with a message.
func FuzzBodies(f *testing.F) {
	ctx := context.Background()
	st, err := sqlite.Open(filepath.Join(f.TempDir(), "iam.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	key, err := backend.NewMasterKey(make([]byte, 32))
	if err != nil {
		f.Fatal(err)
	}
	s, err := New(ctx, Config{Org: "acme", Store: st, DenialBurst: -1, SecretsKey: key})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = s.Close(ctx) })
	if _, err := s.EnsureToken(ctx, fuzzAdmin, "admin"); err != nil {
		f.Fatal(err)
	}
	do := func(method, path, body string) *httptest.ResponseRecorder {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
		req.Header.Set("Authorization", "token "+fuzzAdmin)
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		return rec
	}
	// The objects the paths name.
	var role apitype.Role
	rec := do("POST", "/api/orgs/acme/roles", `{"name":"r","uxPurpose":"role","details":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`)
	if err := json.Unmarshal(rec.Body.Bytes(), &role); err != nil || rec.Code != 200 {
		f.Fatalf("seed role: %d %s", rec.Code, rec.Body)
	}
	for _, seed := range [][2]string{
		{"/api/stacks/acme/myapp", `{"stackName":"prod"}`},
		{"/api/esc/environments/acme", `{"project":"myapp","name":"prod"}`},
		{"/api/preview/insights/acme/accounts/acc", `{"provider":"aws"}`},
		{"/api/orgs/acme/members/u", `{"role":"member"}`},
		{"/api/orgs/acme/teams/pulumi", `{"name":"t"}`},
	} {
		if rec := do("POST", seed[0], seed[1]); rec.Code != 200 && rec.Code != 201 {
			f.Fatalf("seed %s: %d %s", seed[0], rec.Code, rec.Body)
		}
	}
	params := map[string]string{"org": "acme", "roleID": role.ID, "login": "u", "team": "t", "project": "myapp",
		"stack": "prod", "env": "prod", "account": "acc"}
	param := regexp.MustCompile(`\{([^}]+)\}`)
	type target struct{ method, path string }
	var targets []target
	for _, rt := range s.routes {
		if rt.method != "POST" && rt.method != "PATCH" && rt.method != "PUT" {
			continue
		}
		path := param.ReplaceAllStringFunc(rt.pattern, func(m string) string {
			if v, ok := params[m[1:len(m)-1]]; ok {
				return v
			}
			return "unknown"
		})
		targets = append(targets, target{rt.method, path})
	}
	// Seeds: a valid-looking body per route, and a few hostile ones for all.
	valid := map[string]string{
		"/roles":             `{"name":"n","uxPurpose":"role","details":{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}}`,
		"/tokens":            `{"name":"tk","description":"d","roleID":"` + role.ID + `"}`,
		"/tags":              `{"env":"prod"}`,
		"/acme/myapp":        `{"stackName":"s2","tags":{"a":"b"}}`,
		"/environments/acme": `{"project":"p","name":"e"}`,
		"/access/check":      `{"checks":[{"roleId":"` + role.ID + `","action":"stack:read","entity":{"kind":"stack","name":"myapp/prod"}}]}`,
		"/teams/pulumi":      `{"name":"t2","displayName":"T"}`,
		"/members/u":         `{"role":"admin"}`,
	}
	for i, tg := range targets {
		for suffix, body := range valid {
			if strings.HasSuffix(tg.path, suffix) || strings.Contains(tg.path, suffix+"/") {
				f.Add(uint8(i), []byte(body))
			}
		}
		for _, body := range []string{`{}`, `null`, `[]`, `{"name":null}`, `{"details":{"__type":"PermissionDescriptorGroup","entries":[[]]}}`, "{\"a\":1,\"a\":2}", `"\ud800"`} {
			f.Add(uint8(i), []byte(body))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		tg := targets[int(which)%len(targets)]
		done := make(chan *httptest.ResponseRecorder, 1)
		go func() { done <- do(tg.method, tg.path, string(body)) }()
		var rec *httptest.ResponseRecorder
		select {
		case rec = <-done:
		case <-time.After(10 * time.Second):
			buf := make([]byte, 1<<20)
			t.Fatalf("%s %s hangs on body %q\n%s", tg.method, tg.path, body, buf[:runtime.Stack(buf, true)])
		}
		if rec.Code >= 500 {
			t.Fatalf("%s %s answered %d: %s\nbody: %q", tg.method, tg.path, rec.Code, rec.Body, body)
		}
		if rec.Code >= 400 && strings.HasPrefix(tg.path, "/api/oauth/") {
			// OAuth's own error shape (RFC 6749 section 5.2).
			var e struct {
				Error            string `json:"error"`
				ErrorDescription string `json:"error_description"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Error == "" {
				t.Fatalf("%s %s answered %d without an OAuth error body: %s", tg.method, tg.path, rec.Code, rec.Body)
			}
			return
		}
		if rec.Code >= 400 {
			var e apitype.ErrorResponse
			if err := json.Unmarshal(rec.Body.Bytes(), &e); err != nil || e.Message == "" || e.Code != rec.Code {
				t.Fatalf("%s %s answered %d without an error body: %s", tg.method, tg.path, rec.Code, rec.Body)
			}
		}
		if rec.Code == http.StatusOK && len(body) == 0 {
			t.Fatalf("%s %s accepted an empty body", tg.method, tg.path)
		}
	})
}
