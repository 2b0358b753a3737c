package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// uxPurposes this server stores. Pulumi's role_private/role_temporary/role_user_private are
// console-internal and not accepted here.
var uxPurposes = []string{"role", "set", "policy"}

// parseResourceType reads a record's resourceType ("" = global): "global" or an entity kind,
// spelled as authz.EntityKind.ResourceType prints it.
func parseResourceType(rt string) (authz.EntityKind, error) {
	if rt == "" {
		return authz.KindOrg, nil
	}
	if k, err := authz.ParseEntityKind(rt); err == nil && k.ResourceType() == rt {
		return k, nil
	}
	names := []string{authz.KindOrg.ResourceType()}
	for _, k := range authz.EntityKinds {
		names = append(names, k.ResourceType())
	}
	return 0, invalid("role", "resourceType", "%q is not one of %s", rt, strings.Join(names, ", "))
}

const (
	maxRoleName        = 100
	maxRoleDescription = 1024
)

func roleJSON(r store.Record) apitype.Role {
	return apitype.Role{
		ID: r.ID, OrgID: r.Org, Name: r.Name, Description: r.Description, ResourceType: r.ResourceType,
		UXPurpose: apitype.UXPurpose(r.UXPurpose), Details: r.Details, Version: r.Version,
		Created: r.Created, Modified: r.Modified, IsOrgDefault: r.IsOrgDefault, DefaultIdentifier: r.DefaultIdentifier,
	}
}

