package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
)

// Bounds and tolerances of the token exchange.
const (
	maxExchangeBody = 64 << 10
	maxSubjectToken = 16 << 10
	clockSkew       = 30 * time.Second
	// exchangedRetention is how long an exchanged token stays listed (filter=expired) after it
	// expired; then housekeeping deletes it, so that CI runs do not fill the token quota.
	exchangedRetention = 24 * time.Hour
	exchangeAction     = "oauth:token_exchange"
	refusedGrantText   = "the subject token was not accepted for this request; the organization's audit log records why"
)

// acceptedAlgorithms are the only JWS algorithms an ID token may be signed with: `none` and
// the HMAC algorithms (which a public key would "verify") are refused when the token is parsed.
var acceptedAlgorithms = []jose.SignatureAlgorithm{jose.RS256, jose.ES256}

// oauthError is a refused exchange: the RFC 6749 §5.2 body the caller gets, and the reason the
// audit log records (which the caller never sees when it is about the token or the policy).
type oauthError struct {
	status int
	code   string
	desc   string
	reason string
}

func (e *oauthError) Error() string { return e.code + ": " + e.desc }

func badRequest(code, format string, args ...any) *oauthError {
	msg := fmt.Sprintf(format, args...)
	return &oauthError{status: http.StatusBadRequest, code: code, desc: msg, reason: msg}
}

// refusedGrant is the one answer for every problem with the subject token or the policy, so
// that the caller cannot probe which check failed; reason goes to the audit log.
func refusedGrant(format string, args ...any) *oauthError {
	return &oauthError{status: http.StatusBadRequest, code: apitype.OAuthInvalidGrant, desc: refusedGrantText, reason: fmt.Sprintf(format, args...)}
}

// exchangeAudit is what the audit record of one exchange says beyond the request.
type exchangeAudit struct {
	issuer  string // issuer name, or the token's unverified iss when no issuer matched
	sub     string
	policy  string // "policy N (allow|deny)" or "no policy"
	request string // e.g. "organization token", "team token for ops"
}

func (a *exchangeAudit) text(why string) string {
	parts := []string{}
	if a.issuer != "" {
		parts = append(parts, "issuer "+strconv.Quote(a.issuer))
	}
	if a.sub != "" {
		parts = append(parts, "sub "+strconv.Quote(truncate(a.sub, 200)))
	}
	if a.request != "" {
		parts = append(parts, "requested "+a.request)
	}
	if a.policy != "" {
		parts = append(parts, a.policy)
	}
	parts = append(parts, why)
	return strings.Join(parts, "; ")
}

func (s *Server) exchangeEvent(r *http.Request, a *exchangeAudit, decision, reason string, status int) store.AuditEvent {
	actor := "oidc"
	if a.issuer != "" {
		actor = "oidc:" + a.issuer
	}
	entity := ""
	if a.sub != "" {
		entity = "oidc_subject:" + a.sub
	}
	return limitEvent(store.AuditEvent{
		Org: s.org.Name, Time: s.now().UTC(), Actor: truncate(actor, 200), Method: r.Method, Path: r.URL.Path,
		Action: exchangeAction, Entity: entity, Decision: decision, Reason: a.text(reason), Status: status, SourceIP: sourceIP(r),
	})
}

func writeOAuth(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, status, v)
}

// exchangeToken serves POST /api/oauth/token: an RFC 8693 token exchange of an OIDC ID token
// for an access token, as the matching policy of the token's issuer allows. It is public: the
// ID token is the credential.
func (s *Server) exchangeToken(w http.ResponseWriter, r *http.Request, c *call) error {
	a := &exchangeAudit{}
	resp, err := s.exchange(r, a)
	if err != nil {
		var oe *oauthError
		if !errors.As(err, &oe) {
			s.log.Error("token exchange failed", "err", err)
			oe = &oauthError{status: http.StatusInternalServerError, code: "server_error", desc: "the exchange failed on the server; retry later", reason: err.Error()}
		}
		writeOAuth(w, oe.status, apitype.OAuthErrorResponse{Error: oe.code, ErrorDescription: oe.desc})
		s.denials.add(s.exchangeEvent(r, a, apitype.DecisionDeny, oe.reason, oe.status))
		return nil
	}
	writeOAuth(w, http.StatusOK, resp)
	return nil
}

