package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
)

// Bounds of an issuer registration.
const (
	maxIssuerName       = 50
	maxIssuerURL        = 1024
	maxThumbprints      = 10
	maxIssuers          = 100 // per org
	maxIssuerExpiration = 7 * 24 * 60 * 60
	minIssuerExpiration = 60
	issuerResource      = "oidcIssuer"
)

// thumbprintPattern is a SHA-256 fingerprint in hex, colons allowed between bytes.
var thumbprintPattern = regexp.MustCompile(`^[0-9a-fA-F]{2}(:?[0-9a-fA-F]{2}){31}$`)

// defaultPolicies is a new issuer's policy: one deny whose empty rules match every token, so
// nothing is exchanged until the policy is replaced.
var defaultPolicies = []apitype.AuthPolicyDefinition{{
	Decision: apitype.PolicyDecisionDeny, TokenType: apitype.PolicyTokenOrganization, Rules: map[string]string{},
}}

func issuerJSON(i store.Issuer) apitype.Issuer {
	out := apitype.Issuer{
		ID: i.ID, Name: i.Name, URL: i.URL, Issuer: i.Issuer, Thumbprints: i.Thumbprints, MaxExpiration: i.MaxExpiration,
		Created: i.Created.UTC().Format(timeFormat), Modified: i.Modified.UTC().Format(timeFormat),
	}
	if i.JWKS != nil {
		out.JWKS = json.RawMessage(i.JWKS)
	}
	if !i.LastUsed.IsZero() {
		out.LastUsed = i.LastUsed.UTC().Format(timeFormat)
	}
	return out
}

func validIssuerName(name string) error {
	switch {
	case name == "":
		return required(issuerResource, "name")
	case utf8.RuneCountInString(name) > maxIssuerName:
		return invalid(issuerResource, "name", "%q is %d characters; issuer names are at most %d", name, utf8.RuneCountInString(name), maxIssuerName)
	case strings.TrimSpace(name) != name:
		return invalid(issuerResource, "name", "leading or trailing spaces")
	}
	if p := textProblem(name, false); p != "" {
		return invalid(issuerResource, "name", "%s", p)
	}
	return nil
}

func validIssuerURL(raw string) error {
	if raw == "" {
		return required(issuerResource, "url")
	}
	u, err := url.Parse(raw)
	switch {
	case len(raw) > maxIssuerURL:
		return invalid(issuerResource, "url", "at most %d characters", maxIssuerURL)
	case err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return invalid(issuerResource, "url", "%q is not an https URL without user, query or fragment, e.g. https://token.actions.githubusercontent.com", raw)
	}
	return nil
}

// normThumbprints validates thumbprints and returns them lowercase, without colons.
func normThumbprints(tps []string) ([]string, error) {
	if len(tps) > maxThumbprints {
		return nil, invalid(issuerResource, "thumbprints", "%d thumbprints; at most %d", len(tps), maxThumbprints)
	}
	out := []string{}
	for i, tp := range tps {
		if !thumbprintPattern.MatchString(tp) {
			return nil, invalid(issuerResource, "thumbprints["+strconv.Itoa(i)+"]",
				"%q is not a SHA-256 certificate fingerprint (64 hex digits, e.g. from `openssl x509 -noout -fingerprint -sha256`)", truncate(tp, 100))
		}
		out = append(out, strings.ToLower(strings.ReplaceAll(tp, ":", "")))
	}
	return out, nil
}

func validMaxExpiration(v int64) error {
	if v < minIssuerExpiration || v > maxIssuerExpiration {
		return invalid(issuerResource, "maxExpiration", "%d is not between %d and %d seconds (default %d, 25 h)", v, minIssuerExpiration, maxIssuerExpiration, apitype.DefaultIssuerMaxExpiration)
	}
	return nil
}

// staticJWKS validates a registered key set and returns it compacted.
func staticJWKS(raw json.RawMessage) ([]byte, error) {
	if _, err := parseJWKS(raw); err != nil {
		return nil, invalid(issuerResource, "jwks", "%v; send an RFC 7517 set {\"keys\":[…]} of public RS256 or ES256 keys", err)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return nil, invalid(issuerResource, "jwks", "%v", err)
	}
	return buf.Bytes(), nil
}

