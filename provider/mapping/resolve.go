package mapping

import (
	"context"
	"errors"
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
		return nil, apiErr("list permission sets of "+org, err)
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

// checkEntityName says what is wrong with an entity name of kind k ("" when nothing is):
// stacks and environments are "project/name", insights accounts a plain name.
func checkEntityName(k authz.EntityKind, name string) string {
	if k == authz.KindInsightsAccount {
		if strings.TrimSpace(name) == "" {
			return "empty account name"
		}
		return ""
	}
	if _, _, ok := splitEntity(name); !ok {
		return fmt.Sprintf("%q: want \"project/name\"", name)
	}
	return ""
}

// ErrNoEntity is wrapped by lookups of an entity that does not exist (the API answered that
// this entity is not found; an unknown organization or a 404 from no route is an error).
// It is a fact about the server, not a failed call: inputs that name such an entity cannot
// match what the server stores.
var ErrNoEntity = errors.New("no such entity")

// noEntityError says which entity does not exist; it is ErrNoEntity.
type noEntityError struct {
	kind      authz.EntityKind
	name, org string
}

func (e *noEntityError) Error() string {
	return fmt.Sprintf("%s %q does not exist in organization %s: %s are not managed by this provider, so create it first (%s) or correct the name",
		e.kind, e.name, e.org, entityPlural(e.kind), howToCreate(e.kind))
}

// entityPlural names the entities of kind k in the plural.
func entityPlural(k authz.EntityKind) string {
	switch k {
	case authz.KindStack:
		return "stacks"
	case authz.KindEnvironment:
		return "environments"
	case authz.KindInsightsAccount:
		return "insights accounts"
	}
	return k.String() + "s"
}

// howToCreate says where entities of kind k come from.
func howToCreate(k authz.EntityKind) string {
	switch k {
	case authz.KindStack:
		return "`pulumi stack init`, or register it with the IAM server"
	case authz.KindEnvironment:
		return "`esc env init`, or register it with the IAM server"
	}
	return "register it with the IAM server"
}

func (e *noEntityError) Is(target error) bool { return target == ErrNoEntity }

// entity is the one lookup from an entity name of kind k (a stack or environment as
// "project/name", an insights account by name) to the entity the server has: its identity,
// which role conditions use, and its tags. A missing entity wraps ErrNoEntity; any other
// failure is the API's error.
func (p *Provider) entity(ctx context.Context, org string, k authz.EntityKind, name string) (authz.Entity, error) {
	e := authz.Entity{Kind: k, Name: name}
	var err error
	switch k {
	case authz.KindStack:
		project, stack, _ := splitEntity(name)
		var s *apitype.Stack
		if s, err = p.client.GetStack(ctx, org, project, stack); err == nil {
			e.ID, e.Tags = s.ID, s.Tags
		}
	case authz.KindEnvironment:
		project, env, _ := splitEntity(name)
		var v *apitype.Environment
		if v, err = p.client.GetEnvironment(ctx, org, project, env); err == nil {
			e.ID, e.Tags = v.ID, v.Tags
		}
	case authz.KindInsightsAccount:
		var a *apitype.InsightsAccount
		if a, err = p.client.GetInsightsAccount(ctx, org, name); err == nil {
			e.ID, e.Tags = a.ID, a.Tags
		}
	default:
		return e, fmt.Errorf("%s %q: not an entity kind that can be looked up", k, name)
	}
	if client.IsRecordNotFound(err, k.String()) {
		return e, &noEntityError{kind: k, name: name, org: org}
	}
	if err != nil {
		return e, apiErr(fmt.Sprintf("look up %s %q", k, name), err)
	}
	return e, nil
}

// entityNames lists the names of the org's entities by kind and identity, for reading roles
// back into grants.
func (p *Provider) entityNames(ctx context.Context, org string) (map[authz.EntityKind]map[string]string, error) {
	out := map[authz.EntityKind]map[string]string{}
	for _, k := range authz.EntityKinds {
		out[k] = map[string]string{}
	}
	stacks, err := p.client.ListStacks(ctx, org, "")
	if err != nil {
		return nil, apiErr("list stacks", err)
	}
	for _, s := range stacks {
		out[authz.KindStack][s.ID] = s.ProjectName + "/" + s.StackName
	}
	envs, err := p.client.ListEnvironments(ctx, org)
	if err != nil {
		return nil, apiErr("list environments", err)
	}
	for _, e := range envs {
		out[authz.KindEnvironment][e.ID] = e.Project + "/" + e.Name
	}
	accts, err := p.client.ListInsightsAccounts(ctx, org)
	if err != nil {
		return nil, apiErr("list insights accounts", err)
	}
	for _, a := range accts {
		out[authz.KindInsightsAccount][a.ID] = a.Name
	}
	return out, nil
}

// apiErr rewrites an API error into a message that says what to do, naming the setting to
// check. It never says that something is gone: callers decide that, from IsRecordNotFound only.
func apiErr(what string, err error) error {
	var te *client.TransportError
	switch {
	case errors.As(err, &te) && te.TimedOut():
		return errorf(err, "%s: the IAM server did not answer: check that %s is the server's URL and that it is up, or raise %s or %s", what,
			SettingAPIURL, SettingRequestTimeout, SettingMaxRetries)
	case errors.As(err, &te):
		return errorf(err, "%s: cannot reach the IAM server: check that it is running and that %s is its URL", what, SettingAPIURL)
	case client.IsUnauthorized(err):
		return errorf(err, "%s: the access token was refused (401): check %s", what, SettingAccessToken)
	case client.IsForbidden(err):
		return fmt.Errorf("%s: the access token's role does not allow this (403): %w", what, err)
	case client.NotFoundResource(err) == "organization":
		return errorf(err, "%s: no such organization on this server: check %s and the resource's %s", what, SettingOrganization, FieldOrganization)
	case client.IsNotFound(err) && client.NotFoundResource(err) == "":
		return errorf(err, "%s: the server has no API route for this request: check %s, the server's base URL such as %s (without /api)", what,
			SettingAPIURL, DefaultAPIURL)
	}
	return fmt.Errorf("%s: %w", what, err)
}