// exchange runs the checks in order: the request's shape, the subject token (issuer,
// signature, claims), the policy, replay, and what the policy hands out; then it mints the
// token, with its audit record in the same transaction.
func (s *Server) exchange(r *http.Request, a *exchangeAudit) (*apitype.TokenExchangeResponse, error) {
	req, err := readExchangeRequest(r)
	if err != nil {
		return nil, err
	}
	if req.GrantType != apitype.GrantTypeTokenExchange {
		if req.GrantType == "" {
			return nil, badRequest(apitype.OAuthInvalidRequest, "grant_type is required: %s", apitype.GrantTypeTokenExchange)
		}
		return nil, badRequest(apitype.OAuthUnsupportedGrantType, "grant_type %q is not supported; use %s", truncate(req.GrantType, 100), apitype.GrantTypeTokenExchange)
	}
	org, ok := apitype.AudienceOrg(req.Audience)
	if !ok {
		return nil, badRequest(apitype.OAuthInvalidRequest, "audience %q is not urn:pulumi:org:<organization>", truncate(req.Audience, 100))
	}
	if org != s.org.Name {
		return nil, badRequest(apitype.OAuthInvalidTarget, "audience names organization %q, which this server does not serve", truncate(org, 64))
	}
	switch req.SubjectTokenType {
	case apitype.SubjectTokenTypeIDToken:
	case "":
		return nil, badRequest(apitype.OAuthInvalidRequest, "subject_token_type is required: %s", apitype.SubjectTokenTypeIDToken)
	default:
		return nil, badRequest(apitype.OAuthInvalidRequest, "subject_token_type %q is not supported; use %s", truncate(req.SubjectTokenType, 100), apitype.SubjectTokenTypeIDToken)
	}
	if req.SubjectToken == "" {
		return nil, badRequest(apitype.OAuthInvalidRequest, "subject_token is required: the ID token your CI platform issued")
	}
	want, err := parseRequested(req.RequestedTokenType, req.Scope)
	if err != nil {
		return nil, err
	}
	a.request = want.tokenType + " token"
	if want.target != "" {
		a.request += " for " + strconv.Quote(truncate(want.target, 64))
	}
	if want.admin {
		a.request += " (admin)"
	}
	lifetime := req.Expiration
	switch {
	case lifetime < 0:
		return nil, badRequest(apitype.OAuthInvalidRequest, "expiration %d is negative; give seconds, or leave it out for %d", lifetime, apitype.DefaultExchangeExpiration)
	case lifetime == 0:
		lifetime = apitype.DefaultExchangeExpiration
	}

	iss, claims, std, err := s.verifyIDToken(r.Context(), req.SubjectToken, req.Audience, a)
	if err != nil {
		return nil, err
	}
	lifetime = min(lifetime, iss.MaxExpiration)

	p, err := s.st.GetIssuerPolicy(r.Context(), s.org.Name, iss.ID)
	if errors.Is(err, store.ErrNotFound) {
		return nil, refusedGrant("the issuer has no policy")
	}
	if err != nil {
		return nil, err
	}
	var defs []apitype.AuthPolicyDefinition
	if err := json.Unmarshal(p.Policies, &defs); err != nil {
		return nil, refusedGrant("the issuer's stored policy is unreadable: %v", err)
	}
	v := s.decide(defs, claims, want)
	if v.index >= 0 {
		a.policy = fmt.Sprintf("policy %s#%d (%s)", p.ID, v.index, v.def.Decision)
	} else {
		a.policy = "policy " + p.ID + ": none matched"
	}
	if !v.allowed {
		return nil, refusedGrant("%s", v.why)
	}

	tok := store.Token{ID: newID(), Org: s.org.Name, IssuerID: iss.ID, Expires: s.now().Add(time.Duration(lifetime) * time.Second).Unix(),
		Created: s.stamp(), CreatedBy: truncate("oidc:"+iss.Name, 100),
		Description: truncate(fmt.Sprintf("OIDC exchange: issuer %q, sub %q", iss.Name, std.Subject), maxTokenDescription)}
	if err := s.exchangeTarget(r.Context(), v.def, want, &tok); err != nil {
		return nil, err
	}

	if std.ID != "" {
		fresh, err := s.st.UseTokenID(r.Context(), s.org.Name, iss.ID, std.ID, std.Expiry.Time().Add(clockSkew), s.now())
		if err != nil {
			return nil, err
		}
		if !fresh {
			return nil, refusedGrant("the ID token (jti %q) was exchanged before; each ID token is exchanged once", truncate(std.ID, 100))
		}
	}

	audit := store.NewMutationAudit(func() store.AuditEvent {
		ev := s.exchangeEvent(r, a, apitype.DecisionAllow, fmt.Sprintf("issued token %s, expires %d", tok.ID, tok.Expires), http.StatusOK)
		ev.TokenID, ev.TokenName = tok.ID, tok.Name
		return ev
	})
	_, out, err := s.mintToken(store.WithAudit(r.Context(), audit), tok)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) { // the quota, most likely: the operator must see it
			return nil, &oauthError{status: http.StatusBadRequest, code: apitype.OAuthInvalidRequest, desc: "the organization cannot take another token now; ask its administrator", reason: ae.msg}
		}
		return nil, err
	}
	s.touchIssuer(r.Context(), iss)
	created := out.(apitype.CreateTokenResponse)
	return &apitype.TokenExchangeResponse{
		AccessToken: created.TokenValue, IssuedTokenType: apitype.RequestedTokenType(want.tokenType),
		TokenType: "token", ExpiresIn: lifetime, Scope: req.Scope,
	}, nil
}

