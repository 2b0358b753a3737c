package server

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/iamref/iam/server/store"
)

// Bounds of the requests the server makes to an issuer.
const (
	oidcFetchTimeout  = 10 * time.Second // one discovery or JWKS request, connect to last byte
	maxDiscoveryBytes = 64 << 10
	maxJWKSBytes      = 256 << 10
	maxJWKSKeys       = 100
	// keysTTL is how long fetched keys are used before they are fetched again; an unknown kid
	// fetches them earlier, at most once per keysRefreshEvery per issuer.
	keysTTL          = time.Hour
	keysRefreshEvery = time.Minute
)

// errIssuerFetch is a failure to reach or read an issuer's discovery document or JWKS.
var errIssuerFetch = errors.New("issuer fetch failed")

// discovery is what the server reads of an OpenID Provider's configuration document.
type discovery struct {
	Issuer  string `json:"issuer"`
	JWKSURI string `json:"jwks_uri"`
}

// fetcher fetches issuer documents over HTTPS. With pinned thumbprints the TLS leaf
// certificate must match one of them (the pin replaces CA trust, so a self-signed issuer
// works); without, the chain is verified against roots (nil: the system's) and the leaves seen
// are reported so that they can be pinned.
//
// Unless allowPrivate, every connection is checked when it is dialled, against the address the
// host name resolved to (so DNS rebinding cannot slip past a check made earlier): loopback,
// private, link-local (cloud metadata at 169.254.169.254 included), unspecified and multicast
// addresses are refused, so that whoever may register an issuer cannot make the server reach
// its internal network. What the caller is told names no address; the details go to the log.
type fetcher struct {
	roots        *x509.CertPool
	allowPrivate bool
	log          *slog.Logger
	dialer       net.Dialer
}

func newFetcher(roots *x509.CertPool, allowPrivate bool, log *slog.Logger) *fetcher {
	f := &fetcher{roots: roots, allowPrivate: allowPrivate, log: log}
	f.dialer.Control = f.checkDial
	return f
}

// errInternalAddress is a connection refused because of its destination.
var errInternalAddress = errors.New("internal address")

// checkDial runs after name resolution, before each connection.
func (f *fetcher) checkDial(_, address string, _ syscall.RawConn) error {
	if f.allowPrivate {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return errInternalAddress
	}
	ip, err := netip.ParseAddr(host)
	if err != nil || internalAddr(ip) {
		return errInternalAddress
	}
	return nil
}

// internalPrefixes are ranges beyond the netip predicates that do not reach the public
// internet: "this network", carrier-grade NAT, benchmarking, IPv4 broadcast, and IPv6 ranges
// that embed an IPv4 address (NAT64, 6to4, Teredo) or are reserved for documentation.
var internalPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("64:ff9b::/96"),
	netip.MustParsePrefix("64:ff9b:1::/48"),
	netip.MustParsePrefix("2002::/16"),
	netip.MustParsePrefix("2001::/32"),
	netip.MustParsePrefix("2001:db8::/32"),
}

