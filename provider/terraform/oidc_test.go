package terraform

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server"
)

// newJWKS is a static key set with one fresh RSA public key.
func newJWKS(t *testing.T) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return fmt.Sprintf(`{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":"k1","n":%q,"e":%q}]}`, enc(k.N.Bytes()), enc(big.NewInt(int64(k.E)).Bytes()))
}

// issuerPolicy is the policy of the only issuer on the server.
func (e *env) issuerPolicy() (*apitype.Issuer, *apitype.AuthPolicy, error) {
	ctx := context.Background()
	is, err := e.srv.Client.ListOIDCIssuers(ctx, e.srv.Org)
	if err != nil {
		return nil, nil, err
	}
	if len(is) != 1 {
		return nil, nil, fmt.Errorf("%d issuers, want 1", len(is))
	}
	pol, err := e.srv.Client.GetAuthPolicyForIssuer(ctx, e.srv.Org, is[0].ID)
	return &is[0], pol, err
}

// checkNoIssuers is checkNothingLeft that also wants no OIDC issuers.
func (e *env) checkNoIssuers(s *terraform.State) error {
	is, err := e.srv.Client.ListOIDCIssuers(context.Background(), e.srv.Org)
	if err != nil {
		return err
	}
	if len(is) > 0 {
		return fmt.Errorf("%d OIDC issuers left after destroy", len(is))
	}
	return e.checkNothingLeft(s)
}

