package mapping

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
)

// TokenArgs are the inputs of an OrganizationAccessToken.
type TokenArgs struct {
	Organization string
	Name         string
	Description  string
	RoleID       string // the token's role; with neither RoleID nor Admin it gets the org's default role
	Admin        bool   // the legacy admin flag
	ExpiresIn    string // duration such as "720h" or "30d"; "" = never expires
	RotateBefore string // renew early: replace once less than this validity remains
}

// TokenState is an OrganizationAccessToken as created.
type TokenState struct {
	TokenArgs
	TokenID   string
	TokenName string // the name on the server (see CreateToken for when it differs from Name)
	Value     string // secret; only known from create, kept in state afterwards
	ExpiresAt string // RFC 3339, "" = never
}

const (
	maxTokenName     = 40
	maxTokenLifetime = 2 * 365 * 24 * time.Hour
)

// ParseDuration accepts Go durations ("720h", "90m") and whole days ("30d").
func ParseDuration(s string) (time.Duration, error) {
	if d, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(d)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%q: want a duration such as \"720h\" or \"30d\"", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%q: want a duration such as \"720h\" or \"30d\"", s)
	}
	return v, nil
}

// CheckToken validates inputs offline.
func CheckToken(a TokenArgs) Problems {
	var ps Problems
	switch n := utf8.RuneCountInString(a.Name); {
	case strings.TrimSpace(a.Name) == "":
		ps = append(ps, problem(Root(FieldName), "required"))
	case n > maxTokenName:
		ps = append(ps, problem(Root(FieldName), "%d characters; token names are at most %d", n, maxTokenName))
	}
	if a.Admin && a.RoleID != "" {
		ps = append(ps, problem(Root(FieldRoleID), "set either %s or %s, not both", FieldRoleID, FieldAdmin))
	}
	var life time.Duration
	if a.ExpiresIn != "" {
		d, err := ParseDuration(a.ExpiresIn)
		switch {
		case err != nil:
			ps = append(ps, problem(Root(FieldExpiresIn), "%s", err))
		case d <= 0:
			ps = append(ps, problem(Root(FieldExpiresIn), "must be positive (omit it for a token that never expires)"))
		case d > maxTokenLifetime:
			ps = append(ps, problem(Root(FieldExpiresIn), "at most two years (17520h)"))
		}
		life = d
	}
	if a.RotateBefore != "" {
		d, err := ParseDuration(a.RotateBefore)
		switch {
		case err != nil:
			ps = append(ps, problem(Root(FieldRotateBefore), "%s", err))
		case a.ExpiresIn == "":
			ps = append(ps, problem(Root(FieldRotateBefore), "only meaningful with %s", FieldExpiresIn))
		case d <= 0 || (life > 0 && d >= life):
			ps = append(ps, problem(Root(FieldRotateBefore), "must be positive and shorter than %s (%s)", FieldExpiresIn, a.ExpiresIn))
		}
	}
	return ps
}

// CreateToken creates the token and returns its value. Token names stay reserved on the server
// after deletion (as in Pulumi Cloud), so a replacement cannot reuse the old name: when the
// name is taken, the token is created as "<name>-2", "<name>-3", … (the base shortened to fit
// 40 characters), and TokenName reports the name actually used.
func (p *Provider) CreateToken(ctx context.Context, a TokenArgs, now time.Time) (TokenState, error) {
	if err := CheckToken(a).Err(); err != nil {
		return TokenState{}, err
	}
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return TokenState{}, err
	}
	req := apitype.CreateOrgTokenRequest{Name: a.Name, Description: a.Description, Admin: a.Admin, RoleID: a.RoleID}
	st := TokenState{TokenArgs: a}
	req.Expires, st.ExpiresAt = expiry(a.ExpiresIn, now)
	st.TokenID, st.TokenName, st.Value, err = createNamed(a.Name, func(name string) (*apitype.CreateTokenResponse, error) {
		req.Name = name
		return p.client.CreateToken(ctx, org, req)
	})
	if err != nil {
		return TokenState{}, err
	}
	return st, nil
}

// expiry is the expiry of a token created now with expiresIn (checked): unix seconds for the
// API and RFC 3339 for state; zero and "" for a token that never expires.
func expiry(expiresIn string, now time.Time) (int64, string) {
	if expiresIn == "" {
		return 0, ""
	}
	d, _ := ParseDuration(expiresIn)
	exp := now.Add(d).Truncate(time.Second)
	return exp.Unix(), exp.UTC().Format(time.RFC3339)
}

// createNamed creates a token with create, trying "<name>-2", "<name>-3", … while the server
// says the name is taken (token names stay reserved after deletion), and returns the token's
// ID, the name used and the value.
func createNamed(name string, create func(name string) (*apitype.CreateTokenResponse, error)) (id, used, value string, err error) {
	for attempt := 1; ; attempt++ {
		try := name
		if attempt > 1 {
			try = suffixed(name, attempt)
		}
		resp, err := create(try)
		if client.IsConflict(err) && attempt < maxNameAttempts-1 {
			continue
		}
		if err != nil {
			return "", "", "", apiErr(fmt.Sprintf("create token %q", try), err)
		}
		return resp.ID, try, resp.TokenValue, nil
	}
}

