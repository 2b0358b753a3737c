package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/server/store"
)

const (
	maxTokenName        = 40
	maxTokenDescription = 1024
	maxTokenLifetime    = 2 * 365 * 24 * time.Hour // Pulumi: at most two years ahead
)

// writeTokens answers with a token listing. Many tokens share a role, so the listing reads each
// distinct role once, not once per token. A role deleted with ?force=true is listed by ID alone.
func (s *Server) writeTokens(ctx context.Context, w http.ResponseWriter, toks []store.Token, next string) error {
	resp := apitype.ListTokensResponse{ContinuationToken: next}
	roles := map[string]*apitype.TokenRole{}
	for _, t := range toks {
		out := apitype.AccessToken{
			ID: t.ID, Name: t.Name, Description: t.Description, Created: t.Created.UTC().Format(timeFormat),
			LastUsed: s.usage.lastUsed(t.ID, t.LastUsed), Expires: t.Expires, Admin: t.Admin,
			CreatedBy: t.CreatedBy, Type: tokenType(t.Kind),
		}
		if t.RoleID != "" {
			role, ok := roles[t.RoleID]
			if !ok {
				role = &apitype.TokenRole{ID: t.RoleID}
				rec, err := s.st.GetRecord(ctx, s.org.Name, t.RoleID)
				switch {
				case err == nil:
					role.Name, role.DefaultIdentifier = rec.Name, rec.DefaultIdentifier
				case !errors.Is(err, store.ErrNotFound):
					return err
				}
				roles[t.RoleID] = role
			}
			out.Role = role
		}
		resp.Tokens = append(resp.Tokens, out)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func tokenType(k store.TokenKind) apitype.TokenType {
	switch k {
	case store.TokenTeam:
		return apitype.TokenTypeTeam
	case store.TokenPersonal:
		return apitype.TokenTypePersonal
	}
	return apitype.TokenTypeOrganization
}

// validTokenText checks a new token's description and expiry (unix seconds, 0 = never), and
// that it does not outlive the caller's token.
func (s *Server) validTokenText(c *call, description string, expires int64) error {
	if utf8.RuneCountInString(description) > maxTokenDescription {
		return invalid("token", "description", "at most %d characters", maxTokenDescription)
	}
	if p := textProblem(description, true); p != "" {
		return invalid("token", "description", "%s", p)
	}
	now := s.now()
	if expires != 0 {
		switch exp := time.Unix(expires, 0); {
		case expires < 0 || !exp.After(now):
			return invalid("token", "expires", "%d is not in the future (unix seconds; 0 = never expires)", expires)
		case exp.Sub(now) > maxTokenLifetime:
			return invalid("token", "expires", "at most two years ahead (%d)", now.Add(maxTokenLifetime).Unix())
		}
	}
	return mayOutlive(c.principal.token, expires)
}

// mintToken gives tok a fresh value, stores it and answers with the value (once). A name taken
// by an org or team token, live or deleted, is a 409.
func (s *Server) mintToken(ctx context.Context, tok store.Token) (int, any, error) {
	value, err := newTokenValue()
	if err != nil {
		return 0, nil, err
	}
	tok.Hash = hashToken(value)
	if err := s.st.CreateToken(s.limited(ctx, quotaTokens), tok); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return 0, nil, conflict("token", "name", "the token name %q is taken by an organization or team token; names stay reserved after a token is deleted, so choose another", tok.Name)
		}
		return 0, nil, s.quotaErr("token", quotaTokens, err)
	}
	s.metrics.tokens.Inc()
	return http.StatusOK, apitype.CreateTokenResponse{ID: tok.ID, TokenValue: value}, nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	filter := store.TokensActive
	switch f := r.URL.Query().Get("filter"); f {
	case "", apitype.TokenFilterActive:
	case apitype.TokenFilterExpired:
		filter = store.TokensExpired
	case apitype.TokenFilterAll:
		filter = store.TokensAll
	default:
		return invalid("token", "filter", "%q is not one of active, expired, all", f)
	}
	return s.listTokenPage(w, r, store.TokenQuery{Filter: filter}, listName("tokens", strconv.Itoa(int(filter))))
}

