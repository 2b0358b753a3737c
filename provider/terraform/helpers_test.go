package terraform

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-testing/terraform"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// env is a real server seeded with stacks myapp/{prod,dev} and environment myapp/prod, and a
// provider clock the test can move (for early renewal).
type env struct {
	t     *testing.T
	srv   *testserver.Server
	clock *clock
}

func setup(t *testing.T) *env {
	t.Helper()
	srv := testserver.Start(t)
	srv.SeedExample(t, "prod", "dev")
	return &env{t: t, srv: srv, clock: &clock{}}
}

// factories runs the provider in-process (terraform reattaches to it; no registry needed).
func (e *env) factories() map[string]func() (tfprotov6.ProviderServer, error) {
	return map[string]func() (tfprotov6.ProviderServer, error){
		"iam": providerserver.NewProtocol6WithError(&iamProvider{version: "test", now: e.clock.Now}),
	}
}

// config prefixes a configuration with the provider block for the test server.
func (e *env) config(body string) string {
	return fmt.Sprintf(`
provider "iam" {
  api_url      = %q
  access_token = %q
  organization = %q
}
`, e.srv.URL, e.srv.AdminToken, e.srv.Org) + body
}

// checkNothingLeft is a CheckDestroy: no custom roles, permissions or tokens (other than the
// bootstrap admin token) remain on the server.
func (e *env) checkNothingLeft(*terraform.State) error {
	ctx := context.Background()
	var left []string
	for _, purpose := range []apitype.UXPurpose{apitype.UXPurposeSet, apitype.UXPurposeRole, apitype.UXPurposePolicy} {
		recs, err := e.srv.Client.ListRoles(ctx, e.srv.Org, purpose)
		if err != nil {
			return err
		}
		for _, r := range recs {
			if r.DefaultIdentifier == "" {
				left = append(left, fmt.Sprintf("%s %q (%s)", purpose, r.Name, r.ID))
			}
		}
	}
	toks, err := e.srv.Client.ListTokens(ctx, e.srv.Org, apitype.TokenFilterAll)
	if err != nil {
		return err
	}
	for _, t := range toks {
		if t.Name != "admin" {
			left = append(left, fmt.Sprintf("token %q (%s)", t.Name, t.ID))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("left on the server after destroy: %s", strings.Join(left, ", "))
	}
	return nil
}

// clock is the provider's clock: real time plus an offset the test moves forward.
type clock struct {
	mu  sync.Mutex
	off time.Duration
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.off)
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.off += d
}

// capture records an attribute value of a resource in state, for use in later steps.
func capture(name, key string, dst *string) func(*terraform.State) error {
	return func(s *terraform.State) error {
		rs, ok := s.RootModule().Resources[name]
		if !ok {
			return fmt.Errorf("%s not in state", name)
		}
		*dst = rs.Primary.Attributes[key]
		return nil
	}
}
