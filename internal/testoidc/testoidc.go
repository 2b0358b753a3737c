// Package testoidc is an OIDC identity provider for tests: it mints ID tokens like GitHub
// Actions' (RS256 or ES256, with kid), and serves them either as a static JWKS (no network) or
// from an HTTPS discovery endpoint with a self-signed certificate, whose SHA-256 thumbprint the
// server pins. It also mints the tokens an attacker would: alg none, HMAC signed with the public
// key, a signature by a foreign key, an unknown kid.
package testoidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"maps"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// key is one signing key of the issuer.
type key struct {
	kid  string
	alg  jose.SignatureAlgorithm
	priv crypto.Signer
}

// Issuer is a test identity provider.
type Issuer struct {
	// URL is the issuer identifier, the `iss` of its tokens (the HTTPS server's URL for a
	// discovery issuer).
	URL string
	// Thumbprint is the lowercase hex SHA-256 of the HTTPS server's certificate ("" for Static).
	Thumbprint string
	// CertPool trusts the HTTPS server's certificate (nil for Static).
	CertPool *x509.CertPool

	mu        sync.Mutex
	keys      []key // keys[0] signs by default
	jwksHits  int
	discovery int
}

// Static returns an issuer that serves nothing: register it with its JWKS.
func Static(t testing.TB, url string) *Issuer {
	t.Helper()
	i := &Issuer{URL: url}
	i.AddKey(t, jose.RS256)
	i.AddKey(t, jose.ES256)
	return i
}

// Discovery starts an HTTPS issuer with a self-signed certificate that serves
// /.well-known/openid-configuration and /jwks until the test ends.
func Discovery(t testing.TB) *Issuer {
	t.Helper()
	i := &Issuer{}
	i.AddKey(t, jose.RS256)
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, _ *http.Request) {
		i.mu.Lock()
		i.discovery++
		i.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{
			"issuer": i.URL, "jwks_uri": i.URL + "/jwks", "response_types_supported": []string{"id_token"},
			"subject_types_supported": []string{"public"}, "id_token_signing_alg_values_supported": []string{"RS256", "ES256"},
		})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, _ *http.Request) {
		i.mu.Lock()
		i.jwksHits++
		i.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(i.JWKS())
	})
	hs := httptest.NewUnstartedServer(mux)
	hs.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes refused by a wrong pin are expected
	hs.StartTLS()
	t.Cleanup(hs.Close)
	cert := hs.Certificate()
	sum := sha256.Sum256(cert.Raw)
	i.URL, i.Thumbprint = hs.URL, hex.EncodeToString(sum[:])
	i.CertPool = x509.NewCertPool()
	i.CertPool.AddCert(cert)
	return i
}

// AddKey adds a signing key (RS256 or ES256) and makes it the default; the JWKS serves it from
// now on (key rotation). It returns its kid.
func (i *Issuer) AddKey(t testing.TB, alg jose.SignatureAlgorithm) string {
	t.Helper()
	k := newKey(t, alg)
	i.mu.Lock()
	defer i.mu.Unlock()
	i.keys = append([]key{k}, i.keys...)
	return k.kid
}