func TestAccOidcIssuerAndAuthPolicy(t *testing.T) {
	e := setup(t)
	const issuer, policy = "iam_oidc_issuer.gh", "iam_auth_policy.gh"
	jwks := newJWKS(t)
	cfg := func(name, sub string, withPolicy bool) string {
		body := fmt.Sprintf(`
resource "iam_custom_role" "deployer" {
  name = "payments-deployer"
  grant {
    scopes = ["stack:read", "stack:write"]
    stacks = ["myapp/prod"]
  }
}
resource "iam_oidc_issuer" "gh" {
  name           = %q
  url            = "https://token.actions.githubusercontent.com"
  jwks           = %q
  max_expiration = "2h"
}
`, name, jwks)
		if withPolicy {
			body += fmt.Sprintf(`
resource "iam_auth_policy" "gh" {
  issuer_id = iam_oidc_issuer.gh.issuer_id
  policies = [
    {
      decision   = "allow"
      token_type = "organization"
      role_id    = iam_custom_role.deployer.role_id
      rules      = { sub = %q }
    },
    {
      decision   = "deny"
      token_type = "organization"
      rules      = { event_name = "pull_request*" }
    },
  ]
}
`, sub)
		}
		return e.config(body)
	}
	const main = "repo:acme/payments:ref:refs/heads/main"
	serverSub := func(want string) resource.TestCheckFunc {
		return func(*terraform.State) error {
			_, pol, err := e.issuerPolicy()
			if err != nil {
				return err
			}
			if len(pol.Policies) != 2 || pol.Policies[0].Rules["sub"] != want || pol.Policies[1].Decision != "deny" {
				return fmt.Errorf("server policy %+v, want an allow for %q and a deny", pol.Policies, want)
			}
			return nil
		}
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNoIssuers,
		Steps: []resource.TestStep{
			// Plan-time errors name the attribute and the fix.
			{
				Config: e.config(`
resource "iam_auth_policy" "bad" {
  issuer_id = "i"
  policies = [{ decision = "allow", token_type = "organisation", rules = { sub = "repo:acme/x:*" } }]
}`),
				ExpectError: regexp.MustCompile(`(?s)Invalid policies\[0\]\.token_type.*did you mean\s+"organization"`),
			},
			{
				Config: e.config(`
resource "iam_auth_policy" "bad" {
  issuer_id = "i"
  policies = [{ decision = "allow", token_type = "organization", rules = { sub = "*" } }]
}`),
				ExpectError: regexp.MustCompile(`(?s)Invalid policies\[0\]\.role_id.*required for an organization token.*Invalid policies\[0\]\.rules.*not only\s+wildcards`),
			},
			{
				Config: e.config(`
resource "iam_oidc_issuer" "bad" {
  name = "gh"
  url  = "http://issuer.example"
}`),
				ExpectError: regexp.MustCompile(`must be\s+https://`),
			},
			// A team that does not exist fails the plan (the issuer, created in the same run, is
			// not known yet and is left to the apply).
			{
				Config: e.config(fmt.Sprintf(`
resource "iam_oidc_issuer" "gh" {
  name = "github"
  url  = "https://token.actions.githubusercontent.com"
  jwks = %q
}
resource "iam_auth_policy" "gh" {
  issuer_id = iam_oidc_issuer.gh.issuer_id
  policies  = [{ decision = "allow", token_type = "team", team_name = "platfrom", rules = { sub = "repo:acme/x:*" } }]
}`, jwks)),
				ExpectError: regexp.MustCompile(`(?s)Invalid policies\[0\]\.team_name.*no team "platfrom" in organization acme`),
			},
			// Create.
			{
				Config: cfg("github", main, true),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(issuer, tfjsonpath.New("issuer"), knownvalue.StringExact("https://token.actions.githubusercontent.com")),
					statecheck.ExpectKnownValue(issuer, tfjsonpath.New("max_expiration"), knownvalue.StringExact("2h")),
					statecheck.ExpectKnownValue(issuer, tfjsonpath.New("thumbprints"), knownvalue.SetSizeExact(0)),
					statecheck.ExpectKnownValue(policy, tfjsonpath.New("version"), knownvalue.Int64Exact(2)),
				},
				Check: resource.ComposeTestCheckFunc(serverSub(main), func(s *terraform.State) error {
					is, pol, err := e.issuerPolicy()
					if err != nil {
						return err
					}
					if is.MaxExpiration != 7200 || s.RootModule().Resources[policy].Primary.ID != e.srv.Org+"/"+is.ID ||
						pol.Policies[0].RoleID != s.RootModule().Resources["iam_custom_role.deployer"].Primary.Attributes["role_id"] {
						return fmt.Errorf("server issuer %+v policy %+v", is, pol)
					}
					return nil
				}),
			},
			// Applied again: nothing to do.
			{
				Config:           cfg("github", main, true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}},
			},
			// Import both.
			{ResourceName: issuer, ImportState: true, ImportStateVerify: true},
			{ResourceName: policy, ImportState: true, ImportStateVerify: true},
			// Drift: the rule widened and the issuer renamed outside Terraform show as updates...
			{
				PreConfig: func() {
					is, pol, err := e.issuerPolicy()
					if err != nil {
						t.Fatal(err)
					}
					pol.Policies[0].Rules = map[string]string{"sub": "repo:acme/*"}
					if _, err := e.srv.Client.UpdateAuthPolicy(context.Background(), e.srv.Org, pol.ID, apitype.UpdateAuthPolicyRequest{Policies: pol.Policies}); err != nil {
						t.Fatal(err)
					}
					if _, err := e.srv.Client.UpdateOIDCIssuer(context.Background(), e.srv.Org, is.ID, apitype.UpdateIssuerRequest{Name: "renamed"}); err != nil {
						t.Fatal(err)
					}
				},
				Config:             cfg("github", main, true),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(policy, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(issuer, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction("iam_custom_role.deployer", plancheck.ResourceActionNoop),
				}},
			},
			// ...that apply restores.
			{
				Config: cfg("github", main, true),
				Check:  resource.ComposeTestCheckFunc(serverSub(main), resource.TestCheckResourceAttr(issuer, "name", "github")),
			},
			// An in-place change of the rule.
			{
				Config: cfg("github", "repo:acme/payments:environment:production", true),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(policy, plancheck.ResourceActionUpdate),
					plancheck.ExpectResourceAction(issuer, plancheck.ResourceActionNoop),
				}},
				Check: serverSub("repo:acme/payments:environment:production"),
			},
			// The policy removed from the configuration: the issuer refuses everything again.
			{
				Config: cfg("github", main, false),
				Check: func(*terraform.State) error {
					_, pol, err := e.issuerPolicy()
					if err != nil {
						return err
					}
					if len(pol.Policies) != 1 || pol.Policies[0].Decision != "deny" || len(pol.Policies[0].Rules) != 0 {
						return fmt.Errorf("policy after destroy %+v, want the deny-all", pol.Policies)
					}
					return nil
				},
			},
		},
	})
}