// exchangeTarget fills in what the token acts as, as the allowing policy says; a role, team or
// user that is gone (or a role that no longer compiles) refuses the exchange.
func (s *Server) exchangeTarget(ctx context.Context, d apitype.AuthPolicyDefinition, want exchangeRequest, tok *store.Token) error {
	name, err := newTokenValue() // 160 random bits; the name needs fewer
	if err != nil {
		return err
	}
	switch want.tokenType {
	case apitype.PolicyTokenOrganization:
		tok.Name = "oidc-" + name[4:20]
		roleID, err := s.policyRole(ctx, d)
		if err != nil {
			return err
		}
		cr, err := s.indexes.compile(ctx, roleID)
		if errors.Is(err, store.ErrNotFound) {
			return refusedGrant("the policy's role %s no longer exists", roleID)
		}
		if err != nil {
			return err
		}
		if cr.err != nil {
			return refusedGrant("the policy's role %q does not compile: %v", cr.name, cr.err)
		}
		tok.RoleID = roleID
	case apitype.PolicyTokenTeam:
		tok.Name, tok.Kind = "oidc-"+name[4:20], store.TokenTeam
		t, err := s.st.GetTeam(ctx, s.org.Name, want.target)
		if errors.Is(err, store.ErrNotFound) {
			return refusedGrant("the policy's team %q no longer exists", want.target)
		}
		if err != nil {
			return err
		}
		tok.TeamID = t.ID
	default:
		tok.Kind = store.TokenPersonal
		m, err := s.st.GetMember(ctx, s.org.Name, want.target)
		if errors.Is(err, store.ErrNotFound) {
			return refusedGrant("the policy's user %q is no longer a member", want.target)
		}
		if err != nil {
			return err
		}
		tok.UserID = m.User.ID
	}
	return nil
}

