package mapping

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
)

// The input fields of OidcIssuer and AuthPolicy.
const (
	FieldURL                   Field = "url"
	FieldJWKS                  Field = "jwks"
	FieldThumbprints           Field = "thumbprints"
	FieldMaxExpiration         Field = "maxExpiration"
	FieldIssuerID              Field = "issuerId"
	FieldPolicies              Field = "policies"
	FieldDecision              Field = "decision"
	FieldTokenType             Field = "tokenType"
	FieldTeamName              Field = "teamName"
	FieldUserLogin             Field = "userLogin"
	FieldAuthorizedPermissions Field = "authorizedPermissions"
	FieldRules                 Field = "rules"
)

// OidcIssuerArgs are the inputs of an OidcIssuer: an OIDC identity provider (GitHub Actions,
// GitLab, …) whose ID tokens the server exchanges for short-lived tokens under an AuthPolicy.
type OidcIssuerArgs struct {
	Organization string
	Name         string
	URL          string // the issuer's URL; ID tokens must carry it as `iss` (for a discovered issuer, the discovery document's issuer)
	// JWKS is a static RFC 7517 key set as JSON ("" = fetch the keys by discovery over HTTPS).
	// Going from one to the other replaces the issuer (the server cannot turn a discovered issuer
	// static).
	JWKS string
	// Thumbprints pin the TLS leaf certificate of the discovery and JWKS endpoints (lowercase hex
	// SHA-256); nil = not given, the server pins the certificate it sees. A set.
	Thumbprints []string
	// MaxExpiration caps the tokens exchanged with the issuer's ID tokens, as a duration such as
	// "2h"; "" = not given, the server's default (25h).
	MaxExpiration string
}

// OidcIssuerState is an OidcIssuer as the server has it: Thumbprints and MaxExpiration are
// always the server's.
type OidcIssuerState struct {
	OidcIssuerArgs
	IssuerID string
	Issuer   string // the `iss` ID tokens must carry
}

// issuerResource is the `resource` of the server's not-found answer for an issuer.
const issuerResource = "oidcIssuer"

const (
	maxIssuerName = 50
	maxJWKS       = 256 << 10
	maxJWKSKeys   = 100
	// maxIssuerExpiration bounds maxExpiration as the server does.
	maxIssuerExpiration = 7 * 24 * time.Hour
)

// CheckOidcIssuer validates inputs offline.
func CheckOidcIssuer(a OidcIssuerArgs) Problems {
	var ps Problems
	switch n := utf8.RuneCountInString(a.Name); {
	case strings.TrimSpace(a.Name) == "":
		ps = append(ps, problem(Root(FieldName), "required"))
	case n > maxIssuerName:
		ps = append(ps, problem(Root(FieldName), "%d characters; issuer names are at most %d", n, maxIssuerName))
	}
	if msg := checkIssuerURL(a.URL); msg != "" {
		ps = append(ps, problem(Root(FieldURL), "%s", msg))
	}
	if a.JWKS != "" {
		if msg := checkJWKS(a.JWKS); msg != "" {
			ps = append(ps, problem(Root(FieldJWKS), "%s", msg))
		}
		if len(a.Thumbprints) > 0 {
			ps = append(ps, problem(Root(FieldThumbprints), "pin the TLS certificate of a discovered issuer; with a static %s nothing is fetched: remove %s", FieldJWKS, FieldThumbprints))
		}
	}
	if a.Thumbprints != nil && len(a.Thumbprints) == 0 && a.JWKS == "" {
		ps = append(ps, problem(Root(FieldThumbprints), "empty: give at least one thumbprint, or omit %s to pin the certificate the server sees", FieldThumbprints))
	}
	if n := len(NormalizeThumbprints(a.Thumbprints)); n > maxThumbprints {
		ps = append(ps, problem(Root(FieldThumbprints), "%d thumbprints; at most %d", n, maxThumbprints))
	}
	for i, t := range a.Thumbprints {
		if msg := checkThumbprint(t); msg != "" {
			ps = append(ps, problem(Root(FieldThumbprints).At(i), "%s", msg))
		}
	}
	if a.MaxExpiration != "" {
		if _, msg := maxExpirationSeconds(a.MaxExpiration); msg != "" {
			ps = append(ps, problem(Root(FieldMaxExpiration), "%s", msg))
		}
	}
	return ps
}

