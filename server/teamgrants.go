package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// Pulumi's legacy per-entity team permissions (PATCH team with addStackPermission, …) are
// grants like any other: each is stored as a permission level on one entity and compiled into
// the team's tree as its own node, teamgrant:<team>:<entity> = Condition(entity pin,
// Compose[the built-in set of that level]), so Decide, Explain and Covers treat it as a role's
// grant, and Explain names it ("team platform → stack permission write (102) on app/prod →
// set Stack Write"). A grant bounding environment opens inlines the set's scopes in an Allow
// carrying the bound instead of composing the set.

const teamGrantPrefix = "teamgrant:"

func teamGrantKey(teamID, entityID string) string { return teamGrantPrefix + teamID + ":" + entityID }

// stackLevels and environmentLevels map the legacy permission levels to built-in sets.
var (
	stackLevels = map[string]string{
		strconv.Itoa(apitype.StackPermissionRead):    "stack-read",
		strconv.Itoa(apitype.StackPermissionWrite):   "stack-write",
		strconv.Itoa(apitype.StackPermissionAdmin):   "stack-admin",
		strconv.Itoa(apitype.StackPermissionCreator): "stack-admin",
	}
	stackLevelNames = map[string]string{"101": "read", "102": "write", "103": "admin", "104": "creator"}

	environmentLevels = map[string]string{
		"read": "environment-read", "open": "environment-open", "write": "environment-write", "admin": "environment-admin",
	}
)

// maxOpenBound is the longest maxOpenDuration a team grant may carry.
const maxOpenBound = 365 * 24 * time.Hour

// grantSet is the built-in set a stored grant's level stands for.
func grantSet(g store.TeamGrant) (string, bool) {
	if g.Kind == authz.KindStack {
		id, ok := stackLevels[g.Permission]
		return id, ok
	}
	id, ok := environmentLevels[g.Permission]
	return id, ok
}

// teamGrantNode is a grant's node in the team's tree. A level no longer known grants nothing.
func (c *indexCache) teamGrantNode(g store.TeamGrant) authz.Node {
	ident, ok := grantSet(g)
	if !ok {
		c.log.Warn("a team's per-entity grant has an unknown level; it grants nothing", "team", g.TeamID, "entity", g.EntityID, "permission", g.Permission)
		return &authz.Group{}
	}
	return teamGrantTree(c.org, g, ident)
}

func teamGrantTree(org string, g store.TeamGrant, ident string) authz.Node {
	ctx, _ := authz.ContextFor(g.Kind)
	pin := &authz.Equal{Left: &authz.Context{Kind: ctx}, Right: &authz.Identity{Kind: ctx, ID: g.EntityID}}
	var body authz.Node = &authz.Compose{IDs: []string{builtinID(org, ident)}}
	if g.MaxOpenDuration > 0 {
		b, _ := authz.BuiltinByIdentifier(ident)
		a := b.Details.(*authz.Allow)
		body = &authz.Allow{Permissions: a.Permissions, Constraints: &authz.Constraints{MaxOpenDuration: g.MaxOpenDuration}}
	}
	return &authz.Condition{Condition: pin, SubNode: body}
}

// describeTeamGrant names a grant for explanations: "stack permission write (102) on app/prod".
func describeTeamGrant(g store.TeamGrant) string {
	where := qualified(g.Project, g.Name)
	if g.Kind == authz.KindStack {
		return fmt.Sprintf("stack permission %s (%s) on %s", stackLevelNames[g.Permission], g.Permission, where)
	}
	s := fmt.Sprintf("environment permission %s on %s", g.Permission, where)
	if g.MaxOpenDuration > 0 {
		s += fmt.Sprintf(" (opens of at most %s)", time.Duration(g.MaxOpenDuration)*time.Second)
	}
	return s
}

// teamGrantName names a teamgrant:<team>:<entity> key for Explain's path.
func (s *Server) teamGrantName(ctx context.Context, key string) (string, error) {
	teamID, entityID, _ := strings.Cut(strings.TrimPrefix(key, teamGrantPrefix), ":")
	gs, err := s.st.ListTeamGrants(ctx, s.org.Name, teamID)
	if err != nil {
		return "", err
	}
	for _, g := range gs {
		if g.EntityID == entityID {
			return describeTeamGrant(g), nil
		}
	}
	return "per-entity grant on " + entityID + " (removed)", nil
}

// teamGrantsJSON renders a team's grants as Pulumi's Team.stacks and Team.environments.
func teamGrantsJSON(gs []store.TeamGrant, out *apitype.Team) {
	for _, g := range gs {
		switch g.Kind {
		case authz.KindStack:
			level, _ := strconv.Atoi(g.Permission)
			out.Stacks = append(out.Stacks, apitype.TeamStackPermission{ProjectName: g.Project, StackName: g.Name, Permission: level})
		case authz.KindEnvironment:
			e := apitype.TeamEnvironmentPermission{ProjectName: g.Project, EnvName: g.Name, Permission: g.Permission}
			if g.MaxOpenDuration > 0 {
				e.MaxOpenDuration = (time.Duration(g.MaxOpenDuration) * time.Second).String()
			}
			out.Environments = append(out.Environments, e)
		}
	}
}

// teamGrantOp is one legacy grant change of a team PATCH, validated and resolved.
type teamGrantOp struct {
	attr   string // the request field
	remove bool
	edit   bool // the team must hold a grant on the entity already
	grant  store.TeamGrant
	set    string // the built-in set's identifier (add and edit)
}