func newKey(t testing.TB, alg jose.SignatureAlgorithm) key {
	var priv crypto.Signer
	var err error
	switch alg {
	case jose.RS256:
		priv, err = rsa.GenerateKey(rand.Reader, 2048)
	case jose.ES256:
		priv, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	default:
		t.Fatalf("testoidc: unsupported key algorithm %s", alg)
	}
	if err != nil {
		t.Fatal(err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	return key{kid: string(alg) + "-" + hex.EncodeToString(b[:]), alg: alg, priv: priv}
}

// JWKS is the issuer's public key set, as an RFC 7517 {"keys":[…]} document.
func (i *Issuer) JWKS() json.RawMessage {
	i.mu.Lock()
	defer i.mu.Unlock()
	set := jose.JSONWebKeySet{}
	for _, k := range i.keys {
		set.Keys = append(set.Keys, jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid, Algorithm: string(k.alg), Use: "sig"})
	}
	b, err := json.Marshal(set)
	if err != nil {
		panic(err)
	}
	return b
}

// Fetches reports how often the discovery document and the JWKS were served.
func (i *Issuer) Fetches() (discovery, jwks int) {
	i.mu.Lock()
	defer i.mu.Unlock()
	return i.discovery, i.jwksHits
}

// GitHubClaims are the claims of a GitHub Actions ID token for a push to ref of repo
// ("acme/payments"), with aud urn:pulumi:org:{org}, issued now and valid for 5 minutes.
func (i *Issuer) GitHubClaims(org, repo, ref string) map[string]any {
	now := time.Now()
	var jti [8]byte
	_, _ = rand.Read(jti[:])
	owner := repo
	for j := range repo {
		if repo[j] == '/' {
			owner = repo[:j]
			break
		}
	}
	return map[string]any{
		"iss": i.URL, "aud": "urn:pulumi:org:" + org, "sub": "repo:" + repo + ":ref:" + ref,
		"repository": repo, "repository_owner": owner, "ref": ref, "ref_type": "branch",
		"workflow": "deploy", "event_name": "push", "run_id": "1234567890", "run_attempt": "1",
		"job_workflow_ref": repo + "/.github/workflows/deploy.yml@" + ref,
		"iat":              now.Unix(), "nbf": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"jti": hex.EncodeToString(jti[:]),
	}
}

// With returns a copy of claims with the given changes; a nil value deletes the claim.
func With(claims map[string]any, changes map[string]any) map[string]any {
	out := maps.Clone(claims)
	for k, v := range changes {
		if v == nil {
			delete(out, k)
		} else {
			out[k] = v
		}
	}
	return out
}

// Mint signs claims with the default key.
func (i *Issuer) Mint(t testing.TB, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	return sign(t, k, k.kid, claims)
}

// MintWithKid signs claims with the default key but names another kid in the header.
func (i *Issuer) MintWithKid(t testing.TB, kid string, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	return sign(t, k, kid, claims)
}

// MintForeign signs claims with a key the issuer does not publish, under the default key's kid:
// a bad signature.
func (i *Issuer) MintForeign(t testing.TB, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	return sign(t, newKey(t, k.alg), k.kid, claims)
}

// MintNone is an unsigned token, alg "none".
func (i *Issuer) MintNone(t testing.TB, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	kid := i.keys[0].kid
	i.mu.Unlock()
	return compact(t, map[string]any{"alg": "none", "typ": "JWT", "kid": kid}, claims, nil)
}

// MintHMAC is the algorithm-confusion attack: HS256 with the default key's public key (its
// JWK JSON, which anyone can read) as the HMAC secret.
func (i *Issuer) MintHMAC(t testing.TB, claims map[string]any) string {
	t.Helper()
	i.mu.Lock()
	k := i.keys[0]
	i.mu.Unlock()
	secret, err := json.Marshal(jose.JSONWebKey{Key: k.priv.Public(), KeyID: k.kid})
	if err != nil {
		t.Fatal(err)
	}
	return compact(t, map[string]any{"alg": "HS256", "typ": "JWT", "kid": k.kid}, claims, func(input []byte) []byte {
		m := hmac.New(sha256.New, secret)
		m.Write(input)
		return m.Sum(nil)
	})
}

func sign(t testing.TB, k key, kid string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", kid)
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: k.alg, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jwt.Signed(signer).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func compact(t testing.TB, header, claims map[string]any, mac func([]byte) []byte) string {
	t.Helper()
	enc := base64.RawURLEncoding
	h, err := json.Marshal(header)
	if err != nil {
		t.Fatal(err)
	}
	p, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	input := enc.EncodeToString(h) + "." + enc.EncodeToString(p)
	sig := ""
	if mac != nil {
		sig = enc.EncodeToString(mac([]byte(input)))
	}
	return fmt.Sprintf("%s.%s", input, sig)
}