func checkIssuerURL(s string) string {
	if strings.TrimSpace(s) == "" {
		return "required: the issuer's URL, such as https://token.actions.githubusercontent.com"
	}
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return fmt.Sprintf("%q is not a URL: %v", s, err)
	case u.Scheme != "https":
		return fmt.Sprintf("%q: an issuer's URL must be https://", s)
	case u.Host == "":
		return fmt.Sprintf("%q has no host", s)
	case u.RawQuery != "" || u.Fragment != "" || u.User != nil:
		return fmt.Sprintf("%q: an issuer's URL has no query, fragment or user info", s)
	}
	return ""
}

// checkJWKS accepts an RFC 7517 key set of public keys, at least one of them an RS256 or ES256
// signing key (the only ones the server verifies with): {"keys":[{"kty":…}, …]}, at most 100 keys.
func checkJWKS(s string) string {
	if len(s) > maxJWKS {
		return fmt.Sprintf("%d bytes; at most %d", len(s), maxJWKS)
	}
	var set struct {
		Keys []map[string]any `json:"keys"`
	}
	if err := json.Unmarshal([]byte(s), &set); err != nil {
		return fmt.Sprintf("not a JSON Web Key Set (%v): want {\"keys\": [{\"kty\": \"RSA\", …}]}", err)
	}
	if len(set.Keys) > maxJWKSKeys {
		return fmt.Sprintf("%d keys; at most %d", len(set.Keys), maxJWKSKeys)
	}
	signing := false
	for i, k := range set.Keys {
		kty, _ := k["kty"].(string)
		use, _ := k["use"].(string)
		alg, _ := k["alg"].(string)
		switch {
		case kty == "":
			return fmt.Sprintf("keys[%d] has no \"kty\"", i)
		case k["d"] != nil || kty == "oct":
			return fmt.Sprintf("keys[%d] is a private or symmetric key: give the issuer's public keys only", i)
		}
		if (kty == "RSA" || kty == "EC") && (use == "" || use == "sig") && (alg == "" || alg == "RS256" || alg == "ES256") {
			signing = true
		}
	}
	if !signing {
		return "no RS256 or ES256 signing key (kty RSA or EC): the server verifies ID tokens with those only"
	}
	return ""
}

// maxThumbprints bounds the thumbprints of an issuer, as the server does.
const maxThumbprints = 10

func checkThumbprint(t string) string {
	h := strings.ReplaceAll(t, ":", "")
	if len(h) != 64 {
		return fmt.Sprintf("%q: want the 64 hex digits of a SHA-256 certificate fingerprint (colons allowed)", t)
	}
	if _, err := hex.DecodeString(h); err != nil {
		return fmt.Sprintf("%q: want hex digits only (0-9, a-f; colons allowed)", t)
	}
	return ""
}

// maxExpirationSeconds reads a maxExpiration input.
func maxExpirationSeconds(s string) (int64, string) {
	d, err := ParseDuration(s)
	switch {
	case err != nil:
		return 0, err.Error()
	case d < time.Minute:
		return 0, fmt.Sprintf("%q: at least 1m (omit it for the server's default, 25h)", s)
	case d > maxIssuerExpiration:
		return 0, fmt.Sprintf("%q: at most 168h (7 days); exchanged tokens are meant to be short-lived", s)
	case d%time.Second != 0:
		return 0, fmt.Sprintf("%q: whole seconds only", s)
	}
	return int64(d / time.Second), ""
}

// FormatSeconds spells a number of seconds as ParseDuration reads it: "25h", "90m", "3700s".
func FormatSeconds(s int64) string {
	switch {
	case s > 0 && s%3600 == 0:
		return fmt.Sprintf("%dh", s/3600)
	case s > 0 && s%60 == 0:
		return fmt.Sprintf("%dm", s/60)
	}
	return fmt.Sprintf("%ds", s)
}