// listTokenPage answers one page of the tokens q selects (Org, Now, After and Limit are set
// here from the request).
func (s *Server) listTokenPage(w http.ResponseWriter, r *http.Request, q store.TokenQuery, list string) error {
	size, err := pageSize(r, "token")
	if err != nil {
		return err
	}
	pos, err := s.readContinuation(r, "token", list, 2)
	if err != nil {
		return err
	}
	if pos != nil {
		micros, err := strconv.ParseInt(pos[0], 10, 64)
		if err != nil {
			return invalid("token", "continuationToken", "not a continuation token this listing issued")
		}
		q.After = &store.TokenPos{Created: time.UnixMicro(micros).UTC(), ID: pos[1]}
	}
	q.Org, q.Now, q.Limit = s.org.Name, s.now(), size+1 // one more tells whether a page follows
	toks, err := s.st.ListTokensPage(r.Context(), q)
	if err != nil {
		return err
	}
	next := ""
	if len(toks) > size {
		toks = toks[:size]
		last := toks[size-1]
		next = s.continuation(list, strconv.FormatInt(last.Created.UnixMicro(), 10), last.ID)
	}
	return s.writeTokens(r.Context(), w, toks, next)
}

func validTokenName(name string) error {
	switch {
	case name == "":
		return required("token", "name")
	case utf8.RuneCountInString(name) > maxTokenName:
		return invalid("token", "name", "%q is %d characters; token names are at most %d", name, utf8.RuneCountInString(name), maxTokenName)
	case strings.TrimSpace(name) != name:
		return invalid("token", "name", "leading or trailing spaces")
	}
	if p := textProblem(name, false); p != "" {
		return invalid("token", "name", "%s", p)
	}
	for _, r := range name {
		if !unicode.IsPrint(r) {
			return invalid("token", "name", "contains a non-printable character")
		}
	}
	return nil
}

func (s *Server) createToken(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateOrgTokenRequest
	return s.create(w, r, c, "token", &req, func() (int, any, error) {
		if err := validTokenName(req.Name); err != nil {
			return 0, nil, err
		}
		if err := s.validTokenText(c, req.Description, req.Expires); err != nil {
			return 0, nil, err
		}
		if req.Admin && req.RoleID != "" {
			return 0, nil, invalid("token", "roleID", "set either admin or roleID, not both")
		}
		tok := store.Token{
			ID: newID(), Org: s.org.Name, Name: req.Name, Description: req.Description, Admin: req.Admin,
			RoleID: req.RoleID, Expires: req.Expires, Created: s.stamp(), CreatedBy: c.principal.name(),
		}
		const attempt = "cannot mint a token with more rights than it holds"
		switch {
		case req.Admin:
			if err := c.mayHandOut(s.indexes.legacy, "token", "roleID", attempt); err != nil {
				return 0, nil, err
			}
		default:
			if tok.RoleID == "" {
				var err error
				if tok.RoleID, err = s.defaultRoleID(r.Context()); err != nil {
					return 0, nil, err
				}
			}
			rec, err := s.st.GetRecord(r.Context(), s.org.Name, tok.RoleID)
			if errors.Is(err, store.ErrNotFound) {
				return 0, nil, fieldError("token", "roleID", apitype.ErrorTypeNotFound, "no role with ID %q in %s", tok.RoleID, s.org.Name)
			}
			if err != nil {
				return 0, nil, err
			}
			if rec.UXPurpose != "role" {
				return 0, nil, invalid("token", "roleID", "%q is a %s; a token needs a role", rec.Name, rec.UXPurpose)
			}
			if err := s.mayBind(r.Context(), c, tok.RoleID, "token", "roleID", attempt); err != nil {
				return 0, nil, err
			}
		}
		return s.mintToken(r.Context(), tok)
	})
}