func (s *Server) getRecord(ctx context.Context, id string) (store.Record, error) {
	rec, err := s.st.GetRecord(ctx, s.org.Name, id)
	if errors.Is(err, store.ErrNotFound) {
		return store.Record{}, notFound("role", "no role, permission set or policy with ID %q in %s", id, s.org.Name)
	}
	return rec, err
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, c *call) error {
	purpose := r.URL.Query().Get("uxPurpose")
	if purpose == "" {
		return fieldError("role", "uxPurpose", apitype.ErrorTypeRequired, "query parameter required: one of %s", strings.Join(uxPurposes, ", "))
	}
	if !slices.Contains(uxPurposes, purpose) {
		return invalid("role", "uxPurpose", "%q is not one of %s", purpose, strings.Join(uxPurposes, ", "))
	}
	size, err := pageSize(r, "role")
	if err != nil {
		return err
	}
	list := listName("roles", purpose)
	pos, err := s.readContinuation(r, "role", list, 2)
	if err != nil {
		return err
	}
	var after *store.RecordPos
	if pos != nil {
		after = &store.RecordPos{Custom: pos[0] == "custom", Name: pos[1]}
	}
	def, err := s.defaultRoleID(r.Context())
	if err != nil {
		return err
	}
	// Built-in records come first (clients find them on the first page), then custom ones by
	// name. Records are read in small chunks, so that large details do not all sit in memory.
	resp := apitype.ListRolesResponse{}
	bytes, more := 0, false
	for !more {
		want := min(size-len(resp.Roles)+1, 25) // +1 looks past the page's end
		recs, err := s.st.ListRecordsPage(r.Context(), s.org.Name, purpose, after, want)
		if err != nil {
			return err
		}
		for _, rec := range recs {
			if len(resp.Roles) == size || len(resp.Roles) > 0 && bytes+len(rec.Details) > maxRolePageBytes {
				more = true
				break
			}
			bytes += len(rec.Details)
			rec.IsOrgDefault = rec.ID == def
			resp.Roles = append(resp.Roles, roleJSON(rec))
			after = &store.RecordPos{Custom: rec.DefaultIdentifier == "", Name: rec.Name}
		}
		if len(recs) < want {
			break
		}
	}
	if more {
		kind := "builtin"
		if after.Custom {
			kind = "custom"
		}
		resp.ContinuationToken = s.continuation(list, kind, after.Name)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// defaultRoleID is the org's default role (as stored: another replica may have changed it).
func (s *Server) defaultRoleID(ctx context.Context) (string, error) {
	org, err := s.st.GetOrg(ctx, s.org.Name)
	if err != nil {
		return "", err
	}
	if org.DefaultRoleID == "" {
		return builtinID(s.org.Name, "member"), nil
	}
	return org.DefaultRoleID, nil
}

// writeRole answers with one record, marked when it is the org's default role.
func (s *Server) writeRole(ctx context.Context, w http.ResponseWriter, rec store.Record) error {
	def, err := s.defaultRoleID(ctx)
	if err != nil {
		return err
	}
	rec.IsOrgDefault = rec.ID == def
	writeJSON(w, http.StatusOK, roleJSON(rec))
	return nil
}

func (s *Server) getRole(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	return s.writeRole(r.Context(), w, rec)
}

func (s *Server) listScopes(w http.ResponseWriter, r *http.Request, c *call) error {
	resp := apitype.ListScopesResponse{}
	groups := map[string]map[string]int{} // bucket → group name → index
	for _, sc := range authz.Scopes() {
		bucket := sc.Kind.ResourceType()
		if groups[bucket] == nil {
			groups[bucket] = map[string]int{}
		}
		i, ok := groups[bucket][sc.Group]
		if !ok {
			i = len(resp[bucket])
			groups[bucket][sc.Group] = i
			resp[bucket] = append(resp[bucket], apitype.ScopeGroup{Name: sc.Group})
		}
		resp[bucket][i].Scopes = append(resp[bucket][i].Scopes, apitype.Scope{
			Name: sc.Name, Metadata: apitype.ScopeMetadata{Description: sc.Description, EntityKind: sc.Kind.String()},
		})
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// checkedDetails validates a record's details: grammar, Compose references (existing sets or
// policies of this org, no cycles), the limits of the compiled tree, the scope kinds of typed
// sets, and the escalation guard: the caller must already hold everything the record could
// grant. An update (selfID set) of a set or policy is also checked against every record that
// composes it, transitively: none may stop compiling. It returns the details to store: as the
// caller sent them, compacted (Pulumi Cloud returns them as sent; the canonical form is only
// for comparison and indexes), and the record IDs they compose.
func (s *Server) checkedDetails(ctx context.Context, c *call, self store.Record, kind authz.EntityKind, raw []byte) (stored []byte, refs []string, err error) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil, required("role", "details")
	}
	root, err := authz.Parse(raw)
	if err != nil {
		return nil, nil, detailsError("role", "details", err)
	}
	// What is stored is raw compacted: never longer than raw, which Parse bounded by
	// MaxDetailsBytes, so stored details always load again.
	size := compactLen(raw)
	trees := newRecordTrees(ctx, s.st, s.org.Name)
	refs = authz.References(root)
	for _, id := range refs {
		if id == self.ID {
			return nil, nil, invalid("role", "details", "a record cannot compose itself (%s)", id)
		}
		ref, err := trees.get(id)
		if ref == nil {
			return nil, nil, err // the store failed
		}
		if err != nil {
			return nil, nil, invalid("role", "details", "Compose references %q, which is not a permission set or policy of %s", id, s.org.Name)
		}
		if ref.rec.UXPurpose != "set" && ref.rec.UXPurpose != "policy" {
			return nil, nil, invalid("role", "details", "Compose references %s %q (%s); only permission sets and policies can be composed", ref.rec.UXPurpose, ref.rec.Name, id)
		}
	}
	if self.ID != "" {
		trees.set(self, root, size) // a cycle through the record is checked with its new content
	}
	ix, err := authz.Compile(root, trees.budget(size))
	if err != nil {
		return nil, nil, invalid("role", "details", "%v", err)
	}
	if self.UXPurpose == "set" && kind != authz.KindOrg {
		for _, g := range ix.Grants() {
			if g.Kind != kind {
				return nil, nil, invalid("role", "details", "a %s permission set may only hold %s scopes; %s acts on %s", kind, kind, strings.Join(g.Scopes.Names(), ", "), g.Kind)
			}
		}
	}
	if err := c.mayHandOut(ix, "role", "details", "cannot grant more than it holds"); err != nil {
		return nil, nil, err
	}
	if self.ID != "" && self.UXPurpose != "role" {
		if err := s.checkComposers(ctx, trees, self); err != nil {
			return nil, nil, err
		}
	}
	var compact bytes.Buffer
	compact.Grow(size)
	if err := json.Compact(&compact, raw); err != nil || compact.Len() > authz.MaxDetailsBytes { // Parse accepted it: cannot happen
		return nil, nil, fmt.Errorf("compacting accepted details: %d bytes, %v", compact.Len(), err)
	}
	return compact.Bytes(), refs, nil
}

// compactLen is the length of valid JSON data without insignificant whitespace.
func compactLen(data []byte) int {
	n, inString, escaped := 0, false, false
	for _, c := range data {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			continue
		}
		n++
	}
	return n
}

// maxComposers bounds how many records an update of one set or policy re-checks.
const maxComposers = 1000

// checkComposers re-checks every record that composes self, transitively, with self's new
// content (already set in trees): an update that would make any of them fail to compile (a
// cycle, a chain too deep, an expansion or details past the limits) is refused with a 409
// naming it, so that nothing bound to a role can lose its rights behind the binder's back and
// regain them later. Each record is read and parsed once for the whole check.
func (s *Server) checkComposers(ctx context.Context, trees *recordTrees, self store.Record) error {
	seen := map[string]bool{self.ID: true}
	queue := []string{self.ID}
	for len(queue) > 0 {
		id := queue[0]
		queue = queue[1:]
		referrers, err := s.st.Referrers(ctx, s.org.Name, id)
		if err != nil {
			return err
		}
		for _, ref := range referrers {
			if seen[ref.ID] {
				continue
			}
			seen[ref.ID] = true
			if len(seen) > maxComposers {
				return refused("role", "details", "%s %q is composed by more than %d records, too many to re-check; compose it less widely", self.UXPurpose, self.Name, maxComposers)
			}
			queue = append(queue, ref.ID)
			p, err := trees.get(ref.ID)
			if p == nil {
				return err // the store failed
			}
			if err == nil {
				_, err = authz.Expand(p.node, trees.budget(p.size))
			}
			if err != nil {
				return refused("role", "details", "this change would break %s %q (%s), which composes %s %q: %v", ref.UXPurpose, ref.Name, ref.ID, self.UXPurpose, self.Name, err)
			}
		}
	}
	return nil
}

func validRoleText(name, description string) error {
	switch {
	case strings.TrimSpace(name) == "":
		return required("role", "name")
	case utf8.RuneCountInString(name) > maxRoleName || !utf8.ValidString(name):
		return invalid("role", "name", "at most %d characters of valid UTF-8", maxRoleName)
	case utf8.RuneCountInString(description) > maxRoleDescription || !utf8.ValidString(description):
		return invalid("role", "description", "at most %d characters of valid UTF-8", maxRoleDescription)
	}
	if p := textProblem(name, false); p != "" {
		return invalid("role", "name", "%s", p)
	}
	if p := textProblem(description, true); p != "" {
		return invalid("role", "description", "%s", p)
	}
	return nil
}

// nameTaken explains the store's ErrConflict on a record's name (an equal name or display key,
// unique per org and uxPurpose, store.DisplayKey): a 409 naming the record that holds it, read
// after the refusal in one indexed lookup; selfID is the record being renamed. The store decided
// it, inside the write's transaction, so two creates on two replicas cannot both pass.
func (s *Server) nameTaken(ctx context.Context, purpose, name, selfID string) error {
	holder, err := s.st.RecordHolding(ctx, s.org.Name, purpose, name)
	switch {
	case errors.Is(err, store.ErrNotFound) || err == nil && holder.ID == selfID: // gone since
	case err != nil:
		return err
	case holder.Name != name:
		return conflict("role", "name", "%q would display like the %s %q (%s); role names are unique ignoring case and Unicode compatibility forms", name, purpose, holder.Name, holder.ID)
	}
	return conflict("role", "name", "a %s named %q already exists in %s", purpose, name, s.org.Name)
}

func (s *Server) createRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateRoleRequest
	return s.create(w, r, c, "role", &req, func() (int, any, error) {
		if err := validRoleText(req.Name, req.Description); err != nil {
			return 0, nil, err
		}
		purpose := string(req.UXPurpose)
		if purpose == "" {
			purpose = "role"
		}
		if !slices.Contains(uxPurposes, purpose) {
			return 0, nil, invalid("role", "uxPurpose", "%q is not one of %s", purpose, strings.Join(uxPurposes, ", "))
		}
		kind, err := parseResourceType(req.ResourceType)
		if err != nil {
			return 0, nil, err
		}
		details, refs, err := s.checkedDetails(r.Context(), c, store.Record{UXPurpose: purpose}, kind, req.Details)
		if err != nil {
			return 0, nil, err
		}
		now := s.stamp()
		rec := store.Record{
			ID: newID(), Org: s.org.Name, Name: req.Name, Description: req.Description, ResourceType: kind.ResourceType(),
			UXPurpose: purpose, Details: details, Refs: refs, Version: 1, Created: now, Modified: now,
		}
		if err := s.st.CreateRecord(s.limited(r.Context(), quotaRoles), rec); err != nil {
			if errors.Is(err, store.ErrConflict) {
				return 0, nil, s.nameTaken(r.Context(), purpose, rec.Name, "")
			}
			return 0, nil, s.quotaErr("role", quotaRoles, err)
		}
		// A new record is composed by nothing yet: no compiled role depends on it.
		return http.StatusOK, roleJSON(rec), nil
	})
}

