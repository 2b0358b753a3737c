package pulumi_test

import (
	"strings"
	"testing"
	"time"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/internal/testserver"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// configured starts another provider with cfg, failing the test if Configure fails.
func configured(t *testing.T, cfg property.Map) integration.Server { return newServer(t, cfg) }

// unconfigured starts a provider and returns Configure's error for cfg.
func configureErr(t *testing.T, cfg property.Map) error {
	t.Helper()
	clearEnv(t)
	prov, err := iampulumi.Provider()
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(t.Context(), iampulumi.Name, semver.MustParse("0.1.0"), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s.Configure(p.ConfigureRequest{Args: cfg})
}

// Refresh never drops a live resource: with a wrong organization the resource is still read
// from the organization of its ID; with an API URL that reaches no route, a refused token or
// a silent server, Read fails (the engine keeps the state) with a message that says what to
// check, in Pulumi's names.
func TestReadNeverDropsLiveResources(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	roleID, roleIn, roleState := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	tokID, tokIn, tokState := e.create(iampulumi.OrganizationAccessTokenType, obj(map[string]any{"name": "ci", "roleId": roleState.Get("roleId").AsString()}))
	reads := []struct {
		typ, id   string
		in, state property.Map
	}{
		{iampulumi.CustomRoleType, roleID, roleIn, roleState},
		{iampulumi.OrganizationAccessTokenType, tokID, tokIn, tokState},
	}

	// Another provider organization (IAM_ORGANIZATION=globex): read where they live.
	globex := configured(t, config(e.srv, "globex"))
	for _, r := range reads {
		got, err := globex.Read(p.ReadRequest{Urn: urn(r.typ, "r"), ID: r.id, Inputs: r.in, Properties: r.state})
		if err != nil || got.ID != r.id || has(got.Inputs, "organization") {
			t.Errorf("%s with provider organization globex: %v %q %v", r.typ, err, got.ID, got.Inputs)
		}
	}

	zero := property.New(0.0)
	for _, c := range []struct {
		name string
		cfg  property.Map
		want string
	}{
		{"API URL ending in /api", config(e.srv, e.srv.Org).Set("apiUrl", property.New(e.srv.URL+"/api")), "check iam:apiUrl, the server's base URL"},
		{"refused token", config(e.srv, e.srv.Org).Set("accessToken", property.New("pul-"+strings.Repeat("f", 40)).WithSecret(true)), "check iam:accessToken"},
		{"silent server", config(e.srv, e.srv.Org).Set("apiUrl", property.New(testserver.Silent(t))).
			Set("requestTimeout", property.New("300ms")).Set("maxRetries", zero), "raise iam:requestTimeout or iam:maxRetries"},
	} {
		s := configured(t, c.cfg)
		for _, r := range reads {
			start := time.Now()
			got, err := s.Read(p.ReadRequest{Urn: urn(r.typ, "r"), ID: r.id, Inputs: r.in, Properties: r.state})
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%s, %s: read gave %q %v, err %v; want an error saying %q", c.name, r.typ, got.ID, got.Properties, err, c.want)
			} else {
				t.Logf("%s, %s: failed in %v: %v", c.name, r.typ, time.Since(start).Round(time.Millisecond), err)
			}
		}
		// Nor does delete take the error for "already deleted".
		if err := s.Delete(p.DeleteRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: roleID, Properties: roleState}); err == nil {
			t.Errorf("%s: delete succeeded", c.name)
		}
	}
	if _, err := e.srv.Client.GetRole(t.Context(), e.srv.Org, roleState.Get("roleId").AsString()); err != nil {
		t.Fatalf("the role is gone: %v", err)
	}
}

// Preview fails with the real message instead of showing a grants diff when the lookups the
// diff needs fail.
func TestDiffFailsOnErrors(t *testing.T) {
	e := setup(t)
	perm := e.createPermission()
	id, in, state := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	for _, c := range []struct {
		name string
		cfg  property.Map
		want string
	}{
		{"wrong organization", config(e.srv, "globex"), `organization "globex" not found`},
		{"API URL ending in /api", config(e.srv, e.srv.Org).Set("apiUrl", property.New(e.srv.URL+"/api")), "no route for GET /api/api/"},
		{"refused token", config(e.srv, e.srv.Org).Set("accessToken", property.New("pul-"+strings.Repeat("f", 40)).WithSecret(true)), "401"},
		{"no token", config(e.srv, e.srv.Org).Delete("accessToken"), "no access token: set iam:accessToken, or IAM_ACCESS_TOKEN / PULUMI_ACCESS_TOKEN"},
		{"server down", config(e.srv, e.srv.Org).Set("apiUrl", property.New("http://"+testserver.FreeAddr(t))).Set("maxRetries", property.New(0.0)), "cannot reach the IAM server"},
	} {
		s := configured(t, c.cfg)
		d, err := s.Diff(p.DiffRequest{Urn: urn(iampulumi.CustomRoleType, "r"), ID: id, OldInputs: in, State: state, Inputs: in})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: diff %+v, err %v; want an error saying %q", c.name, d, err, c.want)
		}
	}
}

// Plain HTTP goes only to this machine unless iam:insecure is set; the settings are checked.
func TestConfigureSettings(t *testing.T) {
	base := property.NewMap(map[string]property.Value{"accessToken": property.New(testserver.AdminToken).WithSecret(true)})
	for _, c := range []struct {
		cfg  property.Map
		want string
	}{
		{base.Set("apiUrl", property.New("http://iam.example.com:8080")), `iam:apiUrl "http://iam.example.com:8080" is plain HTTP to another machine, which would send the access token unencrypted: use https://, or set iam:insecure to true (or IAM_INSECURE=true)`},
		{base.Set("apiUrl", property.New("http://iam.example.com:8080")).Set("insecure", property.New(true)), ""},
		{base.Set("apiUrl", property.New("https://iam.example.com")), ""},
		{base.Set("requestTimeout", property.New("soon")), `iam:requestTimeout "soon": want a positive duration`},
		{base.Set("maxRetries", property.New(-1.0)), "iam:maxRetries -1: want 0 or more"},
	} {
		err := configureErr(t, c.cfg)
		if c.want == "" && err != nil || c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v\nwant %q", c.cfg, err, c.want)
		}
		if err != nil && strings.Contains(err.Error(), testserver.AdminToken) {
			t.Error("the error holds the token")
		}
	}
}
