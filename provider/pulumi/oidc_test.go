package pulumi_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
	"testing"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/internal/testoidc"
	"github.com/iamref/iam/internal/testserver"
	iampulumi "github.com/iamref/iam/provider/pulumi"
	"github.com/iamref/iam/server"
)

// newJWKS is a static key set with one fresh RSA public key.
func newJWKS(t *testing.T, kid string) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return fmt.Sprintf(`{"keys":[{"kty":"RSA","use":"sig","alg":"RS256","kid":%q,"n":%q,"e":%q}]}`,
		kid, enc(k.N.Bytes()), enc(big.NewInt(int64(k.E)).Bytes()))
}

const ghIssuer = "https://token.actions.githubusercontent.com"

// serverPolicy is the issuer's policy on the server.
func (e *env) serverPolicy(issuerID string) *apitype.AuthPolicy {
	e.t.Helper()
	pol, err := e.srv.Client.GetAuthPolicyForIssuer(context.Background(), e.srv.Org, issuerID)
	if err != nil {
		e.t.Fatal(err)
	}
	return pol
}

func TestOidcIssuerAndAuthPolicyLifecycle(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	jwks := newJWKS(t, "k1")
	issuerProgram := map[string]any{"name": "github", "url": ghIssuer, "jwks": jwks, "maxExpiration": "2h"}
	iid, iin, istate := e.create(iampulumi.OidcIssuerType, obj(issuerProgram))
	issuerID := istate.Get("issuerId").AsString()
	if iid != e.srv.Org+"/"+issuerID || istate.Get("issuer").AsString() != ghIssuer || istate.Get("maxExpiration").AsString() != "2h" {
		t.Fatalf("issuer create: %q %v", iid, istate)
	}
	if is, err := e.srv.Client.GetOIDCIssuer(ctx, e.srv.Org, issuerID); err != nil || is.MaxExpiration != 7200 || is.Name != "github" {
		t.Fatalf("server issuer %v %+v", err, is)
	}
	// A second issuer of the same URL is refused, pointing to an import.
	dup := e.check(iampulumi.OidcIssuerType, property.Map{}, obj(map[string]any{"name": "github-2", "url": ghIssuer, "jwks": jwks}))
	if _, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.OidcIssuerType, "dup"), Properties: dup.Inputs}); err == nil || !strings.Contains(err.Error(), "import it instead") {
		t.Fatalf("second issuer of the same URL: %v", err)
	}
	// A new issuer's policy refuses everything.
	if pol := e.serverPolicy(issuerID); len(pol.Policies) != 1 || pol.Policies[0].Decision != "deny" {
		t.Fatalf("new issuer's policy %+v", pol)
	}

	// The same program, the keys reformatted: no diff; a refresh keeps the inputs.
	reformatted := map[string]any{"name": "github", "url": ghIssuer, "jwks": strings.ReplaceAll(jwks, ",", ", "), "maxExpiration": "120m"}
	if d := e.diff(iampulumi.OidcIssuerType, iid, iin, istate, obj(reformatted)); d.HasChanges {
		t.Fatalf("no-op issuer diff %+v", d)
	}
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OidcIssuerType, "r"), ID: iid, Properties: istate, Inputs: iin})
	if err != nil || r.ID != iid || !r.Inputs.Equals(iin) {
		t.Fatalf("issuer read without drift: %v\n%v\n%v", err, r.Inputs, iin)
	}

	// Drift: renamed and given a longer maxExpiration outside Pulumi.
	long := int64(10 * 3600)
	if _, err := e.srv.Client.UpdateOIDCIssuer(ctx, e.srv.Org, issuerID, apitype.UpdateIssuerRequest{Name: "renamed", MaxExpiration: &long}); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OidcIssuerType, "r"), ID: iid, Properties: istate, Inputs: iin})
	if err != nil || r.Properties.Get("name").AsString() != "renamed" || r.Properties.Get("maxExpiration").AsString() != "10h" {
		t.Fatalf("issuer read after drift: %v %v", err, r.Properties)
	}
	d := e.diff(iampulumi.OidcIssuerType, iid, r.Inputs, r.Properties, obj(issuerProgram))
	if d.DetailedDiff["name"].Kind != p.Update || d.DetailedDiff["maxExpiration"].Kind != p.Update || len(d.DetailedDiff) != 2 {
		t.Fatalf("issuer diff after drift %+v", d)
	}
	c := e.check(iampulumi.OidcIssuerType, r.Inputs, obj(issuerProgram))
	u, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.OidcIssuerType, "r"), ID: iid, State: r.Properties, OldInputs: r.Inputs, Inputs: c.Inputs})
	if err != nil || u.Properties.Get("name").AsString() != "github" {
		t.Fatalf("issuer update: %v %v", err, u.Properties)
	}
	if is, _ := e.srv.Client.GetOIDCIssuer(ctx, e.srv.Org, issuerID); is.Name != "github" || is.MaxExpiration != 7200 {
		t.Fatalf("server issuer after update %+v", is)
	}
	istate = u.Properties
	// A new URL or the move to discovery replaces the issuer.
	d = e.diff(iampulumi.OidcIssuerType, iid, c.Inputs, istate, obj(map[string]any{"name": "github", "url": "https://gitlab.example.com", "jwks": jwks}))
	if d.DetailedDiff["url"].Kind != p.UpdateReplace {
		t.Fatalf("new URL diff %+v", d)
	}
	d = e.diff(iampulumi.OidcIssuerType, iid, c.Inputs, istate, obj(map[string]any{"name": "github", "url": ghIssuer}))
	if d.DetailedDiff["jwks"].Kind != p.UpdateReplace {
		t.Fatalf("jwks removed diff %+v", d)
	}

	// The policy: an organization token with a custom role for main of acme/payments.
	perm := e.createPermission()
	_, _, role := e.create(iampulumi.CustomRoleType, roleInputs(perm, "myapp/prod"))
	roleID := role.Get("roleId").AsString()
	allowMain := map[string]any{"decision": "allow", "tokenType": "organization", "roleId": roleID,
		"rules": map[string]any{"sub": "repo:acme/payments:ref:refs/heads/main"}}
	denyPRs := map[string]any{"decision": "deny", "tokenType": "organization", "rules": map[string]any{"event_name": "pull_request*"}}
	policyProgram := obj(map[string]any{"issuerId": issuerID, "policies": []any{allowMain, denyPRs}})
	pid, pin, pstate := e.create(iampulumi.AuthPolicyType, policyProgram)
	if pid != iid || pstate.Get("policyId").AsString() == "" {
		t.Fatalf("policy create: %q %v", pid, pstate)
	}
	pol := e.serverPolicy(issuerID)
	if len(pol.Policies) != 2 || pol.Policies[0].RoleID != roleID || pol.Policies[0].Rules["sub"] != "repo:acme/payments:ref:refs/heads/main" || pol.Policies[1].Decision != "deny" {
		t.Fatalf("server policy %+v", pol)
	}
	if d := e.diff(iampulumi.AuthPolicyType, pid, pin, pstate, policyProgram); d.HasChanges {
		t.Fatalf("no-op policy diff %+v", d)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), ID: pid, Properties: pstate, Inputs: pin})
	if err != nil || !r.Inputs.Equals(pin) {
		t.Fatalf("policy read without drift: %v\n%v\n%v", err, r.Inputs, pin)
	}
	// An update with nothing to change writes nothing.
	before := e.auditCount()
	if _, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), ID: pid, State: pstate, OldInputs: pin, Inputs: pin}); err != nil {
		t.Fatal(err)
	}
	if after := e.auditCount(); after != before {
		t.Fatalf("a no-op policy update wrote %d audit events", after-before)
	}

	// Drift: someone widens the rule outside Pulumi; refresh shows it, the update restores it.
	widened := pol.Policies
	widened[0].Rules = map[string]string{"sub": "repo:acme/*"}
	if _, err := e.srv.Client.UpdateAuthPolicy(ctx, e.srv.Org, pol.ID, apitype.UpdateAuthPolicyRequest{Policies: widened}); err != nil {
		t.Fatal(err)
	}
	r, err = e.s.Read(p.ReadRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), ID: pid, Properties: pstate, Inputs: pin})
	if err != nil || !strings.Contains(fmt.Sprint(r.Inputs.Get("policies")), "repo:acme/*") {
		t.Fatalf("policy read after drift: %v %v", err, r.Inputs)
	}
	d = e.diff(iampulumi.AuthPolicyType, pid, r.Inputs, r.Properties, policyProgram)
	if d.DetailedDiff["policies"].Kind != p.Update || len(d.DetailedDiff) != 1 {
		t.Fatalf("policy diff after drift %+v", d)
	}
	c = e.check(iampulumi.AuthPolicyType, r.Inputs, policyProgram)
	pu, err := e.s.Update(p.UpdateRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), ID: pid, State: r.Properties, OldInputs: r.Inputs, Inputs: c.Inputs})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.serverPolicy(issuerID); got.Policies[0].Rules["sub"] != "repo:acme/payments:ref:refs/heads/main" || got.Version != pol.Version+2 {
		t.Fatalf("server policy after update %+v (was version %d)", got, pol.Version)
	}
	if int(pu.Properties.Get("version").AsNumber()) != pol.Version+2 {
		t.Fatalf("version output %v", pu.Properties.Get("version"))
	}

	// Import both by ID: every value the server has.
	imp, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OidcIssuerType, "r"), ID: iid})
	if err != nil || imp.ID != iid || imp.Inputs.Get("name").AsString() != "github" || imp.Inputs.Get("maxExpiration").AsString() != "2h" ||
		imp.Inputs.Get("jwks").IsNull() || !imp.Inputs.Get("organization").IsNull() {
		t.Fatalf("issuer import: %v %v", err, imp.Inputs)
	}
	impd := e.diff(iampulumi.OidcIssuerType, iid, imp.Inputs, imp.Properties, obj(issuerProgram))
	if impd.HasChanges {
		t.Fatalf("the program differs from the imported issuer: %+v", impd)
	}
	impp, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), ID: pid})
	if err != nil || impp.ID != pid {
		t.Fatalf("policy import: %v %v", err, impp)
	}
	if d := e.diff(iampulumi.AuthPolicyType, pid, impp.Inputs, impp.Properties, policyProgram); d.HasChanges {
		t.Fatalf("the program differs from the imported policy: %+v\n%v", d, impp.Inputs)
	}

	// A second AuthPolicy for the same issuer is refused: it would overwrite allows set elsewhere.
	c = e.check(iampulumi.AuthPolicyType, property.Map{}, obj(map[string]any{"issuerId": issuerID, "policies": []any{denyPRs}}))
	if _, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.AuthPolicyType, "r2"), Properties: c.Inputs}); err == nil || !strings.Contains(err.Error(), "import it with the ID "+pid) {
		t.Fatalf("second policy: %v", err)
	}
	// A policy for an issuer that does not exist names the field.
	c = e.check(iampulumi.AuthPolicyType, property.Map{}, obj(map[string]any{"issuerId": "no-such-issuer", "policies": []any{denyPRs}}))
	if _, err := e.s.Create(p.CreateRequest{Urn: urn(iampulumi.AuthPolicyType, "r3"), Properties: c.Inputs}); err == nil || !strings.Contains(err.Error(), `issuerId: no OIDC issuer "no-such-issuer"`) {
		t.Fatalf("policy of a missing issuer: %v", err)
	}

	// Delete the policy: the issuer refuses everything again.
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), ID: pid, Properties: pu.Properties}); err != nil {
		t.Fatal(err)
	}
	if got := e.serverPolicy(issuerID); len(got.Policies) != 1 || got.Policies[0].Decision != "deny" || len(got.Policies[0].Rules) != 0 {
		t.Fatalf("policy after delete %+v", got)
	}
	// Delete the issuer; then both read as gone, and deleting again is fine.
	if err := e.s.Delete(p.DeleteRequest{Urn: urn(iampulumi.OidcIssuerType, "r"), ID: iid, Properties: istate}); err != nil {
		t.Fatal(err)
	}
	for typ, st := range map[string]property.Map{iampulumi.OidcIssuerType: istate, iampulumi.AuthPolicyType: pu.Properties} {
		r, err := e.s.Read(p.ReadRequest{Urn: urn(typ, "r"), ID: iid, Properties: st})
		if err != nil || r.ID != "" {
			t.Fatalf("%s read after delete: %v %q", typ, err, r.ID)
		}
		if err := e.s.Delete(p.DeleteRequest{Urn: urn(typ, "r"), ID: iid, Properties: st}); err != nil {
			t.Fatalf("%s second delete: %v", typ, err)
		}
	}
}