// parseRequested reads requested_token_type and scope (RFC 8693 §2.1): the token type, and the
// team or user named by a "team:NAME" or "user:LOGIN" scope. Without requested_token_type the
// scope's prefix decides, as Pulumi's CLI does.
func parseRequested(requested, scope string) (exchangeRequest, error) {
	typ := ""
	if requested != "" {
		t, ok := strings.CutPrefix(requested, apitype.RequestedTokenTypePrefix)
		if !ok {
			return exchangeRequest{}, badRequest(apitype.OAuthInvalidRequest, "requested_token_type %q is not %s{organization|team|personal}", truncate(requested, 100), apitype.RequestedTokenTypePrefix)
		}
		typ = t
	} else {
		switch {
		case strings.HasPrefix(scope, "team:"):
			typ = apitype.PolicyTokenTeam
		case strings.HasPrefix(scope, "user:"):
			typ = apitype.PolicyTokenPersonal
		default:
			typ = apitype.PolicyTokenOrganization
		}
	}
	switch typ {
	case apitype.PolicyTokenOrganization:
		switch scope {
		case "":
			return exchangeRequest{tokenType: typ}, nil
		case "admin":
			return exchangeRequest{tokenType: typ, admin: true}, nil
		}
		return exchangeRequest{}, badRequest(apitype.OAuthInvalidScope, "scope %q: an organization token takes no scope, or \"admin\"", truncate(scope, 100))
	case apitype.PolicyTokenTeam, apitype.PolicyTokenPersonal:
		prefix := map[string]string{apitype.PolicyTokenTeam: "team:", apitype.PolicyTokenPersonal: "user:"}[typ]
		target, ok := strings.CutPrefix(scope, prefix)
		if !ok || target == "" || len(target) > 100 {
			return exchangeRequest{}, badRequest(apitype.OAuthInvalidScope, "scope %q: a %s token needs the scope %sNAME", truncate(scope, 100), typ, prefix)
		}
		return exchangeRequest{tokenType: typ, target: target}, nil
	case apitype.PolicyTokenRunner:
		return exchangeRequest{}, badRequest(apitype.OAuthInvalidRequest, "runner tokens are not supported by this server; request organization, team or personal")
	}
	return exchangeRequest{}, badRequest(apitype.OAuthInvalidRequest, "requested_token_type %q is not %s{organization|team|personal}", truncate(requested, 100), apitype.RequestedTokenTypePrefix)
}

// readExchangeRequest reads a form-encoded or JSON body (at most maxExchangeBody bytes).
// Parameters may not repeat (RFC 6749 §3.2); unknown ones are ignored, as OAuth requires.
func readExchangeRequest(r *http.Request) (apitype.TokenExchangeRequest, error) {
	var req apitype.TokenExchangeRequest
	body, err := io.ReadAll(io.LimitReader(r.Body, maxExchangeBody+1))
	if err != nil {
		return req, badRequest(apitype.OAuthInvalidRequest, "reading the body: %v", err)
	}
	if len(body) > maxExchangeBody {
		return req, badRequest(apitype.OAuthInvalidRequest, "the body is larger than %d bytes", maxExchangeBody)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch ct {
	case "application/json":
		var raw map[string]json.RawMessage
		if err := json.Unmarshal(body, &raw); err != nil {
			return req, badRequest(apitype.OAuthInvalidRequest, "the body is not a JSON object: %v", err)
		}
		get := func(k string) (string, error) {
			v, ok := raw[k]
			if !ok || string(v) == "null" {
				return "", nil
			}
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return "", badRequest(apitype.OAuthInvalidRequest, "%s must be a string", k)
			}
			return s, nil
		}
		for k, dst := range map[string]*string{"grant_type": &req.GrantType, "audience": &req.Audience, "subject_token": &req.SubjectToken,
			"subject_token_type": &req.SubjectTokenType, "requested_token_type": &req.RequestedTokenType, "scope": &req.Scope} {
			if *dst, err = get(k); err != nil {
				return req, err
			}
		}
		if v, ok := raw["expiration"]; ok && string(v) != "null" {
			var n json.Number
			if err := json.Unmarshal(v, &n); err != nil {
				var s string
				if json.Unmarshal(v, &s) != nil {
					return req, badRequest(apitype.OAuthInvalidRequest, "expiration must be a number of seconds")
				}
				n = json.Number(s)
			}
			if req.Expiration, err = n.Int64(); err != nil {
				return req, badRequest(apitype.OAuthInvalidRequest, "expiration %q is not a whole number of seconds", truncate(n.String(), 40))
			}
		}
	case "application/x-www-form-urlencoded", "":
		form, err := url.ParseQuery(string(body))
		if err != nil {
			return req, badRequest(apitype.OAuthInvalidRequest, "the body is not form-encoded: %v", err)
		}
		for k, vs := range form {
			if len(vs) > 1 {
				return req, badRequest(apitype.OAuthInvalidRequest, "parameter %q is repeated", truncate(k, 64))
			}
		}
		req.GrantType, req.Audience, req.SubjectToken = form.Get("grant_type"), form.Get("audience"), form.Get("subject_token")
		req.SubjectTokenType, req.RequestedTokenType, req.Scope = form.Get("subject_token_type"), form.Get("requested_token_type"), form.Get("scope")
		if e := form.Get("expiration"); e != "" {
			if req.Expiration, err = strconv.ParseInt(e, 10, 64); err != nil {
				return req, badRequest(apitype.OAuthInvalidRequest, "expiration %q is not a whole number of seconds", truncate(e, 40))
			}
		}
	default:
		return req, badRequest(apitype.OAuthInvalidRequest, "Content-Type %q: send application/x-www-form-urlencoded or application/json", truncate(ct, 100))
	}
	return req, nil
}