// NormalizeThumbprints is a set of thumbprints in canonical form (the server's): lowercase,
// without colons, sorted, unique.
func NormalizeThumbprints(ts []string) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(t), ":", ""))
	}
	return SortedUnique(out)
}

// canonicalJSON is s re-encoded with sorted keys and no spacing; s itself when it does not parse.
func canonicalJSON(s string) string {
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(b)
}

// SameJSON reports whether two JSON texts mean the same (key order and spacing aside).
func SameJSON(a, b string) bool { return canonicalJSON(a) == canonicalJSON(b) }

// CheckOidcIssuerWithUnknowns is CheckOidcIssuer at preview/plan.
func CheckOidcIssuerWithUnknowns(a OidcIssuerArgs, u Unknowns) Problems {
	a.Name = u.name(FieldName, a.Name)
	if u.Has(Root(FieldURL)) {
		a.URL = "https://unknown.example"
	}
	if u.Has(Root(FieldJWKS)) {
		a.JWKS = ""
	}
	if u.Has(Root(FieldMaxExpiration)) {
		a.MaxExpiration = ""
	}
	a.Thumbprints = u.list(Root(FieldThumbprints), a.Thumbprints, strings.Repeat("0", 64))
	return u.Drop(CheckOidcIssuer(a))
}

func issuerState(orgOverride string, is *apitype.Issuer, prior OidcIssuerArgs) OidcIssuerState {
	st := OidcIssuerState{IssuerID: is.ID, Issuer: is.Issuer}
	st.Organization, st.Name, st.URL = orgOverride, is.Name, is.URL
	st.Thumbprints = NormalizeThumbprints(is.Thumbprints)
	st.MaxExpiration = FormatSeconds(is.MaxExpiration)
	if prior.MaxExpiration != "" {
		if s, msg := maxExpirationSeconds(prior.MaxExpiration); msg == "" && s == is.MaxExpiration {
			st.MaxExpiration = prior.MaxExpiration // the program's spelling
		}
	}
	if len(bytes.TrimSpace(is.JWKS)) > 0 && string(bytes.TrimSpace(is.JWKS)) != "null" {
		st.JWKS = string(is.JWKS)
		if prior.JWKS != "" && SameJSON(prior.JWKS, st.JWKS) {
			st.JWKS = prior.JWKS
		}
	}
	return st
}

// CreateOidcIssuer registers the issuer. Without a JWKS the server fetches its discovery
// document and keys over HTTPS first, so a wrong URL or thumbprint fails here.
func (p *Provider) CreateOidcIssuer(ctx context.Context, a OidcIssuerArgs) (OidcIssuerState, error) {
	if err := CheckOidcIssuer(a).Err(); err != nil {
		return OidcIssuerState{}, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return OidcIssuerState{}, err
	}
	req := apitype.RegisterIssuerRequest{Name: a.Name, URL: a.URL, Thumbprints: NormalizeThumbprints(a.Thumbprints)}
	if a.MaxExpiration != "" {
		req.MaxExpiration, _ = maxExpirationSeconds(a.MaxExpiration)
	}
	if a.JWKS != "" {
		req.JWKS = json.RawMessage(a.JWKS)
	}
	is, err := p.client.CreateOIDCIssuer(ctx, org, req)
	if client.IsConflict(err) {
		return OidcIssuerState{}, errorf(err, "register OIDC issuer %q: organization %s trusts an issuer of this %s or %s already; import it instead (ID {organization}/{issuerId})", a.Name, org, FieldURL, FieldName)
	}
	if err != nil {
		return OidcIssuerState{}, apiErr(fmt.Sprintf("register OIDC issuer %q (%s)", a.Name, a.URL), err)
	}
	return issuerState(a.Organization, is, a), nil
}

