package mapping_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/provider/mapping"
)

// broken is a provider configured like a user's mistake, against srv.
func broken(t *testing.T, cfg mapping.Config) *mapping.Provider {
	t.Helper()
	p, err := mapping.New(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// closedURL is a loopback URL nothing listens on: a server that is down.
func closedURL(t *testing.T) string { return "http://" + testserver.FreeAddr(t) }

// A resource is gone only when the server answers that this record is not found. A wrong
// organization, an API URL that reaches no route, a refused token, a server that is down or
// does not answer: each is an error of read and delete, never "gone".
func TestReadAndDeleteNeverTakeErrorsForGone(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	perm, err := p.CreatePermission(ctx, mapping.PermissionArgs{Name: "readers", Scopes: []string{"stack:read"}})
	if err != nil {
		t.Fatal(err)
	}
	args := mapping.CustomRoleArgs{Name: "deployer", Grants: []mapping.Grant{{Permissions: []string{perm.PermissionID}, Refs: authz.Refs{Stacks: []string{"myapp/prod"}}}}}
	role, err := p.CreateRole(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := p.CreateToken(ctx, mapping.TokenArgs{Name: "ci", RoleID: role.RoleID}, time.Now())
	if err != nil {
		t.Fatal(err)
	}

	good := mapping.Config{APIURL: srv.URL, AccessToken: srv.AdminToken, Organization: srv.Org}
	zero := 0
	for _, c := range []struct {
		name string
		cfg  func(mapping.Config) mapping.Config
		org  string // the organization the resources are read from ("" = the provider's)
		want string
	}{
		{"wrong organization", func(c mapping.Config) mapping.Config { return c }, "globex", `organization "globex" not found`},
		{"API URL ending in /api", func(c mapping.Config) mapping.Config { c.APIURL += "/api"; return c }, "", "no route for"},
		{"refused token", func(c mapping.Config) mapping.Config { c.AccessToken = "pul-" + strings.Repeat("f", 40); return c }, "", "401"},
		{"server down", func(c mapping.Config) mapping.Config { c.APIURL = closedURL(t); c.MaxRetries = &zero; return c }, "", "cannot reach the IAM server"},
		{"server silent", func(c mapping.Config) mapping.Config {
			c.APIURL, c.RequestTimeout, c.MaxRetries = testserver.Silent(t), "200ms", &zero
			return c
		}, "", "did not answer"},
	} {
		t.Run(c.name, func(t *testing.T) {
			b := broken(t, c.cfg(good))
			start := time.Now()
			check := func(what string, found bool, err error) {
				t.Helper()
				if err == nil || found {
					t.Errorf("%s: found=%v err=%v: an error was taken for a result", what, found, err)
				} else if !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: %v\nwant it to say %q", what, err, c.want)
				}
			}
			prior := args
			prior.Organization = c.org
			_, found, err := b.ReadRole(ctx, c.org, role.RoleID, &prior)
			check("read role", found, err)
			_, found, err = b.ReadRole(ctx, c.org, role.RoleID, nil) // import
			check("import role", found, err)
			_, found, err = b.ReadPermission(ctx, c.org, perm.PermissionID)
			check("read permission", found, err)
			tst := tok
			tst.Organization = c.org
			_, found, err = b.ReadToken(ctx, tst)
			check("read token", found, err)

			rst := role
			rst.Organization = c.org
			check("delete role", false, b.DeleteRole(ctx, rst))
			pst := perm
			pst.Organization = c.org
			check("delete permission", false, b.DeletePermission(ctx, pst))
			check("delete token", false, b.DeleteToken(ctx, tst))
			if strings.Contains(err.Error(), srv.AdminToken) {
				t.Error("an error holds the token")
			}
			t.Logf("7 calls failed in %v; e.g. %v", time.Since(start).Round(time.Millisecond), err)
		})
	}

	// Everything is still there; and once deleted, it is gone (not an error), and deleting
	// again is fine.
	for _, del := range []func() error{
		func() error { return p.DeleteToken(ctx, tok) },
		func() error { return p.DeleteRole(ctx, role) },
		func() error { return p.DeletePermission(ctx, perm) },
	} {
		if err := del(); err != nil {
			t.Fatalf("delete after the failures: %v", err)
		}
		if err := del(); err != nil {
			t.Fatalf("deleting again: %v", err)
		}
	}
	if _, found, err := p.ReadRole(ctx, "", role.RoleID, &args); err != nil || found {
		t.Errorf("deleted role: found=%v err=%v", found, err)
	}
	if _, found, err := p.ReadPermission(ctx, "", perm.PermissionID); err != nil || found {
		t.Errorf("deleted permission: found=%v err=%v", found, err)
	}
	if _, found, err := p.ReadToken(ctx, tok); err != nil || found {
		t.Errorf("deleted token: found=%v err=%v", found, err)
	}
}

// A failed lookup while comparing inputs with the server is an error, not a change: with the
// wrong organization, the diff (preview/plan) fails instead of showing `~ grants`.
func TestRoleChangesFailOnLookupErrors(t *testing.T) {
	srv, p := setup(t)
	ctx := context.Background()
	args := mapping.CustomRoleArgs{Name: "deployer", Grants: []mapping.Grant{{Permissions: []string{"stack-read"}, Refs: authz.Refs{Stacks: []string{"myapp/prod"}}}}}
	role, err := p.CreateRole(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	wrongOrg := broken(t, mapping.Config{APIURL: srv.URL, AccessToken: srv.AdminToken, Organization: "globex"})
	update, _, err := wrongOrg.RoleChanges(ctx, role, args)
	if err == nil || !strings.Contains(err.Error(), `organization "globex" not found`) || errors.Is(err, mapping.ErrNoEntity) {
		t.Errorf("wrong organization: update=%v err=%v", update, err)
	}
	withAPI := broken(t, mapping.Config{APIURL: srv.URL + "/api", AccessToken: srv.AdminToken, Organization: srv.Org})
	if update, _, err := withAPI.RoleChanges(ctx, role, args); err == nil || !strings.Contains(err.Error(), "without /api") {
		t.Errorf("API URL with /api: update=%v err=%v", update, err)
	}
	// A stack that really does not exist is an error too: stacks are not managed by the
	// providers, so it will not exist at apply either.
	args.Grants[0].Stacks = []string{"myapp/qa"}
	if update, _, err := p.RoleChanges(ctx, role, args); !errors.Is(err, mapping.ErrNoEntity) {
		t.Errorf("missing stack: update=%v err=%v", update, err)
	}
}

// A lookup that fails while reading a role back (a proxy's 404 or a 503 on the entity
// lookups) fails the read: the typed grants are never rebuilt, let alone turned into raw
// details, from a failed lookup.
func TestReadRoleKeepsGrantsOnTransientErrors(t *testing.T) {
	var mode atomic.Value // "", "404" or "503"
	mode.Store("")
	srv := testserver.Start(t, testserver.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if m := mode.Load().(string); m != "" && r.Method == http.MethodGet && strings.HasPrefix(r.URL.Path, "/api/stacks/") {
				if m == "404" {
					http.NotFound(w, r) // a proxy in front of the server, say
				} else {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
				return
			}
			h.ServeHTTP(w, r)
		})
	}})
	seedStacks(t, srv)
	zero := 0
	p := broken(t, mapping.Config{APIURL: srv.URL, AccessToken: srv.AdminToken, Organization: srv.Org, MaxRetries: &zero})
	ctx := context.Background()
	args := mapping.CustomRoleArgs{Name: "deployer", Grants: []mapping.Grant{{Permissions: []string{"stack-read"}, Refs: authz.Refs{Stacks: []string{"myapp/prod"}}}}}
	role, err := p.CreateRole(ctx, args)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"404", "503"} {
		mode.Store(m)
		st, found, err := p.ReadRole(ctx, "", role.RoleID, &args)
		if err == nil {
			t.Errorf("%s on the stack lookup: read gave found=%v grants=%v details=%q", m, found, st.Grants, st.Details)
		}
		if _, _, err := p.RoleChanges(ctx, role, args); err == nil {
			t.Errorf("%s on the stack lookup: the diff did not fail", m)
		}
	}
	mode.Store("")
	if st, found, err := p.ReadRole(ctx, "", role.RoleID, &args); err != nil || !found || st.Details != "" || len(st.Grants) != 1 {
		t.Errorf("read after recovery: %+v %v %v", st, found, err)
	}
}

func seedStacks(t *testing.T, srv *testserver.Server) {
	t.Helper()
	for _, s := range []string{"prod", "dev"} {
		if _, err := srv.Client.CreateStack(context.Background(), srv.Org, "myapp", apitype.CreateStackRequest{StackName: s}); err != nil {
			t.Fatal(err)
		}
	}
}