// internalAddr reports whether ip is loopback, private (RFC 1918, fc00::/7), link-local
// (169.254/16, fe80::/10), unspecified, multicast or one of internalPrefixes.
func internalAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return true
	}
	for _, p := range internalPrefixes {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// pinError is a certificate whose thumbprint is not pinned (its thumbprint is public).
type pinError struct{ seen string }

func (e *pinError) Error() string {
	return fmt.Sprintf("the certificate's SHA-256 thumbprint %s is not one of the issuer's thumbprints", e.seen)
}

// failure is what a caller is told about a failed request: the kind of failure, never the
// addresses, ports or system errors involved (those go to the log).
func (f *fetcher) failure(u *url.URL, err error) error {
	f.log.Warn("OIDC issuer fetch failed", "url", u.Redacted(), "err", err)
	var pin *pinError
	var dns *net.DNSError
	var ne net.Error
	var what string
	switch {
	case errors.Is(err, errInternalAddress):
		what = "the host resolves to a loopback, private, link-local or other internal address, which this server does not fetch from; use the issuer's public https URL (or register a static jwks; an operator can allow internal issuers with --oidc-allow-private-issuers)"
	case errors.As(err, &pin):
		what = pin.Error()
	case errors.As(err, &dns):
		what = "the host name does not resolve; check the URL"
	case errors.As(err, new(*tls.CertificateVerificationError)), errors.As(err, new(x509.UnknownAuthorityError)), errors.As(err, new(x509.HostnameError)):
		what = "the TLS certificate is not trusted for this host; pin it with thumbprints"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		what = fmt.Sprintf("no complete answer within %s", oidcFetchTimeout)
	default:
		what = "the connection or TLS handshake failed"
	}
	return &fetchFailure{msg: fmt.Sprintf("%v: GET %s: %s", errIssuerFetch, u.Redacted(), what), internal: errors.Is(err, errInternalAddress)}
}

// fetchFailure is a failed request as the caller sees it; it is errIssuerFetch, and
// errInternalAddress when its destination was refused.
type fetchFailure struct {
	msg      string
	internal bool
}

func (e *fetchFailure) Error() string { return e.msg }

func (e *fetchFailure) Is(target error) bool {
	return target == errIssuerFetch || e.internal && target == errInternalAddress
}

// thumbprint is the lowercase hex SHA-256 of a certificate's DER encoding.
func thumbprint(der []byte) string {
	h := sha256.Sum256(der)
	return hex.EncodeToString(h[:])
}

// get fetches an https URL, at most limit bytes, pinning the leaf certificate to pins when
// there are any. It returns the body and the leaf's thumbprint.
func (f *fetcher) get(ctx context.Context, rawURL string, pins []string, limit int64) ([]byte, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "https" || u.Host == "" {
		return nil, "", fmt.Errorf("%w: %q is not an https URL", errIssuerFetch, rawURL)
	}
	var seen string
	cfg := &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: f.roots}
	if len(pins) > 0 {
		cfg.InsecureSkipVerify = true // replaced by the pin check below, which is stricter
	}
	cfg.VerifyConnection = func(cs tls.ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("no certificate")
		}
		seen = thumbprint(cs.PeerCertificates[0].Raw)
		if len(pins) > 0 && !slices.Contains(pins, seen) {
			return &pinError{seen: seen}
		}
		return nil
	}
	tr := &http.Transport{
		TLSClientConfig: cfg, DialContext: f.dialer.DialContext, Proxy: nil,
		TLSHandshakeTimeout: oidcFetchTimeout, ResponseHeaderTimeout: oidcFetchTimeout, DisableKeepAlives: true,
		MaxResponseHeaderBytes: 16 << 10,
	}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: oidcFetchTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return errors.New("redirects are not followed") }}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, "", fmt.Errorf("%w: %v", errIssuerFetch, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return nil, seen, f.failure(u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, seen, fmt.Errorf("%w: GET %s: status %d", errIssuerFetch, u.Redacted(), resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, seen, f.failure(u, err)
	}
	if int64(len(body)) > limit {
		return nil, seen, fmt.Errorf("%w: GET %s: the answer is larger than %d bytes", errIssuerFetch, u.Redacted(), limit)
	}
	return body, seen, nil
}

// discover fetches issuerURL's discovery document and the JWKS it names. It returns the
// document's issuer, the key set, and the thumbprints of the certificates seen (discovery
// and JWKS hosts), sorted and without duplicates.
func (f *fetcher) discover(ctx context.Context, issuerURL string, pins []string) (string, *jose.JSONWebKeySet, []string, error) {
	body, tp1, err := f.get(ctx, strings.TrimRight(issuerURL, "/")+"/.well-known/openid-configuration", pins, maxDiscoveryBytes)
	if err != nil {
		return "", nil, nil, err
	}
	var d discovery
	if err := json.Unmarshal(body, &d); err != nil {
		return "", nil, nil, fmt.Errorf("%w: the discovery document is not a JSON object", errIssuerFetch)
	}
	if strings.TrimRight(d.Issuer, "/") != strings.TrimRight(issuerURL, "/") {
		return "", nil, nil, fmt.Errorf("%w: the discovery document names the issuer %q, not %q", errIssuerFetch, d.Issuer, issuerURL)
	}
	body, tp2, err := f.get(ctx, d.JWKSURI, pins, maxJWKSBytes)
	if err != nil {
		return "", nil, nil, err
	}
	keys, err := parseJWKS(body)
	if err != nil {
		return "", nil, nil, fmt.Errorf("%w: jwks_uri %s: %v", errIssuerFetch, d.JWKSURI, err)
	}
	tps := []string{tp1, tp2}
	slices.Sort(tps)
	return d.Issuer, keys, slices.Compact(tps), nil
}

// parseJWKS reads an RFC 7517 key set and keeps the public signing keys of the algorithms the
// exchange accepts (RSA and EC P-256); it fails on a set with none, on private keys and on
// more than maxJWKSKeys keys.
func parseJWKS(b []byte) (*jose.JSONWebKeySet, error) {
	var raw struct {
		Keys []json.RawMessage `json:"keys"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("not a JSON Web Key Set: %v", err)
	}
	if len(raw.Keys) > maxJWKSKeys {
		return nil, fmt.Errorf("%d keys; at most %d", len(raw.Keys), maxJWKSKeys)
	}
	set := &jose.JSONWebKeySet{}
	for i, k := range raw.Keys {
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON(k); err != nil {
			return nil, fmt.Errorf("keys[%d]: %v", i, err)
		}
		if !key.IsPublic() {
			return nil, fmt.Errorf("keys[%d] is a private key; register the public key only", i)
		}
		if key.Use != "" && key.Use != "sig" {
			continue
		}
		switch key.Algorithm {
		case "", string(jose.RS256), string(jose.ES256):
		default:
			continue // a key for an algorithm the exchange refuses can verify nothing here
		}
		set.Keys = append(set.Keys, key)
	}
	if len(set.Keys) == 0 {
		return nil, errors.New("no RS256 or ES256 signing key")
	}
	return set, nil
}

// keyCache keeps each issuer's verification keys: a static JWKS as registered, fetched keys
// for keysTTL. An unknown kid fetches again, at most once per keysRefreshEvery per issuer, so a
// stream of tokens with made-up kids cannot make the server hammer the issuer.
type keyCache struct {
	f   *fetcher
	now func() time.Time

	mu      sync.Mutex
	entries map[string]*keyEntry // by issuer ID
}

type keyEntry struct {
	modified time.Time // the issuer's Modified when fetched: an update starts over
	keys     *jose.JSONWebKeySet
	fetched  time.Time
	tried    time.Time // last fetch attempt
	kidFetch time.Time // last fetch caused by an unknown kid
	mu       sync.Mutex
}

func newKeyCache(f *fetcher, now func() time.Time) *keyCache {
	return &keyCache{f: f, now: now, entries: map[string]*keyEntry{}}
}

func (c *keyCache) forget(issuerID string) {
	c.mu.Lock()
	delete(c.entries, issuerID)
	c.mu.Unlock()
}

// key returns the issuer's key with that kid ("" = the only key), fetching the keys when they
// are missing, stale, or (rate-limited) when the kid is unknown. The error says why, for the
// audit log.
func (c *keyCache) key(ctx context.Context, iss store.Issuer, kid string) (*jose.JSONWebKey, error) {
	if iss.JWKS != nil {
		set, err := parseJWKS(iss.JWKS)
		if err != nil {
			return nil, fmt.Errorf("the issuer's static JWKS: %v", err)
		}
		return pick(set, kid)
	}
	c.mu.Lock()
	e := c.entries[iss.ID]
	if e == nil || !e.modified.Equal(iss.Modified) {
		e = &keyEntry{modified: iss.Modified}
		c.entries[iss.ID] = e
	}
	c.mu.Unlock()

	e.mu.Lock()
	defer e.mu.Unlock()
	now := c.now()
	if e.keys != nil && now.Sub(e.fetched) < keysTTL {
		k, err := pick(e.keys, kid)
		if err == nil || now.Sub(e.kidFetch) < keysRefreshEvery {
			return k, err
		}
		e.kidFetch = now
	} else if e.keys == nil && !e.tried.IsZero() && now.Sub(e.tried) < keysRefreshEvery {
		return nil, errors.New("the issuer's keys could not be fetched recently; not retrying yet")
	}
	e.tried = now
	_, set, _, err := c.f.discover(ctx, iss.URL, iss.Thumbprints)
	if err != nil {
		if e.keys != nil {
			if k, perr := pick(e.keys, kid); perr == nil {
				return k, nil // stale keys that still hold the kid beat no answer
			}
		}
		return nil, err
	}
	e.keys, e.fetched = set, now
	return pick(set, kid)
}

func pick(set *jose.JSONWebKeySet, kid string) (*jose.JSONWebKey, error) {
	if kid == "" {
		if len(set.Keys) == 1 {
			return &set.Keys[0], nil
		}
		return nil, fmt.Errorf("the token has no kid and the issuer has %d keys", len(set.Keys))
	}
	for i := range set.Keys {
		if set.Keys[i].KeyID == kid {
			return &set.Keys[i], nil
		}
	}
	return nil, fmt.Errorf("no key with kid %q", kid)
}