// teamGrantOps validates the legacy grant fields of req and resolves their entities. A grant
// on an entity the caller may not read is refused as if the entity did not exist.
func (s *Server) teamGrantOps(ctx context.Context, c *call, t store.Team, req *apitype.UpdateTeamRequest) ([]teamGrantOp, error) {
	var ops []teamGrantOp
	stack := func(attr string, p *apitype.TeamStackPermission, edit bool) {
		if p != nil {
			ops = append(ops, teamGrantOp{attr: attr, edit: edit, grant: store.TeamGrant{Kind: authz.KindStack, Project: p.ProjectName, Name: p.StackName, Permission: strconv.Itoa(p.Permission)}})
		}
	}
	env := func(attr string, p *apitype.TeamEnvironmentPermission, edit bool) error {
		if p == nil {
			return nil
		}
		g := store.TeamGrant{Kind: authz.KindEnvironment, Project: p.ProjectName, Name: p.EnvName, Permission: p.Permission}
		if p.MaxOpenDuration != "" {
			d, err := time.ParseDuration(p.MaxOpenDuration)
			if err != nil || d < time.Second || d > maxOpenBound || d%time.Second != 0 {
				return invalid("team", attr+".maxOpenDuration", "%q is not a duration of whole seconds between 1s and %s, such as \"1h30m\"", p.MaxOpenDuration, maxOpenBound)
			}
			g.MaxOpenDuration = int64(d / time.Second)
		}
		ops = append(ops, teamGrantOp{attr: attr, edit: edit, grant: g})
		return nil
	}
	stack("addStackPermission", req.AddStackPermission, false)
	stack("editStackPermission", req.EditStackPermission, true)
	if r := req.RemoveStack; r != nil {
		ops = append(ops, teamGrantOp{attr: "removeStack", remove: true, grant: store.TeamGrant{Kind: authz.KindStack, Project: r.ProjectName, Name: r.StackName}})
	}
	if err := env("addEnvironmentPermission", req.AddEnvironmentPermission, false); err != nil {
		return nil, err
	}
	if err := env("editEnvironmentPermission", req.EditEnvironmentPermission, true); err != nil {
		return nil, err
	}
	if r := req.RemoveEnvironment; r != nil {
		ops = append(ops, teamGrantOp{attr: "removeEnvironment", remove: true, grant: store.TeamGrant{Kind: authz.KindEnvironment, Project: r.ProjectName, Name: r.EnvName}})
	}
	if len(ops) == 0 {
		return nil, nil
	}
	held, err := s.st.ListTeamGrants(ctx, s.org.Name, t.ID)
	if err != nil {
		return nil, err
	}
	for i := range ops {
		op := &ops[i]
		g := &op.grant
		if !op.remove {
			var ok bool
			if op.set, ok = grantSet(*g); !ok {
				if g.Kind == authz.KindStack {
					return nil, invalid("team", op.attr+".permission", "%s is not a stack permission: use 101 (read), 102 (write), 103 (admin) or 104 (creator, as admin); remove the grant with removeStack", g.Permission)
				}
				return nil, invalid("team", op.attr+".permission", "%q is not an environment permission: use read, open, write or admin; remove the grant with removeEnvironment", g.Permission)
			}
		}
		field := "stackName"
		if g.Kind == authz.KindEnvironment {
			field = "envName"
		}
		if g.Project == "" || g.Name == "" {
			return nil, invalid("team", op.attr, "projectName and %s are required", field)
		}
		e, err := s.ents.get(ctx, g.Kind, g.Project, g.Name)
		if errors.Is(err, store.ErrNotFound) || err == nil && !mayRead(c.principal.index, e) {
			nf := notFound("team", "%s %s/%s not found", g.Kind, s.org.Name, qualified(g.Project, g.Name))
			nf.fields[0].Attribute = op.attr
			return nil, nf
		}
		if err != nil {
			return nil, err
		}
		g.TeamID, g.EntityID = t.ID, e.ID
		if op.remove || op.edit {
			found := false
			for _, h := range held {
				found = found || h.EntityID == e.ID
			}
			if !found {
				nf := notFound("team", "team %q has no permission on %s %s", t.Name, g.Kind, qualified(g.Project, g.Name))
				nf.fields[0].Attribute = op.attr
				return nil, nf
			}
		}
		if !op.remove {
			// Every member and token of the team gains the grant: the caller must hold it.
			ix, err := authz.Compile(teamGrantTree(s.org.Name, *g, op.set), newRecordTrees(ctx, s.st, s.org.Name).budget(0))
			if err != nil {
				return nil, err
			}
			if err := c.mayHandOut(ix, "team", op.attr, fmt.Sprintf("cannot give team %q %s", t.Name, describeTeamGrant(*g))); err != nil {
				return nil, err
			}
		}
	}
	return ops, nil
}

// applyTeamGrantOps stores the changes teamGrantOps validated.
func (s *Server) applyTeamGrantOps(ctx context.Context, t store.Team, ops []teamGrantOp) error {
	for _, op := range ops {
		var err error
		if op.remove {
			err = s.st.RemoveTeamGrant(ctx, s.org.Name, t.ID, op.grant.EntityID)
		} else {
			err = s.st.SetTeamGrant(ctx, s.org.Name, op.grant)
		}
		if errors.Is(err, store.ErrNotFound) {
			nf := notFound("team", "team %q or %s %s is gone", t.Name, op.grant.Kind, qualified(op.grant.Project, op.grant.Name))
			nf.fields[0].Attribute = op.attr
			return nf
		}
		if err != nil {
			return err
		}
	}
	return nil
}