func (s *Server) deleteToken(w http.ResponseWriter, r *http.Request, c *call) error {
	id := r.PathValue("tokenID")
	tok, err := s.st.GetToken(r.Context(), s.org.Name, id)
	if err == nil && !tok.Deleted && tok.Kind != store.TokenOrganization {
		return errorf(http.StatusBadRequest, "the requested token is a %s token, not an organization token; delete it through its %s's tokens", tok.Kind, map[store.TokenKind]string{store.TokenTeam: "team", store.TokenPersonal: "user"}[tok.Kind])
	}
	err = s.deleteTokenByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return notFound("token", "no active token with ID %q in %s", id, s.org.Name)
	}
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// deleteTokenByID revokes a token at once: stored deleted, evicted from the cache.
func (s *Server) deleteTokenByID(ctx context.Context, id string) error {
	if err := s.st.DeleteToken(ctx, s.org.Name, id, s.stamp()); err != nil {
		return err
	}
	s.tokens.evict(id)
	return nil
}

// getUser answers GET /api/user as Pulumi does: for a personal token, the user and their role
// in the org (no tokenInfo: `pulumi whoami -v` shows "Token type: personal"); for org and team
// tokens the org is the "user" and tokenInfo names the token (and its team).
func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *call) error {
	tok := c.principal.token
	if tok.Kind == store.TokenPersonal {
		m, err := s.st.GetMemberByID(r.Context(), s.org.Name, tok.UserID)
		if errors.Is(err, store.ErrNotFound) {
			return errorf(http.StatusUnauthorized, "invalid, expired or revoked token") // removed since
		}
		if err != nil {
			return err
		}
		role, _, err := s.memberRole(r.Context(), m.RoleID)
		if err != nil {
			return err
		}
		writeJSON(w, http.StatusOK, apitype.User{
			ID: m.User.ID, GitHubLogin: m.User.Login, Name: m.User.Name, Email: m.User.Email,
			Organizations: []apitype.UserOrganization{{Name: s.org.Name, GitHubLogin: s.org.Name, Role: role}},
			Identities:    []string{"Pulumi"},
		})
		return nil
	}
	role := "member"
	if tok.Admin || tok.RoleID == builtinID(s.org.Name, "admin") {
		role = "admin"
	}
	info := &apitype.TokenInfo{Name: tok.Name, Organization: s.org.Name}
	if tok.Kind == store.TokenTeam {
		info.Team = c.principal.subject
	}
	writeJSON(w, http.StatusOK, apitype.User{
		ID: tok.ID, GitHubLogin: s.org.Name, Name: s.org.Name,
		Organizations: []apitype.UserOrganization{{Name: s.org.Name, GitHubLogin: s.org.Name, Role: role}},
		Identities:    []string{},
		TokenInfo:     info,
	})
	return nil
}

// mayOutlive refuses, with a 403, a token that would outlive the token minting it (expires is
// the new token's, 0 = never): a token's lifetime is one of its rights, and a short-lived CI
// token must not be able to leave a never-expiring one behind. Tokens that never expire may
// mint any lifetime.
func mayOutlive(caller store.Token, expires int64) error {
	if caller.Expires == 0 || expires != 0 && expires <= caller.Expires {
		return nil
	}
	asked := "never expires"
	if expires != 0 {
		asked = fmt.Sprintf("expires at %d", expires)
	}
	at := time.Unix(caller.Expires, 0).UTC().Format(time.RFC3339)
	return &apiError{
		status: http.StatusForbidden,
		msg:    fmt.Sprintf("token %q expires at %s (%d) and cannot mint a token that outlives it; the new token %s: set expires to %d or earlier", caller.Name, at, caller.Expires, asked, caller.Expires),
		fields: []apitype.FieldError{{Resource: "token", Attribute: "expires", ErrorType: apitype.ErrorTypeCustom,
			CustomMessage: fmt.Sprintf("at most the caller's own expiry, %d (%s)", caller.Expires, at)}},
	}
}