func TestOidcCheck(t *testing.T) {
	e := setup(t)
	for _, c := range []struct {
		typ    string
		inputs map[string]any
		want   []string
	}{
		{iampulumi.OidcIssuerType, map[string]any{"name": "gh", "url": "http://token.actions.githubusercontent.com", "maxExpiration": "2 hours"},
			[]string{"url: \"http://token.actions.githubusercontent.com\": an issuer's URL must be https://", "maxExpiration: \"2 hours\": want a duration"}},
		{iampulumi.OidcIssuerType, map[string]any{"name": "gh", "url": ghIssuer, "jwks": `{"keys":[{"kty":"RSA","d":"x"}]}`},
			[]string{"jwks: keys[0] is a private or symmetric key"}},
		{iampulumi.AuthPolicyType, map[string]any{"issuerId": "i", "policies": []any{
			map[string]any{"decision": "allow", "tokenType": "organisation", "rules": map[string]any{"sub": "repo:acme/x:*"}},
			map[string]any{"decision": "allow", "tokenType": "organization", "rules": map[string]any{"sub": "repo:acme/x:*"}},
			map[string]any{"decision": "allow", "tokenType": "team", "teamName": "platform", "rules": map[string]any{`"a.b`: "x"}},
		}}, []string{
			`policies[0].tokenType: "organisation" is not one of "organization", "team", "personal"; did you mean "organization"?`,
			"policies[1].roleId: required for an organization token",
			`policies[2].rules: claim "\"a.b": unbalanced quote`,
		}},
	} {
		resp := e.check(c.typ, property.Map{}, obj(c.inputs))
		var got []string
		for _, f := range resp.Failures {
			got = append(got, f.Reason)
		}
		if len(got) != len(c.want) {
			t.Errorf("%s: failures %q, want %q", c.typ, got, c.want)
			continue
		}
		for i := range got {
			if !strings.HasPrefix(got[i], c.want[i]) {
				t.Errorf("%s: failure %q, want %q", c.typ, got[i], c.want[i])
			}
		}
	}
	// 41 policies, and unknown IDs (of an issuer and a role created in the same run) at preview.
	var many []any
	for range 41 {
		many = append(many, map[string]any{"decision": "deny", "tokenType": "organization"})
	}
	if resp := e.check(iampulumi.AuthPolicyType, property.Map{}, obj(map[string]any{"issuerId": "i", "policies": many})); len(resp.Failures) != 1 ||
		!strings.Contains(resp.Failures[0].Reason, "41 policies; an issuer has at most 40") {
		t.Errorf("41 policies: %+v", resp.Failures)
	}
	// What the policy names must exist: the issuer, the role, the team, the member.
	e.addMembers("alice")
	_, _, is := e.create(iampulumi.OidcIssuerType, obj(map[string]any{"name": "gh", "url": ghIssuer, "jwks": newJWKS(t, "k1")}))
	sub := map[string]any{"sub": "repo:acme/x:ref:refs/heads/main"}
	refs := e.check(iampulumi.AuthPolicyType, property.Map{}, obj(map[string]any{"issuerId": "no-such-issuer", "policies": []any{
		map[string]any{"decision": "allow", "tokenType": "organization", "roleId": "00000000-0000-0000-0000-000000000001", "rules": sub},
		map[string]any{"decision": "allow", "tokenType": "team", "teamName": "platfrom", "rules": sub},
		map[string]any{"decision": "allow", "tokenType": "personal", "userLogin": "alce", "rules": sub},
		map[string]any{"decision": "deny", "tokenType": "team", "teamName": "nobody-checks-a-deny", "rules": sub},
	}}))
	var got []string
	for _, f := range refs.Failures {
		got = append(got, f.Reason)
	}
	want := []string{`issuerId: no OIDC issuer "no-such-issuer"`, `policies[0].roleId: no role with ID "00000000-0000-0000-0000-000000000001"`,
		`policies[1].teamName: no team "platfrom"`, `policies[2].userLogin: "alce" is not a member of organization acme; did you mean "alice"?`}
	if len(got) != len(want) {
		t.Fatalf("lookups at preview: %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("lookup failure %q, want %q", got[i], want[i])
		}
	}
	ok := e.check(iampulumi.AuthPolicyType, property.Map{}, obj(map[string]any{"issuerId": is.Get("issuerId").AsString(), "policies": []any{
		map[string]any{"decision": "allow", "tokenType": "personal", "userLogin": "alice", "rules": sub}}}))
	if len(ok.Failures) != 0 {
		t.Errorf("a policy naming what exists: %+v", ok.Failures)
	}
	preview := obj(map[string]any{"issuerId": unknown, "policies": []any{map[string]any{"decision": "allow", "tokenType": "organization", "roleId": unknown,
		"rules": map[string]any{"sub": "repo:acme/x:ref:refs/heads/main"}}}})
	if resp := e.check(iampulumi.AuthPolicyType, property.Map{}, preview); len(resp.Failures) != 0 {
		t.Errorf("unknowns at preview: %+v", resp.Failures)
	}
}