// fetchError turns a failed discovery into a 400 that says what the server saw.
func fetchError(attribute string, err error) error {
	if !errors.Is(err, errIssuerFetch) {
		return err
	}
	if errors.Is(err, errInternalAddress) { // the message says what to do; pins would not help
		return invalid(issuerResource, attribute, "%v", err)
	}
	return invalid(issuerResource, attribute, "%v; check the URL, or pin the issuer's certificate with thumbprints, or register a static jwks", err)
}

func (s *Server) issuer(ctx context.Context, c *call, id string) (store.Issuer, error) {
	c.label = "oidc_issuer:" + truncate(id, 64)
	i, err := s.st.GetIssuer(ctx, s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Issuer{}, notFound(issuerResource, "no OIDC issuer with ID %q in %s", id, s.org.Name)
	}
	if err == nil {
		c.label = "oidc_issuer:" + i.Name
	}
	return i, err
}

func (s *Server) listIssuers(w http.ResponseWriter, r *http.Request, c *call) error {
	is, err := s.st.ListIssuers(r.Context(), s.org.Name)
	if err != nil {
		return err
	}
	resp := apitype.ListIssuersResponse{}
	for _, i := range is {
		resp.OIDCIssuers = append(resp.OIDCIssuers, issuerJSON(i))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) getIssuer(w http.ResponseWriter, r *http.Request, c *call) error {
	i, err := s.issuer(r.Context(), c, r.PathValue("issuerID"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, issuerJSON(i))
	return nil
}

func (s *Server) createIssuer(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.RegisterIssuerRequest
	return s.create(w, r, c, issuerResource, &req, func() (int, any, error) {
		c.label = "oidc_issuer:" + truncate(req.Name, 64)
		if err := validIssuerName(req.Name); err != nil {
			return 0, nil, err
		}
		if err := validIssuerURL(req.URL); err != nil {
			return 0, nil, err
		}
		tps, err := normThumbprints(req.Thumbprints)
		if err != nil {
			return 0, nil, err
		}
		if req.MaxExpiration == 0 {
			req.MaxExpiration = apitype.DefaultIssuerMaxExpiration
		}
		if err := validMaxExpiration(req.MaxExpiration); err != nil {
			return 0, nil, err
		}
		now := s.stamp()
		iss := store.Issuer{ID: newID(), Org: s.org.Name, Name: req.Name, URL: req.URL, Issuer: req.URL,
			Thumbprints: tps, MaxExpiration: req.MaxExpiration, Created: now, Modified: now}
		if len(req.JWKS) > 0 && string(req.JWKS) != "null" {
			if iss.JWKS, err = staticJWKS(req.JWKS); err != nil {
				return 0, nil, err
			}
		} else {
			ctx, cancel := context.WithTimeout(r.Context(), 2*oidcFetchTimeout)
			defer cancel()
			issuer, _, seen, err := s.fetch.discover(ctx, req.URL, tps)
			if err != nil {
				return 0, nil, fetchError("url", err)
			}
			iss.Issuer = issuer
			if len(tps) == 0 {
				iss.Thumbprints = seen // trust on first use, after the CA check
			}
		}
		existing, err := s.st.ListIssuers(r.Context(), s.org.Name)
		if err != nil {
			return 0, nil, err
		}
		if len(existing) >= maxIssuers {
			return 0, nil, refused(issuerResource, "name", "%s has %d OIDC issuers, the limit; delete one first", s.org.Name, len(existing))
		}
		for _, e := range existing {
			if e.Issuer == iss.Issuer {
				return 0, nil, conflict(issuerResource, "url", "issuer %q (%s) already trusts %s; change its policy instead of registering it twice", e.Name, e.ID, iss.Issuer)
			}
		}
		policies, _ := json.Marshal(defaultPolicies)
		pol := store.AuthPolicy{ID: newID(), Org: s.org.Name, IssuerID: iss.ID, Version: 1, Policies: policies, Created: now, Modified: now}
		if err := s.st.CreateIssuer(r.Context(), iss, pol); errors.Is(err, store.ErrConflict) {
			return 0, nil, conflict(issuerResource, "name", "an OIDC issuer named %q exists already in %s", req.Name, s.org.Name)
		} else if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, issuerJSON(iss), nil
	})
}

func (s *Server) updateIssuer(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.UpdateIssuerRequest
	if _, err := decodeBody(r, issuerResource, &req); err != nil {
		return err
	}
	iss, err := s.issuer(r.Context(), c, r.PathValue("issuerID"))
	if err != nil {
		return err
	}
	if err := validIssuerName(req.Name); err != nil {
		return err
	}
	iss.Name = req.Name
	if req.Thumbprints != nil {
		if iss.Thumbprints, err = normThumbprints(req.Thumbprints); err != nil {
			return err
		}
	}
	if req.MaxExpiration != nil {
		if err := validMaxExpiration(*req.MaxExpiration); err != nil {
			return err
		}
		iss.MaxExpiration = *req.MaxExpiration
	}
	if len(req.JWKS) > 0 && string(req.JWKS) != "null" {
		if iss.JWKS == nil {
			return invalid(issuerResource, "jwks", "issuer %q fetches its keys from %s; it cannot switch to a static jwks (register a new issuer for that)", iss.Name, iss.URL)
		}
		if iss.JWKS, err = staticJWKS(req.JWKS); err != nil {
			return err
		}
	}
	iss.Modified = s.stamp()
	if err := s.st.UpdateIssuer(r.Context(), iss); errors.Is(err, store.ErrConflict) {
		return conflict(issuerResource, "name", "an OIDC issuer named %q exists already in %s", req.Name, s.org.Name)
	} else if errors.Is(err, store.ErrNotFound) {
		return notFound(issuerResource, "no OIDC issuer with ID %q in %s", iss.ID, s.org.Name)
	} else if err != nil {
		return err
	}
	s.keys.forget(iss.ID)
	writeJSON(w, http.StatusOK, issuerJSON(iss))
	return nil
}

func (s *Server) deleteIssuer(w http.ResponseWriter, r *http.Request, c *call) error {
	iss, err := s.issuer(r.Context(), c, r.PathValue("issuerID"))
	if err != nil {
		return err
	}
	if err := s.st.DeleteIssuer(r.Context(), s.org.Name, iss.ID); errors.Is(err, store.ErrNotFound) {
		return notFound(issuerResource, "no OIDC issuer with ID %q in %s", iss.ID, s.org.Name)
	} else if err != nil {
		return err
	}
	s.keys.forget(iss.ID)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// regenerateThumbprints fetches the issuer's discovery document and JWKS again, verifying the
// certificate chain (Config.OIDCRootCAs or the system roots), and pins what it sees now.
func (s *Server) regenerateThumbprints(w http.ResponseWriter, r *http.Request, c *call) error {
	iss, err := s.issuer(r.Context(), c, r.PathValue("issuerID"))
	if err != nil {
		return err
	}
	if iss.JWKS != nil {
		return invalid(issuerResource, "jwks", "issuer %q has a static jwks and fetches nothing, so it has no certificate to pin", iss.Name)
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*oidcFetchTimeout)
	defer cancel()
	issuer, _, seen, err := s.fetch.discover(ctx, iss.URL, nil)
	if err != nil {
		return fetchError("url", err)
	}
	iss.Issuer, iss.Thumbprints, iss.Modified = issuer, seen, s.stamp()
	if err := s.st.UpdateIssuer(r.Context(), iss); errors.Is(err, store.ErrNotFound) {
		return notFound(issuerResource, "no OIDC issuer with ID %q in %s", iss.ID, s.org.Name)
	} else if err != nil {
		return err
	}
	s.keys.forget(iss.ID)
	writeJSON(w, http.StatusOK, issuerJSON(iss))
	return nil
}

// touchIssuer records an exchange's time, at most once a minute per issuer.
func (s *Server) touchIssuer(ctx context.Context, iss store.Issuer) {
	now := s.stamp()
	if now.Sub(iss.LastUsed) < time.Minute {
		return
	}
	if err := s.st.TouchIssuer(context.WithoutCancel(ctx), s.org.Name, iss.ID, now); err != nil {
		s.log.Warn("recording an issuer's last use failed", "issuer", iss.ID, "err", err)
	}
}
