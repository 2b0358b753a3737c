package terraform

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"

	"github.com/iamref/iam/internal/testserver"
)

// A refresh or plan whose calls fail is an error with the real message: the state keeps every
// resource, and nothing hangs. Then, with the right settings again, the plan is empty. (Records
// only: a token is read from the token list, whose failure was always an error.)
func TestAccErrorsNeverDropState(t *testing.T) {
	e := setup(t)
	body := `
resource "iam_permission" "readers" {
  name   = "readers"
  scopes = ["stack:read"]
}

resource "iam_custom_role" "deployer" {
  name = "deployer"
  grant {
    permissions = [iam_permission.readers.permission_id]
    stacks      = ["myapp/prod"]
  }
}
`
	with := func(apiURL, token, org, extra string) string {
		return fmt.Sprintf(`
provider "iam" {
  api_url      = %q
  access_token = %q
  organization = %q
%s
}
`, apiURL, token, org, extra) + body
	}
	silent := testserver.Silent(t)
	var start time.Time
	var silentTook time.Duration
	resource.ParallelTest(t, resource.TestCase{
		ProtoV6ProviderFactories: e.factories(),
		CheckDestroy:             e.checkNothingLeft,
		Steps: []resource.TestStep{
			{Config: e.config(body)},
			// An API URL ending in /api reaches no route: an error, not "deleted".
			{
				Config:      with(e.srv.URL+"/api", e.srv.AdminToken, e.srv.Org, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)no\s+API\s+route.*check\s+api_url.*without\s+/api`),
			},
			// Another provider organization: resources are still read where they live (their
			// ID), never re-created as if they were gone; the plan would move them, and since
			// the server does not serve organization globex, the plan fails before anything is
			// deleted (see TestAccOrganization).
			{
				Config:      with(e.srv.URL, e.srv.AdminToken, "globex", ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)organization\s+globex\s+exists\s+before\s+moving.*no\s+such\s+organization`),
			},
			// A refused token.
			{
				Config:      with(e.srv.URL, "pul-"+strings.Repeat("f", 40), e.srv.Org, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`access\s+token\s+was\s+refused\s+\(401\):\s+check\s+access_token`),
			},
			// A server that accepts connections and never answers: the plan fails within
			// request_timeout × (max_retries + 1), naming the server.
			{
				PreConfig:   func() { start = time.Now() },
				Config:      with(silent, e.srv.AdminToken, e.srv.Org, `  request_timeout = "300ms"`+"\n"+`  max_retries = 1`),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)did\s+not\s+answer.*raise\s+request_timeout\s+or\s+max_retries.*no\s+answer\s+from\s+` + regexp.QuoteMeta(silent)),
			},
			// Plain HTTP to another machine is refused unless the user opts in.
			{
				PreConfig:   func() { silentTook = time.Since(start) },
				Config:      with("http://iam.example.com:8080", e.srv.AdminToken, e.srv.Org, ""),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)plain\s+HTTP\s+to\s+another\s+machine.*set\s+insecure\s+to\s+true`),
			},
			// All still there: with the right settings, nothing to do.
			{
				Config: e.config(body),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
		},
	})
	t.Logf("plan against a silent server failed after %v (request_timeout 300ms, max_retries 1)", silentTook.Round(10*time.Millisecond))
	if silentTook > 20*time.Second {
		t.Errorf("the plan against a silent server took %v", silentTook)
	}
}