// A discovered issuer: thumbprints and max_expiration not given are the server's (computed, and
// no diff on the next plan); given thumbprints replace CA trust and change in place.
func TestAccOidcIssuerDiscovery(t *testing.T) {
	iss := testoidc.Discovery(t)
	srv := testserver.Start(t, testserver.Options{Config: func(c *server.Config) { c.OIDCRootCAs = iss.CertPool }})
	e := &env{t: t, srv: srv, clock: &clock{}}
	const addr = "iam_oidc_issuer.ci"
	cfg := func(extra string) string {
		return e.config(fmt.Sprintf(`
resource "iam_oidc_issuer" "ci" {
  name = "ci"
  url  = %q
  %s
}`, iss.URL, extra))
	}
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNoIssuers,
		Steps: []resource.TestStep{
			{
				Config: cfg(""),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("thumbprints"), knownvalue.SetExact([]knownvalue.Check{knownvalue.StringExact(iss.Thumbprint)})),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("max_expiration"), knownvalue.StringExact("25h")),
					statecheck.ExpectKnownValue(addr, tfjsonpath.New("issuer"), knownvalue.StringExact(iss.URL)),
				},
			},
			{Config: cfg(""), ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectEmptyPlan()}}},
			{ResourceName: addr, ImportState: true, ImportStateVerify: true},
			// The server's thumbprint given in upper case: nothing to do.
			{
				Config:           cfg(fmt.Sprintf("thumbprints = [%q]\n  max_expiration = \"1500m\"", strings.ToUpper(iss.Thumbprint))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
				Check: func(*terraform.State) error {
					is, _, err := e.issuerPolicy()
					if err != nil || is.MaxExpiration != 90000 || len(is.Thumbprints) != 1 || is.Thumbprints[0] != iss.Thumbprint {
						return fmt.Errorf("server issuer %v %+v", err, is)
					}
					return nil
				},
			},
			// A second pin added (certificate rotation ahead): an in-place update.
			{
				Config: cfg(fmt.Sprintf("thumbprints = [%q, %q]", iss.Thumbprint, strings.Repeat("0", 64))),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
				Check: func(*terraform.State) error {
					is, _, err := e.issuerPolicy()
					if err != nil || len(is.Thumbprints) != 2 {
						return fmt.Errorf("server issuer %v %+v", err, is)
					}
					return nil
				},
			},
			// A pin dropped outside Terraform shows as drift.
			{
				PreConfig: func() {
					is, _, err := e.issuerPolicy()
					if err != nil {
						t.Fatal(err)
					}
					if _, err := e.srv.Client.UpdateOIDCIssuer(context.Background(), e.srv.Org, is.ID, apitype.UpdateIssuerRequest{Name: "ci", Thumbprints: []string{iss.Thumbprint}}); err != nil {
						t.Fatal(err)
					}
				},
				Config:             cfg(fmt.Sprintf("thumbprints = [%q, %q]", iss.Thumbprint, strings.Repeat("0", 64))),
				PlanOnly:           true,
				ExpectNonEmptyPlan: true,
				ConfigPlanChecks: resource.ConfigPlanChecks{PostApplyPostRefresh: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(addr, plancheck.ResourceActionUpdate)}},
			},
		},
	})
}
