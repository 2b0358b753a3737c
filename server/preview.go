package server

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// Bounds of one preview: the entities compared (per kind), the principals compared and the
// changes listed. Past them the answer says Truncated.
const (
	maxPreviewEntities   = 20_000
	maxPreviewPrincipals = 1_000
	maxPreviewChanges    = 2_000
)

// previewRole answers POST /api/orgs/{org}/roles/{roleID}/preview: what the effective access of
// every principal holding the record would become with new details, compared with today's, as
// gains and losses per principal and entity. Nothing is stored. The caller needs role:read (the
// route) and sees only the principals and entities it may read itself.
func (s *Server) previewRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.RolePreviewRequest
	if _, err := decodeBody(r, "rolePreview", &req); err != nil {
		return err
	}
	if len(req.Details) == 0 || string(req.Details) == "null" {
		return required("rolePreview", "details")
	}
	ctx := r.Context()
	rec, err := s.getRecord(ctx, r.PathValue("roleID"))
	if err != nil {
		return err
	}
	root, err := authz.Parse(req.Details)
	if err != nil {
		return detailsError("rolePreview", "details", err)
	}
	resp := apitype.RolePreviewResponse{Role: rec.ID, Name: rec.Name, Changes: []apitype.AccessChange{}, Roles: []apitype.PreviewedRole{}}
	if rec.DefaultIdentifier != "" {
		resp.Refused = fmt.Sprintf("%q is a built-in %s and cannot be changed", rec.Name, rec.UXPurpose)
	} else if kind, kerr := authz.ParseEntityKind(rec.ResourceType); kerr != nil {
		return fmt.Errorf("record %s: stored resourceType: %w", rec.ID, kerr)
	} else if _, _, cerr := s.checkedDetails(ctx, c, rec, kind, req.Details); cerr != nil {
		ae := (*apiError)(nil)
		if !errors.As(cerr, &ae) {
			return cerr
		}
		resp.Refused = ae.msg
	}
	next := newRecordTrees(ctx, s.st, s.org.Name)
	next.set(rec, root, compactLen(req.Details))

	// The roles whose rights change: the record (when a role) and every role composing it.
	roles, err := s.affectedRoles(ctx, rec)
	if err != nil {
		return err
	}
	roleIx := map[string]pair{}
	for _, role := range roles {
		before, err := s.indexes.compile(ctx, role.ID)
		if err != nil {
			return err
		}
		after, err := s.indexes.compileWith(ctx, role.ID, next)
		if err != nil {
			return err
		}
		if after.err != nil {
			return invalid("rolePreview", "details", "role %q would not compile: %v", role.Name, after.err)
		}
		roleIx[role.ID] = pair{orEmpty(before), after.ix}
		resp.Roles = append(resp.Roles, apitype.PreviewedRole{ID: role.ID, Name: role.Name})
	}

	// The (entity, scopes) cells where some affected role's rights differ: only there can any
	// principal's effective rights differ (rights are a union).
	type cell struct {
		e      store.Entity
		target authz.Entity
		scopes authz.ScopeSet
	}
	var cells []cell
	caller := c.principal.index
	pairs := make([]pair, 0, len(roleIx))
	kinds := map[authz.EntityKind]bool{} // the kinds some affected role grants on, before or after: only they can change
	for _, p := range roleIx {
		pairs = append(pairs, p)
		for _, ix := range []*authz.Index{p.old, p.new} {
			for _, g := range ix.Grants() {
				kinds[g.Kind] = true
			}
		}
	}
	consider := func(e store.Entity, target authz.Entity, scopes []authz.ScopeID) {
		var diff authz.ScopeSet
		for _, id := range scopes {
			for _, p := range pairs {
				if p.old.Decide(id, target) != p.new.Decide(id, target) {
					diff.Add(id)
					break
				}
			}
		}
		if !diff.Empty() {
			cells = append(cells, cell{e, target, diff})
		}
	}
	if len(pairs) > 0 {
		consider(store.Entity{Kind: authz.KindOrg}, authz.OrgEntity, authz.ScopesOfKind(authz.KindOrg).IDs())
		for _, kind := range authz.EntityKinds {
			if !kinds[kind] {
				continue
			}
			scopes := authz.ScopesOfKind(kind).IDs()
			if ids, ok := pinnedOnly(pairs, kind); ok {
				// Every grant of this kind names its entities: only those can change.
				es, err := s.entitiesByID(ctx, kind, ids)
				if err != nil {
					return err
				}
				for _, e := range es {
					resp.EntitiesScanned++
					if !mayRead(caller, e) {
						resp.HiddenEntities++
						continue
					}
					consider(e, targetOf(e), scopes)
				}
				continue
			}
			var after *store.EntityPos
			for scanned := 0; ; {
				if scanned >= maxPreviewEntities {
					resp.Truncated = true
					break
				}
				page, err := s.st.ListEntitiesPage(ctx, s.org.Name, kind, "", after, min(1000, maxPreviewEntities-scanned))
				if err != nil {
					return err
				}
				for _, e := range page {
					scanned++
					resp.EntitiesScanned++
					if !mayRead(caller, e) {
						resp.HiddenEntities++
						continue
					}
					consider(e, targetOf(e), scopes)
				}
				if len(page) < 1000 {
					break
				}
				last := page[len(page)-1]
				after = &store.EntityPos{Project: last.Project, Name: last.Name}
			}
		}
	}

	// The principals holding an affected role, each compared on those cells.
	principals, hidden, err := s.roleHolders(ctx, caller, roles)
	if err != nil {
		return err
	}
	resp.HiddenPrinc = hidden
	if len(principals) > maxPreviewPrincipals {
		principals, resp.Truncated = principals[:maxPreviewPrincipals], true
	}
	resp.Principals = len(principals)
	// diff compares two compiled rights on the cells: per cell, the scopes gained and lost.
	type cellDiff struct {
		cell         int
		gained, lost []string
	}
	diff := func(before, after *authz.Index) []cellDiff {
		var out []cellDiff
		for i, cl := range cells {
			var gained, lost []string
			for _, id := range cl.scopes.IDs() {
				was, is := before.Decide(id, cl.target) == authz.Allowed, after.Decide(id, cl.target) == authz.Allowed
				switch {
				case is && !was:
					gained = append(gained, authz.Scopes()[id].Name)
				case was && !is:
					lost = append(lost, authz.Scopes()[id].Name)
				}
			}
			if gained != nil || lost != nil {
				out = append(out, cellDiff{i, nonNilStrings(gained), nonNilStrings(lost)})
			}
		}
		return out
	}
	byRole := map[string][]cellDiff{} // org tokens of one role share its rights: compared once