func (s *Server) updateRole(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.UpdateRoleRequest
	if _, err := decodeBody(r, "role", &req); err != nil {
		return err
	}
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	if rec.DefaultIdentifier != "" {
		return errorf(http.StatusBadRequest, "%q is a built-in %s and cannot be changed; create a custom one instead", rec.Name, rec.UXPurpose)
	}
	expected := rec.Version
	if req.Version != nil {
		expected = *req.Version
	} else if m := r.Header.Get("If-Match"); m != "" {
		v, err := strconv.Atoi(strings.Trim(m, `"W/`))
		if err != nil {
			return invalid("role", "If-Match", "want the record's version number")
		}
		expected = v
	}
	if expected != rec.Version {
		return refused("role", "version", "role %q is at version %d, not %d: it changed since you read it; read it again and retry", rec.Name, rec.Version, expected)
	}
	next := rec
	if req.Name != nil {
		next.Name = *req.Name
	}
	if req.Description != nil {
		next.Description = *req.Description
	}
	if err := validRoleText(next.Name, next.Description); err != nil {
		return err
	}
	if len(req.Details) > 0 && string(req.Details) != "null" {
		kind, err := authz.ParseEntityKind(rec.ResourceType)
		if err != nil {
			return fmt.Errorf("record %s: stored resourceType: %w", rec.ID, err)
		}
		if next.Details, next.Refs, err = s.checkedDetails(r.Context(), c, next, kind, req.Details); err != nil {
			return err
		}
	}
	if next.Name == rec.Name && next.Description == rec.Description && string(next.Details) == string(rec.Details) {
		return s.writeRole(r.Context(), w, rec) // nothing changes: no new version
	}
	next.Version = rec.Version + 1
	next.Modified = s.stamp()
	if err := s.st.UpdateRecord(r.Context(), next, rec.Version); err != nil {
		switch {
		case errors.Is(err, store.ErrVersionConflict):
			return refused("role", "version", "role %q changed concurrently; read it again and retry", rec.Name)
		case errors.Is(err, store.ErrConflict):
			return s.nameTaken(r.Context(), rec.UXPurpose, next.Name, rec.ID)
		}
		return err
	}
	s.indexes.invalidate(rec.ID)
	return s.writeRole(r.Context(), w, next)
}

