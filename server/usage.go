package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// scopeUsage counts, per token, UTC day and scope, the requests the route guard authorized,
// in memory, and adds the counts to the store's counters at each housekeeping round (so that a
// request never waits for that write). At most maxPendingUsage counters wait between two
// flushes; past that, uses are dropped and counted in Dropped (a flood of distinct keys cannot
// grow memory).
type scopeUsage struct {
	st  store.Store
	org string

	mu      sync.Mutex
	pending map[store.UsageKey]int64
	dropped int64
}

const maxPendingUsage = 50_000

const secondsPerDay = 24 * 60 * 60

func newScopeUsage(st store.Store, org string) *scopeUsage {
	return &scopeUsage{st: st, org: org, pending: map[store.UsageKey]int64{}}
}

func (u *scopeUsage) add(tokenID string, scope authz.Scope, at int64) {
	k := store.UsageKey{Org: u.org, TokenID: tokenID, Day: at / secondsPerDay, Scope: scope.Name}
	u.mu.Lock()
	defer u.mu.Unlock()
	if _, ok := u.pending[k]; !ok && len(u.pending) >= maxPendingUsage {
		u.dropped++
		return
	}
	u.pending[k]++
}

func (u *scopeUsage) flush(ctx context.Context) error {
	u.mu.Lock()
	batch, dropped := u.pending, u.dropped
	u.pending, u.dropped = map[store.UsageKey]int64{}, 0
	u.mu.Unlock()
	if dropped > 0 {
		err := fmt.Errorf("%d scope uses were not counted (more than %d counters waited for one flush)", dropped, maxPendingUsage)
		return errors.Join(err, u.st.AddScopeUsage(ctx, batch))
	}
	return u.st.AddScopeUsage(ctx, batch)
}

const (
	defaultUsageDays = 30
	maxUsageDays     = 400
	maxUsageTokens   = 1000 // tokens of one user or team read for one answer
)

// getUsage answers GET /api/orgs/{org}/usage?principal=…&days=N: the scopes the principal
// holds, those its tokens used, and a narrower role. Reading a member's or a team's usage
// needs what the access check needs to read their rights.
func (s *Server) getUsage(w http.ResponseWriter, r *http.Request, c *call) error {
	q := r.URL.Query()
	principal := q.Get("principal")
	if principal == "" {
		return required("usage", "principal")
	}
	days := defaultUsageDays
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxUsageDays {
			return invalid("usage", "days", "want an integer from 1 to %d", maxUsageDays)
		}
		days = n
	}
	ctx := r.Context()
	ac := &accessChecker{s: s, ctx: ctx, principals: map[string]*authz.Index{"": c.principal.index}, callerID: c.principal.token.ID}
	ix, err := ac.other(principal) // checks the caller's right to read this principal's rights
	if err != nil {
		return err
	}
	tokens, err := s.principalTokens(ctx, principal)
	if err != nil {
		return err
	}
	today := s.now().Unix() / secondsPerDay
	since := today - int64(days) + 1
	rows, err := s.st.ListScopeUsage(ctx, s.org.Name, tokens, since)
	if err != nil {
		return err
	}
	resp := apitype.ScopeUsageResponse{Principal: principal, Days: days, Since: dayString(since), Tokens: tokens, Truncated: len(rows) >= store.MaxUsageRows}
	if resp.Tokens == nil {
		resp.Tokens = []string{}
	}
	held := map[string]bool{}
	for _, sc := range authz.Scopes() {
		if ix.GrantsAnywhere(sc.ID) {
			held[sc.Name] = true
			resp.Held = append(resp.Held, sc.Name)
		}
	}
	used := map[string]*apitype.UsedScope{}
	for _, row := range rows {
		u := used[row.Scope]
		if u == nil {
			u = &apitype.UsedScope{Scope: row.Scope, Held: held[row.Scope]}
			used[row.Scope] = u
		}
		u.Count += row.Count
		if d := dayString(row.Day); d > u.LastDay {
			u.LastDay = d
		}
	}
	for _, u := range used {
		resp.Used = append(resp.Used, *u)
	}
	slices.SortFunc(resp.Used, func(a, b apitype.UsedScope) int { return strings.Compare(a.Scope, b.Scope) })
	for _, name := range resp.Held {
		if used[name] == nil {
			resp.Unused = append(resp.Unused, name)
		}
	}
	resp.Held, resp.Unused = nonNilStrings(resp.Held), nonNilStrings(resp.Unused)
	if resp.Used == nil {
		resp.Used = []apitype.UsedScope{}
	}
	label := principal
	if !strings.HasPrefix(principal, userPrefix) && !strings.HasPrefix(principal, teamPrefix) {
		if tok, err := s.tokens.byID(ctx, s.org.Name, principal); err == nil {
			label = tok.Name // ac.other found it: a token of this org
		}
	}
	resp.Suggested, err = suggestRole(ix, used, principalLabel(label))
	if err != nil {
		return err
	}
	if resp.Truncated {
		resp.Suggested.Notes = append(resp.Suggested.Notes, fmt.Sprintf("more than %d counters in this period: only the first were read, so a used scope may be missing; ask for fewer days", store.MaxUsageRows))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

func dayString(day int64) string { return time.Unix(day*secondsPerDay, 0).UTC().Format("2006-01-02") }

// principalTokens lists the token IDs a principal acts through: the token itself, a member's
// personal tokens, a team's tokens (those not deleted; at most maxUsageTokens).
func (s *Server) principalTokens(ctx context.Context, principal string) ([]string, error) {
	var toks []store.Token
	var err error
	switch {
	case strings.HasPrefix(principal, userPrefix):
		m, merr := s.st.GetMember(ctx, s.org.Name, strings.TrimPrefix(principal, userPrefix))
		if merr != nil {
			return nil, merr
		}
		toks, err = s.st.ListUserTokens(ctx, s.org.Name, m.User.ID)
	case strings.HasPrefix(principal, teamPrefix):
		t, terr := s.st.GetTeam(ctx, s.org.Name, strings.TrimPrefix(principal, teamPrefix))
		if terr != nil {
			return nil, terr
		}
		toks, err = s.st.ListTokensPage(ctx, store.TokenQuery{Org: s.org.Name, Kind: store.TokenTeam, TeamID: t.ID, Filter: store.TokensAll, Limit: maxUsageTokens})
	default:
		return []string{principal}, nil
	}
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(toks))
	for _, t := range toks {
		ids = append(ids, t.ID)
	}
	if len(ids) > maxUsageTokens {
		ids = ids[:maxUsageTokens]
	}
	return ids, nil
}