// A discovered issuer: without thumbprints the server trusts its certificate authorities and pins
// the certificate it sees (the thumbprints output), and a program that does not give them never
// differs; given ones replace CA trust, and a wrong one fails the create.
func TestOidcIssuerDiscovery(t *testing.T) {
	iss := testoidc.Discovery(t)
	srv := testserver.Start(t, testserver.Options{Config: func(c *server.Config) { c.OIDCRootCAs = iss.CertPool }})
	e := &env{t: t, srv: srv, s: newServer(t, config(srv, srv.Org))}
	program := obj(map[string]any{"name": "ci", "url": iss.URL})
	id, in, state := e.create(iampulumi.OidcIssuerType, program)
	if got := strs(state.Get("thumbprints")); len(got) != 1 || got[0] != iss.Thumbprint || state.Get("maxExpiration").AsString() != "25h" || state.Get("issuer").AsString() != iss.URL {
		t.Fatalf("discovered issuer state %v, want thumbprint %s", state, iss.Thumbprint)
	}
	if d := e.diff(iampulumi.OidcIssuerType, id, in, state, program); d.HasChanges {
		t.Fatalf("no-op diff %+v", d)
	}
	r, err := e.s.Read(p.ReadRequest{Urn: urn(iampulumi.OidcIssuerType, "r"), ID: id, Properties: state, Inputs: in})
	if err != nil || !r.Inputs.Equals(in) || len(strs(r.Properties.Get("thumbprints"))) != 1 {
		t.Fatalf("refresh: %v\n%v\n%v", err, r.Inputs, r.Properties)
	}
	// Given thumbprints (any case, any order) that are the server's: no diff; another set: an update.
	if d := e.diff(iampulumi.OidcIssuerType, id, in, state, obj(map[string]any{"name": "ci", "url": iss.URL, "thumbprints": []string{strings.ToUpper(iss.Thumbprint)}})); d.HasChanges {
		t.Fatalf("same thumbprint diff %+v", d)
	}
	other := strings.Repeat("0", 64)
	if d := e.diff(iampulumi.OidcIssuerType, id, in, state, obj(map[string]any{"name": "ci", "url": iss.URL, "thumbprints": []string{other, iss.Thumbprint}})); d.DetailedDiff["thumbprints"].Kind != p.Update {
		t.Fatalf("new thumbprint diff %+v", d)
	}
	// A certificate that matches no given thumbprint is refused at create, with the server's reason.
	c := e.check(iampulumi.OidcIssuerType, property.Map{}, obj(map[string]any{"name": "pinned", "url": iss.URL, "thumbprints": []string{other}}))
	_, err = e.s.Create(p.CreateRequest{Urn: urn(iampulumi.OidcIssuerType, "r2"), Properties: c.Inputs})
	if err == nil || !strings.Contains(err.Error(), "register OIDC issuer \"pinned\"") || !strings.Contains(err.Error(), "thumbprint") {
		t.Fatalf("wrong thumbprint: %v", err)
	}
}

