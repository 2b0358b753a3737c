package pulumi_test

import (
	"fmt"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	presource "github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/internal/testserver"
	iampulumi "github.com/iamref/iam/provider/pulumi"
)

// env is a real server seeded with stacks myapp/{prod,dev} and environment myapp/prod, and a
// provider under test configured against it.
type env struct {
	t   *testing.T
	srv *testserver.Server
	s   integration.Server
}

// config builds provider configuration; org "" leaves iam:organization unset.
func config(srv *testserver.Server, org string) property.Map {
	m := map[string]property.Value{
		"apiUrl":      property.New(srv.URL),
		"accessToken": property.New(srv.AdminToken).WithSecret(true),
	}
	if org != "" {
		m["organization"] = property.New(org)
	}
	return property.NewMap(m)
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := testserver.Start(t)
	srv.SeedExample(t, "prod", "dev")
	return &env{t: t, srv: srv, s: newServer(t, config(srv, srv.Org))}
}

// newServer starts the provider in-process and configures it.
func newServer(t *testing.T, cfg property.Map) integration.Server {
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
	if err := s.Configure(p.ConfigureRequest{Args: cfg}); err != nil {
		t.Fatal(err)
	}
	return s
}

// clearEnv keeps the provider's environment fallbacks out of the tests.
func clearEnv(t *testing.T) {
	for _, k := range []string{"IAM_API_URL", "IAM_ACCESS_TOKEN", "PULUMI_ACCESS_TOKEN", "IAM_ORGANIZATION", "IAM_REQUEST_TIMEOUT", "IAM_MAX_RETRIES", "IAM_INSECURE"} {
		t.Setenv(k, "")
	}
}

func urn(typ, name string) presource.URN {
	return presource.NewURN("test", "provider", "", tokens.Type(typ), name)
}

// obj builds a property map from Go values: strings, bools, []string, []any, map[string]any
// and property.Value (for computed or secret values).
func obj(m map[string]any) property.Map {
	out := make(map[string]property.Value, len(m))
	for k, v := range m {
		out[k] = val(v)
	}
	return property.NewMap(out)
}

func val(v any) property.Value {
	switch v := v.(type) {
	case property.Value:
		return v
	case string:
		return property.New(v)
	case bool:
		return property.New(v)
	case int:
		return property.New(float64(v))
	case []string:
		a := make([]property.Value, len(v))
		for i, s := range v {
			a[i] = property.New(s)
		}
		return property.New(a)
	case []any:
		a := make([]property.Value, len(v))
		for i, e := range v {
			a[i] = val(e)
		}
		return property.New(a)
	case map[string]any:
		return property.New(obj(v))
	}
	panic(fmt.Sprintf("obj: unsupported %T", v))
}

var unknown = property.New(property.Computed)

// strs reads a list of strings from a property value.
func strs(v property.Value) []string {
	if !v.IsArray() {
		return nil
	}
	var out []string
	for _, e := range v.AsArray().All {
		out = append(out, e.AsString())
	}
	return out
}

// check runs Check and fails the test on an error.
func (e *env) check(typ string, olds, news property.Map) p.CheckResponse {
	e.t.Helper()
	resp, err := e.s.Check(p.CheckRequest{Urn: urn(typ, "r"), State: olds, Inputs: news})
	if err != nil {
		e.t.Fatalf("check %s: %v", typ, err)
	}
	return resp
}

// create checks and creates a resource, failing on check failures or errors.
func (e *env) create(typ string, inputs property.Map) (string, property.Map, property.Map) {
	e.t.Helper()
	c := e.check(typ, property.Map{}, inputs)
	if len(c.Failures) > 0 {
		e.t.Fatalf("check %s: %v", typ, c.Failures)
	}
	resp, err := e.s.Create(p.CreateRequest{Urn: urn(typ, "r"), Properties: c.Inputs})
	if err != nil {
		e.t.Fatalf("create %s: %v", typ, err)
	}
	return resp.ID, c.Inputs, resp.Properties
}

// diff checks news against a resource's state and diffs them.
func (e *env) diff(typ, id string, olds, state, news property.Map) p.DiffResponse {
	e.t.Helper()
	c := e.check(typ, olds, news)
	if len(c.Failures) > 0 {
		e.t.Fatalf("check %s: %v", typ, c.Failures)
	}
	resp, err := e.s.Diff(p.DiffRequest{Urn: urn(typ, "r"), ID: id, OldInputs: olds, State: state, Inputs: c.Inputs})
	if err != nil {
		e.t.Fatalf("diff %s: %v", typ, err)
	}
	return resp
}