principals:
	for _, p := range principals {
		var diffs []cellDiff
		if p.roleID != "" { // an org token: its role's rights
			d, ok := byRole[p.roleID]
			if !ok {
				d = diff(roleIx[p.roleID].old, roleIx[p.roleID].new)
				byRole[p.roleID] = d
			}
			diffs = d
		} else {
			b, err := s.indexes.role(ctx, p.key) // today's rights, as the cache holds them
			if err != nil {
				return err
			}
			a, err := s.indexes.compileWith(ctx, p.key, next)
			if err != nil {
				return err
			}
			diffs = diff(orEmpty(b), orEmpty(a))
		}
		for _, d := range diffs {
			if len(resp.Changes) == maxPreviewChanges {
				resp.Truncated = true
				break principals
			}
			cl := cells[d.cell]
			ref := apitype.EntityRef{Kind: apitype.EntityOrg}
			if cl.e.Kind != authz.KindOrg {
				ref = apitype.EntityRef{Kind: cl.e.Kind.String(), Project: cl.e.Project, Name: cl.e.Name, ID: cl.e.ID}
			}
			resp.Changes = append(resp.Changes, apitype.AccessChange{
				Principal: p.ref, PrincipalName: p.name, PrincipalType: p.typ, Entity: ref, Gained: d.gained, Lost: d.lost,
			})
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// pinnedOnly reports whether every grant of kind in the pairs' rights names its entities
// without a condition (the usual custom role), and returns those entities' IDs, at most
// maxPreviewEntities of them.
func pinnedOnly(pairs []pair, kind authz.EntityKind) ([]string, bool) {
	seen := map[string]bool{}
	var ids []string
	for _, p := range pairs {
		for _, ix := range p.indexes() {
			for _, g := range ix.Grants() {
				if g.Kind != kind {
					continue
				}
				if g.Entities == nil || g.Condition != "" {
					return nil, false
				}
				for _, id := range g.Entities {
					if !seen[id] {
						seen[id] = true
						ids = append(ids, id)
					}
				}
				if len(ids) > maxPreviewEntities {
					return nil, false
				}
			}
		}
	}
	return ids, true
}

// entitiesByID reads the entities of kind with these IDs that exist, ordered by project and
// name (as a scan would list them).
func (s *Server) entitiesByID(ctx context.Context, kind authz.EntityKind, ids []string) ([]store.Entity, error) {
	var out []store.Entity
	for _, id := range ids {
		e, err := s.st.GetEntityByID(ctx, s.org.Name, id)
		if errors.Is(err, store.ErrNotFound) {
			continue // a grant may name an entity deleted since
		}
		if err != nil {
			return nil, err
		}
		if e.Kind == kind {
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b store.Entity) int {
		if c := strings.Compare(a.Project, b.Project); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func orEmpty(cr compiledRole) *authz.Index {
	if cr.err != nil || cr.ix == nil {
		return emptyIndex
	}
	return cr.ix
}

// pair is a role's compiled rights before and after the edit.
type pair struct {
	old, new *authz.Index
}

func (p pair) indexes() [2]*authz.Index { return [2]*authz.Index{p.old, p.new} }

// affectedRoles is rec when it is a role, and every role composing it, transitively (at most
// maxComposers records are followed).
func (s *Server) affectedRoles(ctx context.Context, rec store.Record) ([]store.Record, error) {
	var roles []store.Record
	if rec.UXPurpose == "role" {
		roles = append(roles, rec)
	}
	seen := map[string]bool{rec.ID: true}
	queue := []string{rec.ID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		refs, err := s.st.Referrers(ctx, s.org.Name, id)
		if err != nil {
			return nil, err
		}
		for _, ref := range refs {
			if seen[ref.ID] {
				continue
			}
			seen[ref.ID] = true
			if len(seen) > maxComposers {
				return nil, refused("rolePreview", "roleID", "%q is composed by more than %d records, too many to preview", rec.Name, maxComposers)
			}
			queue = append(queue, ref.ID)
			if ref.UXPurpose == "role" {
				roles = append(roles, ref)
			}
		}
	}
	return roles, nil
}

// holder is a principal a preview compares: an org token (roleID set), a member or a team (key
// set: its compiled-rights cache key).
type holder struct {
	ref, name, typ string
	roleID, key    string
}

// roleHolders lists the org tokens, members and teams holding any of roles directly, and the
// members of those teams, each once; a class the caller may not read (org_token:read,
// org_member_access:read, team:read) is left out and counted in hidden.
func (s *Server) roleHolders(ctx context.Context, caller *authz.Index, roles []store.Record) (out []holder, hidden int, err error) {
	may := func(sc authz.Scope) bool { return caller.Decide(sc.ID, authz.OrgEntity) == authz.Allowed }
	seen := map[string]bool{}
	add := func(h holder, visible bool) {
		if seen[h.ref] {
			return
		}
		seen[h.ref] = true
		if !visible {
			hidden++
			return
		}
		out = append(out, h)
	}
	now := s.now().Unix()
	for _, role := range roles {
		toks, err := s.st.ListTokensByRole(ctx, s.org.Name, role.ID)
		if err != nil {
			return nil, 0, err
		}
		for _, t := range toks {
			if t.Kind != store.TokenOrganization || t.Expires != 0 && now >= t.Expires {
				continue
			}
			add(holder{ref: t.ID, name: t.Name, typ: "token", roleID: role.ID}, may(orgTokenRead))
		}
		members, err := s.st.ListMembersByRole(ctx, s.org.Name, role.ID)
		if err != nil {
			return nil, 0, err
		}
		for _, m := range members {
			add(holder{ref: userPrefix + m.User.Login, name: m.User.Login, typ: "user", key: userKey(m.User.ID)}, may(orgMemberAccessRead))
		}
		teams, err := s.st.ListTeamsByRole(ctx, s.org.Name, role.ID)
		if err != nil {
			return nil, 0, err
		}
		for _, t := range teams {
			add(holder{ref: teamPrefix + t.Name, name: t.Name, typ: "team", key: teamKey(t.ID)}, may(teamRead))
			users, err := s.st.ListTeamMembers(ctx, s.org.Name, t.ID)
			if err != nil {
				return nil, 0, err
			}
			for _, u := range users {
				add(holder{ref: userPrefix + u.Login, name: u.Login, typ: "user", key: userKey(u.ID)}, may(orgMemberAccessRead))
			}
		}
		if len(out)+hidden > maxPreviewPrincipals*2 {
			break
		}
	}
	slices.SortStableFunc(out, func(a, b holder) int {
		if c := strings.Compare(a.typ, b.typ); c != 0 {
			return c
		}
		return strings.Compare(a.name, b.name)
	})
	return out, hidden, nil
}
