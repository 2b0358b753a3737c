package mapping

import (
	"context"
	"fmt"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
)

// builtinIDs maps the org's built-in set identifiers ("stack-admin", …) to their record IDs.
func (p *Provider) builtinIDs(ctx context.Context, org string) (map[string]string, error) {
	p.mu.Lock()
	m, ok := p.builtins[org]
	p.mu.Unlock()
	if ok {
		return m, nil
	}
	sets, err := p.client.ListRoles(ctx, org, apitype.UXPurposeSet)
	if err != nil {
		return nil, fmt.Errorf("list permission sets of %s: %w", org, err)
	}
	m = map[string]string{}
	for _, s := range sets {
		if s.DefaultIdentifier != "" {
			m[s.DefaultIdentifier] = s.ID
		}
	}
	p.mu.Lock()
	p.builtins[org] = m
	p.mu.Unlock()
	return m, nil
}

// isBuiltinSet reports whether s names a built-in permission set ("stack-admin", …).
func isBuiltinSet(s string) bool {
	b, ok := authz.BuiltinByIdentifier(s)
	return ok && b.UXPurpose == "set"
}

// builtinSetNames lists the built-in set identifiers, for messages.
func builtinSetNames() string {
	var out []string
	for _, b := range authz.Builtins() {
		if b.UXPurpose == "set" {
			out = append(out, b.Identifier)
		}
	}
	return strings.Join(out, ", ")
}

// splitEntity splits "project/name" for stacks and environments.
func splitEntity(ref string) (project, name string, ok bool) {
	project, name, ok = strings.Cut(ref, "/")
	return project, name, ok && project != "" && name != "" && !strings.Contains(name, "/")
}

// entityID resolves a stack ("project/stack"), environment ("project/env") or insights account
// ("name") to the opaque ID that role conditions use.
func (p *Provider) entityID(ctx context.Context, org string, kind authz.EntityKind, ref string) (string, error) {
	var id string
	var err error
	switch kind {
	case authz.KindStack:
		project, name, _ := splitEntity(ref)
		var s *apitype.Stack
		if s, err = p.client.GetStack(ctx, org, project, name); err == nil {
			id = s.ID
		}
	case authz.KindEnvironment:
		project, name, _ := splitEntity(ref)
		var e *apitype.Environment
		if e, err = p.client.GetEnvironment(ctx, org, project, name); err == nil {
			id = e.ID
		}
	case authz.KindInsightsAccount:
		var a *apitype.InsightsAccount
		if a, err = p.client.GetInsightsAccount(ctx, org, ref); err == nil {
			id = a.ID
		}
	}
	if client.IsNotFound(err) {
		return "", fmt.Errorf("%s %q does not exist in organization %s; create it first", kind, ref, org)
	}
	if err != nil {
		return "", fmt.Errorf("look up %s %q: %w", kind, ref, err)
	}
	return id, nil
}

// entityNames maps entity IDs back to names ("project/stack", "project/env", account name)
// for reading roles back into grants.
func (p *Provider) entityNames(ctx context.Context, org string) (map[string]string, error) {
	out := map[string]string{}
	stacks, err := p.client.ListStacks(ctx, org, "")
	if err != nil {
		return nil, fmt.Errorf("list stacks: %w", err)
	}
	for _, s := range stacks {
		out[s.ID] = s.ProjectName + "/" + s.StackName
	}
	envs, err := p.client.ListEnvironments(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("list environments: %w", err)
	}
	for _, e := range envs {
		out[e.ID] = e.Project + "/" + e.Name
	}
	accts, err := p.client.ListInsightsAccounts(ctx, org)
	if err != nil {
		return nil, fmt.Errorf("list insights accounts: %w", err)
	}
	for _, a := range accts {
		out[a.ID] = a.Name
	}
	return out, nil
}

// apiErr rewrites an API error into a message that says what to do.
func apiErr(what string, err error) error {
	switch {
	case client.IsUnauthorized(err):
		return fmt.Errorf("%s: the access token was refused (401): check iam:accessToken / access_token: %w", what, err)
	case client.IsForbidden(err):
		return fmt.Errorf("%s: the access token's role does not allow this (403): %w", what, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}