// ReadOidcIssuer reads the issuer back; found is false when it is gone. Prior inputs keep their
// spelling of values that mean the same (maxExpiration, JWKS key order).
func (p *Provider) ReadOidcIssuer(ctx context.Context, orgOverride, id string, prior OidcIssuerArgs) (st OidcIssuerState, found bool, err error) {
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return OidcIssuerState{}, false, err
	}
	is, err := p.client.GetOIDCIssuer(ctx, org, id)
	if client.IsRecordNotFound(err, issuerResource) {
		return OidcIssuerState{}, false, nil
	}
	if err != nil {
		return OidcIssuerState{}, false, apiErr("read OIDC issuer "+id, err)
	}
	return issuerState(orgOverride, is, prior), true, nil
}

// UpdateOidcIssuer changes the name and, when given and different, the thumbprints, the
// maxExpiration and the static JWKS, in one PATCH. Nothing is written when nothing differs.
func (p *Provider) UpdateOidcIssuer(ctx context.Context, old OidcIssuerState, a OidcIssuerArgs) (OidcIssuerState, error) {
	if err := CheckOidcIssuer(a).Err(); err != nil {
		return old, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return old, err
	}
	update, _ := OidcIssuerChanges(old, a)
	if len(update) == 0 { // the inputs' spelling of what the server has
		st := old
		if a.MaxExpiration != "" {
			st.MaxExpiration = a.MaxExpiration
		}
		if a.JWKS != "" {
			st.JWKS = a.JWKS
		}
		return st, nil
	}
	req := apitype.UpdateIssuerRequest{Name: a.Name}
	if slices.Contains(update, FieldThumbprints) {
		req.Thumbprints = NormalizeThumbprints(a.Thumbprints)
	}
	if slices.Contains(update, FieldMaxExpiration) {
		s, _ := maxExpirationSeconds(a.MaxExpiration)
		req.MaxExpiration = &s
	}
	if slices.Contains(update, FieldJWKS) {
		req.JWKS = json.RawMessage(a.JWKS)
	}
	is, err := p.client.UpdateOIDCIssuer(ctx, org, old.IssuerID, req)
	if err != nil {
		return old, apiErr(fmt.Sprintf("update OIDC issuer %q", old.Name), err)
	}
	return issuerState(a.Organization, is, a), nil
}

// DeleteOidcIssuer deletes the issuer and its policy: its ID tokens are exchanged no more. One
// already gone is fine.
func (p *Provider) DeleteOidcIssuer(ctx context.Context, st OidcIssuerState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	if err := p.client.DeleteOIDCIssuer(ctx, org, st.IssuerID); err != nil && !client.IsRecordNotFound(err, issuerResource) {
		return apiErr(fmt.Sprintf("delete OIDC issuer %q", st.Name), err)
	}
	return nil
}

// OidcIssuerChanges decides what a change of inputs means: a new organization or URL, or going
// between a static JWKS and discovery, replaces the issuer; name, a given JWKS, given
// thumbprints (a set) and a given maxExpiration are updated in place. Thumbprints and
// maxExpiration that are not given are the server's and never differ.
func OidcIssuerChanges(old OidcIssuerState, a OidcIssuerArgs) (update, replace []Field) {
	if old.Organization != a.Organization {
		replace = append(replace, FieldOrganization)
	}
	if old.URL != a.URL {
		replace = append(replace, FieldURL)
	}
	switch {
	case (old.JWKS == "") != (a.JWKS == ""):
		replace = append(replace, FieldJWKS)
	case a.JWKS != "" && !SameJSON(old.JWKS, a.JWKS):
		update = append(update, FieldJWKS)
	}
	if old.Name != a.Name {
		update = append(update, FieldName)
	}
	if a.Thumbprints != nil && !slices.Equal(NormalizeThumbprints(old.Thumbprints), NormalizeThumbprints(a.Thumbprints)) {
		update = append(update, FieldThumbprints)
	}
	if a.MaxExpiration != "" {
		want, msg := maxExpirationSeconds(a.MaxExpiration)
		have, msg2 := maxExpirationSeconds(old.MaxExpiration)
		if msg != "" || msg2 != "" || want != have {
			update = append(update, FieldMaxExpiration)
		}
	}
	return update, replace
}