// verifyIDToken checks the subject token: size, algorithm, a registered issuer for its iss,
// the signature with that issuer's key for its kid, and iss, aud, exp, nbf and iat (with
// clockSkew). It returns the issuer and the claims (all of them, for the policy's rules).
func (s *Server) verifyIDToken(ctx context.Context, raw, audience string, a *exchangeAudit) (store.Issuer, map[string]any, jwt.Claims, error) {
	var std jwt.Claims
	if len(raw) > maxSubjectToken {
		return store.Issuer{}, nil, std, refusedGrant("the subject token is %d bytes; at most %d", len(raw), maxSubjectToken)
	}
	tok, err := jwt.ParseSigned(raw, acceptedAlgorithms)
	if err != nil {
		return store.Issuer{}, nil, std, refusedGrant("the subject token is not a JWT signed with RS256 or ES256: %v", err)
	}
	if len(tok.Headers) != 1 {
		return store.Issuer{}, nil, std, refusedGrant("the subject token has %d signatures; want one", len(tok.Headers))
	}
	var unverified jwt.Claims
	if err := tok.UnsafeClaimsWithoutVerification(&unverified); err != nil {
		return store.Issuer{}, nil, std, refusedGrant("the subject token's claims are unreadable: %v", err)
	}
	a.issuer, a.sub = "unverified iss "+strconv.Quote(truncate(unverified.Issuer, 200)), "(unverified) "+unverified.Subject
	issuers, err := s.st.ListIssuers(ctx, s.org.Name)
	if err != nil {
		return store.Issuer{}, nil, std, err
	}
	var iss store.Issuer
	found := false
	for _, i := range issuers {
		if i.Issuer == unverified.Issuer {
			iss, found = i, true
			break
		}
	}
	if !found {
		return store.Issuer{}, nil, std, refusedGrant("no registered OIDC issuer has iss %q", truncate(unverified.Issuer, 200))
	}
	a.issuer = iss.Name
	h := tok.Headers[0]
	key, err := s.keys.key(ctx, iss, h.KeyID)
	if err != nil {
		return iss, nil, std, refusedGrant("no key to verify the token (kid %q): %v", truncate(h.KeyID, 100), err)
	}
	if key.Algorithm != "" && key.Algorithm != h.Algorithm {
		return iss, nil, std, refusedGrant("the token is signed with %s but key %q is for %s", h.Algorithm, key.KeyID, key.Algorithm)
	}
	claims := map[string]any{}
	if err := tok.Claims(key.Key, &std, &claims); err != nil {
		return iss, nil, std, refusedGrant("the signature does not verify with key %q: %v", key.KeyID, err)
	}
	a.sub = std.Subject
	switch {
	case std.Expiry == nil:
		return iss, nil, std, refusedGrant("the token has no exp claim")
	case std.Subject == "":
		return iss, nil, std, refusedGrant("the token has no sub claim")
	}
	err = std.ValidateWithLeeway(jwt.Expected{Issuer: iss.Issuer, AnyAudience: jwt.Audience{audience}, Time: s.now()}, clockSkew)
	switch {
	case errors.Is(err, jwt.ErrInvalidAudience):
		return iss, nil, std, refusedGrant("the token's aud %q does not contain %q", strings.Join(std.Audience, ","), audience)
	case errors.Is(err, jwt.ErrExpired):
		return iss, nil, std, refusedGrant("the token expired at %s", std.Expiry.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrNotValidYet):
		return iss, nil, std, refusedGrant("the token is not valid before %s", std.NotBefore.Time().UTC().Format(time.RFC3339))
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return iss, nil, std, refusedGrant("the token was issued in the future (%s)", std.IssuedAt.Time().UTC().Format(time.RFC3339))
	case err != nil:
		return iss, nil, std, refusedGrant("the token's claims are not valid: %v", err)
	}
	return iss, claims, std, nil
}