// A token that may edit policies but does not hold admin cannot make a policy hand out admin:
// the server's escalation guard refuses it, and the provider says so with the server's reason.
func TestAuthPolicyEscalationRefused(t *testing.T) {
	e := setup(t)
	ctx := context.Background()
	_, _, istate := e.create(iampulumi.OidcIssuerType, obj(map[string]any{"name": "github", "url": ghIssuer, "jwks": newJWKS(t, "k1")}))
	tree, err := authz.BuildRole([]authz.GrantSpec{{Scopes: []string{"oidc_issuers:read", "auth_policies:read", "auth_policies:update"}}})
	if err != nil {
		t.Fatal(err)
	}
	role, err := e.srv.Client.CreateRole(ctx, e.srv.Org, apitype.CreateRoleRequest{Name: "policy-editor", UXPurpose: "role", ResourceType: "global", Details: json.RawMessage(authz.Format(tree))})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := e.srv.Client.CreateToken(ctx, e.srv.Org, apitype.CreateOrgTokenRequest{Name: "policy-editor", RoleID: role.ID})
	if err != nil {
		t.Fatal(err)
	}
	cfg := config(e.srv, e.srv.Org).Set("accessToken", property.New(tok.TokenValue).WithSecret(true))
	limited := &env{t: t, srv: e.srv, s: newServer(t, cfg)}
	c := limited.check(iampulumi.AuthPolicyType, property.Map{}, obj(map[string]any{"issuerId": istate.Get("issuerId").AsString(), "policies": []any{
		map[string]any{"decision": "allow", "tokenType": "organization", "authorizedPermissions": []string{"admin"}, "rules": map[string]any{"sub": "repo:acme/x:ref:refs/heads/main"}}}}))
	_, err = limited.s.Create(p.CreateRequest{Urn: urn(iampulumi.AuthPolicyType, "r"), Properties: c.Inputs})
	if err == nil || !strings.Contains(err.Error(), "(403)") || !strings.Contains(err.Error(), "more rights than the caller holds") {
		t.Fatalf("escalation: %v", err)
	}
	if pol := e.serverPolicy(istate.Get("issuerId").AsString()); len(pol.Policies) != 1 || pol.Policies[0].Decision != "deny" {
		t.Fatalf("policy after the refusal %+v", pol)
	}
}