func (s *Server) deleteRole(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	if rec.DefaultIdentifier != "" {
		return errorf(http.StatusBadRequest, "%q is a built-in %s and cannot be deleted", rec.Name, rec.UXPurpose)
	}
	def, err := s.defaultRoleID(r.Context())
	if err != nil {
		return err
	}
	if rec.ID == def {
		return refused("role", "roleID", "%q is the organization's default role; make another role the default first", rec.Name)
	}
	referrers, err := s.st.Referrers(r.Context(), s.org.Name, rec.ID)
	if err != nil {
		return err
	}
	if len(referrers) > 0 { // even with force: deleting would break them
		names := make([]string, len(referrers))
		for i, ref := range referrers {
			names[i] = fmt.Sprintf("%s %q (%s)", ref.UXPurpose, ref.Name, ref.ID)
		}
		return refused("role", "roleID", "%q is composed by %s; remove it from them first", rec.Name, strings.Join(names, ", "))
	}
	force := r.URL.Query().Get("force") == "true"
	if !force {
		const shown = 10
		// Tokens exchanged for OIDC ID tokens do not block: they are ephemeral, and the delete
		// revokes them (store.DeleteRecord).
		toks, err := s.st.ListTokensPage(r.Context(), store.TokenQuery{Org: s.org.Name, Filter: store.TokensAll, RoleID: rec.ID, Minted: true, Limit: shown + 1})
		if err != nil {
			return err
		}
		if len(toks) > 0 {
			names := make([]string, 0, shown+1)
			for _, t := range toks[:min(len(toks), shown)] {
				names = append(names, strconv.Quote(t.Name))
			}
			if len(toks) > shown {
				names = append(names, "and more")
			}
			return refused("role", "roleID", "%q is used by token(s) %s; delete them first, or pass ?force=true to delete the role and leave those tokens without rights", rec.Name, strings.Join(names, ", "))
		}
		members, err := s.st.ListMembersByRole(r.Context(), s.org.Name, rec.ID)
		if err != nil {
			return err
		}
		teams, err := s.st.ListTeamsByRole(r.Context(), s.org.Name, rec.ID)
		if err != nil {
			return err
		}
		if len(members) > 0 || len(teams) > 0 {
			var names []string
			for _, m := range members {
				names = append(names, "member "+strconv.Quote(m.User.Login))
			}
			for _, t := range teams {
				names = append(names, "team "+strconv.Quote(t.Name))
			}
			return refused("role", "roleID", "%q is held by %s; assign them another role first, or pass ?force=true to delete it and leave them without its rights", rec.Name, strings.Join(names, ", "))
		}
	}
	if rec.UXPurpose == "role" {
		if err := s.noteExchangedRevoked(r.Context(), c, rec.ID); err != nil {
			return err
		}
	}
	if err := s.st.DeleteRecord(r.Context(), s.org.Name, rec.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.indexes.invalidate(rec.ID)
	// The store revoked the exchanged tokens holding the role: refuse them at once.
	s.tokens.evictWhere(func(t store.Token) bool { return t.IssuerID != "" && t.RoleID == rec.ID })
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// noteExchangedRevoked notes in the delete's audit record the tokens exchanged for OIDC ID
// tokens that hold the role, which the delete revokes in its transaction (a token exchanged
// meanwhile is revoked too, unnamed).
func (s *Server) noteExchangedRevoked(ctx context.Context, c *call, roleID string) error {
	const shown = 20
	all, err := s.st.ListTokensPage(ctx, store.TokenQuery{Org: s.org.Name, Filter: store.TokensAll, RoleID: roleID, Limit: 200})
	if err != nil {
		return err
	}
	var ids []string
	for _, t := range all {
		if t.IssuerID != "" {
			ids = append(ids, t.ID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	more := ""
	if len(ids) > shown || len(all) == 200 {
		ids, more = ids[:min(len(ids), shown)], " and more"
	}
	c.detail = fmt.Sprintf("revoked the tokens exchanged for OIDC ID tokens that held the role: %s%s", strings.Join(ids, ", "), more)
	return nil
}

func (s *Server) setDefaultRole(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	if rec.UXPurpose != "role" {
		return invalid("role", "roleID", "Invalid role type: %q is a %s, not a role", rec.Name, rec.UXPurpose)
	}
	// The default role is what role-less tokens (and, later, new members) get: making a role
	// the default hands out its rights, so the caller must hold them.
	if err := s.mayBind(r.Context(), c, rec.ID, "role", "roleID", fmt.Sprintf("cannot make %q the default role", rec.Name)); err != nil {
		return err
	}
	if err := s.st.SetDefaultRole(r.Context(), s.org.Name, rec.ID); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

func (s *Server) listRoleTokens(w http.ResponseWriter, r *http.Request, c *call) error {
	rec, err := s.getRecord(r.Context(), r.PathValue("roleID"))
	if err != nil {
		return err
	}
	return s.listTokenPage(w, r, store.TokenQuery{Filter: store.TokensAll, RoleID: rec.ID}, listName("roletokens", rec.ID))
}