// IsReplacementName reports whether server is a name CreateToken derives from name when name is
// taken ("<name>-2", "<name>-3", …, shortened to fit): the token is still the one declared.
func IsReplacementName(server, name string) bool {
	for n := 2; n < maxNameAttempts; n++ {
		if suffixed(name, n) == server {
			return true
		}
	}
	return false
}

const maxNameAttempts = 50

func suffixed(name string, n int) string {
	suffix := "-" + strconv.Itoa(n)
	r := []rune(name)
	if len(r)+len(suffix) > maxTokenName {
		r = r[:maxTokenName-len(suffix)]
	}
	return string(r) + suffix
}

// ReadToken finds the token; found is false once it is deleted. Tokens cannot change on the
// server, so the inputs and the value (which the server never returns again) come from prior
// state; an import (prior has only Organization and TokenID) takes its inputs from the server
// and has no value.
func (p *Provider) ReadToken(ctx context.Context, prior TokenState) (st TokenState, found bool, err error) {
	org, err := p.apiOrg(prior.Organization)
	if err != nil {
		return TokenState{}, false, err
	}
	toks, err := p.client.ListTokens(ctx, org, apitype.TokenFilterAll)
	if err != nil {
		return TokenState{}, false, apiErr("list tokens", err)
	}
	st, found = tokenFrom(toks, prior)
	return st, found, nil
}

// tokenFrom finds prior's token in toks and reads what the server has of it: its name and
// expiry, and on import (prior.Name empty) its inputs.
func tokenFrom(toks []apitype.AccessToken, prior TokenState) (TokenState, bool) {
	for _, t := range toks {
		if t.ID != prior.TokenID {
			continue
		}
		st := prior
		st.TokenName = t.Name
		if prior.Name == "" { // import: the inputs come from the server
			st.Name, st.Description, st.Admin = t.Name, t.Description, t.Admin
			if t.Role != nil && !t.Admin {
				st.RoleID = t.Role.ID
			}
		}
		st.ExpiresAt = ""
		if t.Expires != 0 {
			st.ExpiresAt = time.Unix(t.Expires, 0).UTC().Format(time.RFC3339)
		}
		return st, true
	}
	return TokenState{}, false
}

// DeleteToken revokes the token; a token already gone is fine.
func (p *Provider) DeleteToken(ctx context.Context, st TokenState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	if err := p.client.DeleteToken(ctx, org, st.TokenID); err != nil && !client.IsRecordNotFound(err, tokenResource) {
		return apiErr(fmt.Sprintf("delete token %q", st.TokenName), err)
	}
	return nil
}

// TokenChanges decides what a change of inputs means. Tokens cannot be edited on the server,
// so every input change except rotateBefore replaces the token. Independently of inputs, a
// token with less than rotateBefore of validity left (or already expired) is replaced: that
// is early renewal. update lists in-place changes (state only).
func TokenChanges(old TokenState, a TokenArgs, now time.Time) (update, replace []Field, reason *Msg) {
	for _, f := range []struct {
		name       Field
		was, isNow string
	}{
		{FieldOrganization, old.Organization, a.Organization},
		{FieldName, old.Name, a.Name},
		{FieldDescription, old.Description, a.Description},
		{FieldRoleID, old.RoleID, a.RoleID},
		{FieldAdmin, strconv.FormatBool(old.Admin), strconv.FormatBool(a.Admin)},
		{FieldExpiresIn, old.ExpiresIn, a.ExpiresIn},
	} {
		if f.was != f.isNow {
			replace = append(replace, f.name)
		}
	}
	if old.RotateBefore != a.RotateBefore {
		update = append(update, FieldRotateBefore)
	}
	if due, why := RotationDue(old.ExpiresAt, a.RotateBefore, now); due {
		replace = append(replace, FieldExpiresAt)
		reason = why
	}
	return update, replace, reason
}

// RotationDue reports whether a token expiring at expiresAt (RFC 3339, "" = never) should be
// renewed now given rotateBefore, and why (nil when it is not due).
func RotationDue(expiresAt, rotateBefore string, now time.Time) (bool, *Msg) {
	if expiresAt == "" {
		return false, nil
	}
	exp, err := time.Parse(time.RFC3339, expiresAt)
	if err != nil {
		return false, nil
	}
	var early time.Duration
	if rotateBefore != "" {
		early, _ = ParseDuration(rotateBefore)
	}
	left := exp.Sub(now)
	switch {
	case left <= 0:
		m := Msgf("the token expired at %s; replacing it", expiresAt)
		return true, &m
	case left <= early:
		m := Msgf("the token expires at %s, within %s (%s); renewing it early", expiresAt, FieldRotateBefore, rotateBefore)
		return true, &m
	}
	return false, nil
}

// FormatDuration prints whole seconds as the shortest Go duration that reads back the same
// ("1h", "1h30m", "45s").
func FormatDuration(seconds int64) string {
	h, m, s := seconds/3600, seconds/60%60, seconds%60
	var b strings.Builder
	if h > 0 {
		b.WriteString(strconv.FormatInt(h, 10) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(m, 10) + "m")
	}
	if s > 0 || b.Len() == 0 {
		b.WriteString(strconv.FormatInt(s, 10) + "s")
	}
	return b.String()
}
