package pulumi_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
)

// oidcProgram is a YAML program (named as examples/yaml, whose workspace it takes over) with an issuer of static keys (jwks) and a policy of the three
// token types, one of them behind a quoted claim path.
const oidcProgram = `name: iam-example
runtime: yaml
plugins:
  providers:
    - name: iam
      path: PLUGIN_DIR
resources:
  ci:
    type: iam:index:OidcIssuer
    properties:
      name: ci
      url: ISSUER_URL
      jwks: 'ISSUER_JWKS'
      maxExpiration: 1h
  ciPolicy:
    type: iam:index:AuthPolicy
    properties:
      issuerId: ${ci.issuerId}
      policies:
        - decision: allow
          tokenType: team
          teamName: platform
          rules:
            repository: acme/platform-*
        - decision: allow
          tokenType: personal
          userLogin: alice
          rules:
            sub: repo:acme/tools:*
        - decision: deny
          tokenType: team
          rules:
            '"kubernetes.io".namespace': kube-*
outputs:
  issuerId: ${ci.issuerId}
  version: ${ciPolicy.version}
`

// TestOidcPoliciesYAML applies a YAML program of an OidcIssuer and an AuthPolicy with team and
// personal definitions through the real CLI: the exchanges they allow succeed and the deny on a
// quoted claim path wins; the second preview is empty; `pulumi import` of the policy generates
// the same definitions back; destroy removes the issuer.
func TestOidcPoliciesYAML(t *testing.T) {
	srv := testserver.StartBinary(t, testserver.BinaryPath(t, "iam-server"), t.TempDir())
	ctx := context.Background()
	if _, err := srv.Client.AddMember(ctx, srv.Org, "alice", apitype.AddMemberRequest{Role: apitype.OrgRoleMember}); err != nil {
		t.Fatal(err)
	}
	if _, err := srv.Client.CreateTeam(ctx, srv.Org, apitype.CreateTeamRequest{Name: "platform"}); err != nil {
		t.Fatal(err)
	}
	iss := testoidc.Static(t, "https://ci.example.com")
	w := newWorkspace(t, srv, "yaml")
	prog := strings.NewReplacer("PLUGIN_DIR", filepath.Dir(testserver.BinaryPath(t, "pulumi-resource-iam")),
		"ISSUER_URL", iss.URL, "ISSUER_JWKS", string(iss.JWKS())).Replace(oidcProgram)
	if err := os.WriteFile(filepath.Join(w.dir, "Pulumi.yaml"), []byte(prog), 0o644); err != nil {
		t.Fatal(err)
	}
	w.must("up", "--yes")
	w.must("preview", "--expect-no-changes")
	issuerID := strings.TrimSpace(w.must("stack", "output", "issuerId"))

	exchange := func(tokenType, scope string, claims map[string]any) error {
		_, err := srv.Client.ExchangeToken(ctx, apitype.TokenExchangeRequest{
			GrantType: apitype.GrantTypeTokenExchange, Audience: apitype.OrgAudience(srv.Org), SubjectToken: iss.Mint(t, claims),
			SubjectTokenType: apitype.SubjectTokenTypeIDToken, RequestedTokenType: apitype.RequestedTokenType(tokenType), Scope: scope,
		})
		return err
	}
	platform := iss.GitHubClaims(srv.Org, "acme/platform-infra", "refs/heads/main")
	tools := iss.GitHubClaims(srv.Org, "acme/tools", "refs/heads/main")
	if err := exchange("team", "team:platform", platform); err != nil {
		t.Errorf("team token for acme/platform-infra: %v", err)
	}
	if err := exchange("personal", "user:alice", tools); err != nil {
		t.Errorf("alice's token for acme/tools: %v", err)
	}
	if err := exchange("personal", "user:alice", platform); err == nil {
		t.Error("alice's token for acme/platform-infra was handed out")
	}
	inKube := testoidc.With(platform, map[string]any{"kubernetes.io": map[string]any{"namespace": "kube-system"}})
	if err := exchange("team", "team:platform", inKube); err == nil {
		t.Error("the deny on \"kubernetes.io\".namespace did not win")
	}

	// pulumi import writes the definitions back as the program has them.
	out := w.must("import", "iam:index:AuthPolicy", "imported", srv.Org+"/"+issuerID, "--yes", "--protect=false")
	for _, want := range []string{"teamName: platform", "userLogin: alice", `'"kubernetes.io".namespace': kube-*`, "repository: acme/platform-*"} {
		if !strings.Contains(out, want) {
			t.Errorf("pulumi import: no %q in the generated code:\n%s", want, out)
		}
	}
	w.must("state", "delete", "urn:pulumi:dev::iam-example::iam:index:AuthPolicy::imported", "--yes")
	w.must("preview", "--expect-no-changes")

	w.must("destroy", "--yes")
	if is, err := srv.Client.ListOIDCIssuers(ctx, srv.Org); err != nil || len(is) != 0 {
		t.Fatalf("issuers after destroy: %v %+v", err, is)
	}
}