func principalLabel(p string) string {
	p = strings.NewReplacer("user:", "user-", "team:", "team-").Replace(p)
	var b strings.Builder
	for _, r := range strings.ToLower(p) {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' {
			b.WriteRune(r)
		}
		if b.Len() >= 40 {
			break
		}
	}
	return b.String()
}

// suggestRole narrows the principal's compiled grants to the used scopes, keeping each grant's
// reach (the same entities, the same condition, the same open-duration bound): the suggestion
// never grants anything the principal does not hold today.
func suggestRole(ix *authz.Index, used map[string]*apitype.UsedScope, label string) (apitype.SuggestedRole, error) {
	out := apitype.SuggestedRole{Notes: []string{}}
	var entries []authz.Node
	kept := map[string]bool{}
	for _, g := range ix.Grants() {
		var perms []string
		for _, name := range g.Scopes.Names() {
			if used[name] != nil {
				perms = append(perms, name)
				kept[name] = true
			}
		}
		if len(perms) == 0 {
			continue
		}
		var node authz.Node = &authz.Allow{Permissions: perms}
		if g.MaxOpenDuration > 0 {
			node = &authz.Allow{Permissions: perms, Constraints: &authz.Constraints{MaxOpenDuration: g.MaxOpenDuration}}
		}
		if g.Condition != "" {
			wrapped, err := authz.Parse([]byte(`{"__type":"PermissionDescriptorCondition","condition":` + g.Condition + `,"subNode":` + string(authz.Format(node)) + `}`))
			if err != nil {
				return out, fmt.Errorf("suggest role: condition of a compiled grant: %w", err)
			}
			node = wrapped
		}
		if g.Entities != nil {
			ctxKind, ok := authz.ContextFor(g.Kind)
			if !ok {
				return out, fmt.Errorf("suggest role: no context for %s", g.Kind)
			}
			var pin authz.Expr = &authz.In{Target: &authz.Context{Kind: ctxKind}, Values: &authz.IdentitySet{Kind: ctxKind, IDs: g.Entities}}
			if len(g.Entities) == 1 {
				pin = &authz.Equal{Left: &authz.Context{Kind: ctxKind}, Right: &authz.Identity{Kind: ctxKind, ID: g.Entities[0]}}
			}
			node = &authz.Condition{Condition: pin, SubNode: node}
		}
		entries = append(entries, node)
	}
	for name, u := range used {
		if !kept[name] {
			out.Notes = append(out.Notes, fmt.Sprintf("%s was used (%d requests, last on %s) but is no longer held: left out", name, u.Count, u.LastDay))
		}
	}
	slices.Sort(out.Notes)
	if len(entries) == 0 {
		out.Notes = append(out.Notes, "no scope was used in this period: the suggestion grants nothing (consider deleting the token)")
	}
	details := authz.Format(&authz.Group{Entries: entries})
	if _, err := authz.Parse(details); err != nil {
		return out, fmt.Errorf("suggest role: the narrowed details do not parse: %w", err)
	}
	out.Details = json.RawMessage(details)
	name := "least-privilege-" + label
	if label == "" {
		name = "least-privilege"
	}
	out.PulumiYAML = fmt.Sprintf("resources:\n  leastPrivilege:\n    type: iam:index:CustomRole\n    properties:\n      name: %s\n      description: Only the scopes used recently (suggested by the iamref console).\n      details: %s\n",
		name, strconv.Quote(string(details)))
	out.Terraform = fmt.Sprintf("resource \"iam_custom_role\" \"least_privilege\" {\n  name        = %q\n  description = \"Only the scopes used recently (suggested by the iamref console).\"\n  details     = jsonencode(%s)\n}\n",
		name, string(details))
	return out, nil
}
