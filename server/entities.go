package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/maphash"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// entityCache keeps entities by name and by ID so that authorizing a request on a stack or an
// access check does not hit the store each time. Writes through this server update it at once;
// those through another replica show within the cache TTL. Each entry also holds the entity as
// authz decides about it (targetOf, interned), built once when the entity is loaded.
//
// The table is keyed by a 64-bit hash of the key (seeded per process, so no tenant can aim
// names at one slot) and each entry holds its full key, compared on every hit: a probe is one
// 8-byte key match, and two keys with the same hash only evict each other (a miss, then a store
// read), never answer for each other. Deleting by hash may drop a colliding neighbour too,
// which only costs a read.
type entityCache struct {
	st      store.Store
	org     string
	entries *cache[uint64, *keyedEntity] // each entity under its ID key's and its name key's hash
}

// cachedEntity is an entity and its ready authz form (first: what a probe reads next).
type cachedEntity struct {
	target authz.Entity // targetOf(e).Interned()
	e      store.Entity
}

// keyedEntity is a cache entry: the full key it was stored under and the entity. A key of up to
// len(short) bytes (every ID key) is held in the entry itself, so that comparing it reads the
// entry's first cache line rather than another allocation.
type keyedEntity struct {
	n     uint8 // the key's length in short; 0: the key is long
	short [47]byte
	long  string
	cachedEntity
}

func newKeyedEntity(key string, ce cachedEntity) *keyedEntity {
	ke := &keyedEntity{cachedEntity: ce}
	if len(key) > 0 && len(key) <= len(ke.short) {
		ke.n = uint8(copy(ke.short[:], key))
	} else {
		ke.long = key
	}
	return ke
}

// is reports whether ke was stored under key.
func (ke *keyedEntity) is(key []byte) bool {
	if ke.n != 0 {
		return string(ke.short[:ke.n]) == string(key)
	}
	return ke.long == string(key)
}

func cached(e store.Entity) cachedEntity { return cachedEntity{e: e, target: targetOf(e).Interned()} }

// Keys: an ID key is a 0 byte and the ID; a name key is the kind's byte (kind+1), the project, a
// 0 byte and the name (names and IDs hold no 0 byte). appendIDKey and appendNameKey build them
// into a caller's buffer, so that a lookup does not allocate.
func appendIDKey(b []byte, id string) []byte { return append(append(b, 0), id...) }
func appendNameKey(b []byte, kind authz.EntityKind, project, name string) []byte {
	b = append(append(b, byte(kind)+1), project...)
	return append(append(b, 0), name...)
}
func idKey(id string) string { return string(appendIDKey(nil, id)) }
func nameKey(kind authz.EntityKind, project, name string) string {
	return string(appendNameKey(nil, kind, project, name))
}

// entityKeySeed seeds the key hashes: random per process.
var entityKeySeed = maphash.MakeSeed()

func keyHash(k string) uint64 { return maphash.String(entityKeySeed, k) }

func newEntityCache(st store.Store, org string, ttl time.Duration, now func() time.Time) *entityCache {
	return &entityCache{st: st, org: org, entries: newCache[uint64, *keyedEntity](ttl, 2*maxCached, now)}
}

// probe is the entry stored under key at the instant now, if any.
func (c *entityCache) probe(key []byte, now time.Time) (*keyedEntity, bool) {
	ke, _, ok := c.entries.GetAt(maphash.Bytes(entityKeySeed, key), now)
	if !ok || !ke.is(key) {
		return nil, false
	}
	return ke, true
}

func (c *entityCache) get(ctx context.Context, kind authz.EntityKind, project, name string) (store.Entity, error) {
	ce, err := c.loadByName(ctx, kind, project, name)
	return ce.e, err
}

func (c *entityCache) getByID(ctx context.Context, id string) (store.Entity, error) {
	ce, err := c.loadByID(ctx, id)
	return ce.e, err
}

func (c *entityCache) loadByName(ctx context.Context, kind authz.EntityKind, project, name string) (*cachedEntity, error) {
	if ke, ok := c.probe(appendNameKey(nil, kind, project, name), c.entries.now()); ok {
		return &ke.cachedEntity, nil
	}
	return c.fill(func() (store.Entity, error) { return c.st.GetEntity(ctx, c.org, kind, project, name) })
}

func (c *entityCache) loadByID(ctx context.Context, id string) (*cachedEntity, error) {
	if ke, ok := c.probe(appendIDKey(nil, id), c.entries.now()); ok {
		return &ke.cachedEntity, nil
	}
	return c.fill(func() (store.Entity, error) { return c.st.GetEntityByID(ctx, c.org, id) })
}

// fill reads an entity from the store and caches it under both its keys (one read serves the
// lookups by ID and by name), unless an invalidation happened during the read.
func (c *entityCache) fill(read func() (store.Entity, error)) (*cachedEntity, error) {
	gen := c.entries.Generation()
	e, err := read()
	if err != nil {
		return &cachedEntity{}, err
	}
	return c.put(gen, e), nil
}

// lookup finds an entity by ID (id set) or by kind, project and name at the instant now: one
// probe of the cache, with the key built in *scratch; the store is read on a miss. The entry
// returned is shared: read it, never write it.
func (c *entityCache) lookup(ctx context.Context, kind authz.EntityKind, id, project, name string, now time.Time, scratch *[]byte) (*cachedEntity, error) {
	if ke, ok := c.probe(c.keyOf(scratch, kind, id, project, name), now); ok {
		return &ke.cachedEntity, nil
	}
	if id != "" {
		return c.loadByID(ctx, id)
	}
	return c.loadByName(ctx, kind, project, name)
}

// keyOf builds in *scratch the key of an entity named by ID (id set) or by kind, project and
// name, and returns it.
func (c *entityCache) keyOf(scratch *[]byte, kind authz.EntityKind, id, project, name string) []byte {
	if id != "" {
		*scratch = appendIDKey((*scratch)[:0], id)
	} else {
		*scratch = appendNameKey((*scratch)[:0], kind, project, name)
	}
	return *scratch
}

// put caches an entity under both its keys; gen is the Generation read before the entity was
// read or written (an entity this server just created).
func (c *entityCache) put(gen uint64, e store.Entity) *cachedEntity {
	ce := cached(e)
	byID, byName := idKey(e.ID), nameKey(e.Kind, e.Project, e.Name)
	c.entries.Put(gen, keyHash(byID), newKeyedEntity(byID, ce))
	c.entries.Put(gen, keyHash(byName), newKeyedEntity(byName, ce))
	return &ce
}

// drop invalidates an entity after it was changed or deleted.
func (c *entityCache) drop(e store.Entity) {
	c.entries.Delete(keyHash(idKey(e.ID)), keyHash(nameKey(e.Kind, e.Project, e.Name)))
}

var entityPaths = map[authz.EntityKind]struct {
	project, name string // the path values naming one ({project}/{stack}); project "" when the kind has none
	nameField     string // the create body's field for the name
}{
	authz.KindStack:           {"project", "stack", "stackName"},
	authz.KindEnvironment:     {"project", "env", "name"},
	authz.KindInsightsAccount: {"", "account", "name"},
}

// qualified is "project/name", or the name alone for kinds without projects.
func qualified(project, name string) string {
	if project == "" {
		return name
	}
	return project + "/" + name
}

// label names an entity in audit entries, e.g. "stack:myapp/prod".
func label(kind authz.EntityKind, project, name string) string {
	return kind.String() + ":" + qualified(project, name)
}

func entityLabel(e store.Entity) string { return label(e.Kind, e.Project, e.Name) }

// pathLabel is the label of the entity a request's path names, for a request refused before the
// entity was looked up.
func pathLabel(kind authz.EntityKind, r *http.Request) string {
	p := entityPaths[kind]
	return label(kind, r.PathValue(p.project), r.PathValue(p.name))
}

// targetOf is the entity as authz sees it: identity, qualified name and the caller's tags.
func targetOf(e store.Entity) authz.Entity {
	return authz.Entity{Kind: e.Kind, ID: e.ID, Name: qualified(e.Project, e.Name), Tags: userTags(e.Tags)}
}

// pathEntity finds the entity of this kind that the request's path names, or a 404 naming it.
func (s *Server) pathEntity(r *http.Request, kind authz.EntityKind) (store.Entity, error) {
	p := entityPaths[kind]
	project, name := r.PathValue(p.project), r.PathValue(p.name)
	e, err := s.ents.get(r.Context(), kind, project, name)
	if errors.Is(err, store.ErrNotFound) {
		return store.Entity{}, notFound(kind.String(), "%s %s/%s not found", kind, s.org.Name, qualified(project, name))
	}
	return e, err
}

// Tag limits follow Pulumi's stack tags.
const (
	maxTags        = 100
	maxTagName     = authz.MaxTagName // the rules conditions are checked against (authz/tags.go)
	maxTagValue    = authz.MaxTagValue
	maxEntityName  = 100
	maxProjectName = 100
)

func validTags(resource string, tags map[string]string) error {
	if len(tags) > maxTags {
		return invalid(resource, "tags", "%d tags; at most %d are allowed", len(tags), maxTags)
	}
	for k, v := range tags {
		switch {
		case k == "":
			return invalid(resource, "tags", "a tag name is empty")
		case len(k) >= 7 && k[:7] == "pulumi:":
			return invalid(resource, "tags."+k, "tag names starting with \"pulumi:\" are reserved")
		case authz.CheckTagName(k) != "":
			return invalid(resource, "tags."+k, "tag names are at most %d characters of letters, digits, '-', '_', '.', ':' or '/'", maxTagName)
		case authz.CheckTagValue(v) != "":
			return invalid(resource, "tags."+k, "tag values are valid UTF-8 of at most %d bytes", maxTagValue)
		}
	}
	return nil
}

// newEntity validates and stores an entity.
func (s *Server) newEntity(ctx context.Context, kind authz.EntityKind, project, name string, tags map[string]string) (store.Entity, error) {
	resource, field := kind.String(), entityPaths[kind].nameField
	if project != "" || entityPaths[kind].project != "" {
		if err := validName("project", project, maxProjectName); err != nil {
			return store.Entity{}, invalid(resource, "project", "%s", err.Error())
		}
	}
	if err := validName(resource+" name", name, maxEntityName); err != nil {
		return store.Entity{}, invalid(resource, field, "%s", err.Error())
	}
	// The caller's tags; the server's own "pulumi:" tags (an account's provider) are added by
	// the handler after it validated the caller's, and would be refused as reserved here.
	if err := validTags(resource, userTags(tags)); err != nil {
		return store.Entity{}, err
	}
	now := s.stamp()
	e := store.Entity{ID: newID(), Org: s.org.Name, Kind: kind, Project: project, Name: name, Tags: tags, Created: now, Modified: now}
	gen := s.ents.entries.Generation()
	if err := s.st.CreateEntity(s.limited(ctx, quotaEntities), e); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return store.Entity{}, conflict(resource, field, "%s %s/%s already exists", kind, s.org.Name, qualified(project, name))
		}
		return store.Entity{}, s.quotaErr(resource, quotaEntities, err)
	}
	s.ents.put(gen, e)
	return e, nil
}

// deleteEntity deletes the entity the path names (any kind).
func (s *Server) deleteEntity(w http.ResponseWriter, r *http.Request, c *call) error {
	if err := s.st.DeleteEntity(r.Context(), s.org.Name, c.entity.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	s.ents.drop(c.entity)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// updateEntityTags replaces the tags of the entity the path names (any kind).
func (s *Server) updateEntityTags(w http.ResponseWriter, r *http.Request, c *call) error {
	resource := c.entity.Kind.String()
	var tags map[string]string
	if _, err := decodeBody(r, resource, &tags); err != nil {
		return err
	}
	if c.entity.Kind == authz.KindStack {
		// The CLI sends the stack's tags back whole (`pulumi stack tag set`), Pulumi's own
		// "pulumi:" tags included: those may come back as they are, and are kept.
		for k, v := range reservedTags(c.entity.Tags) {
			if got, ok := tags[k]; ok && got == v {
				delete(tags, k)
			}
		}
		if err := validTags(resource, tags); err != nil {
			return err
		}
		for k, v := range reservedTags(c.entity.Tags) {
			tags[k] = v
		}
	} else if err := validTags(resource, tags); err != nil {
		return err
	}
	if _, err := s.st.UpdateEntityTags(r.Context(), s.org.Name, c.entity.ID, tags, s.stamp()); err != nil {
		return err
	}
	s.ents.drop(c.entity) // the next read loads the new tags
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// visiblePage reads one page of the entities of kind (in project; "" = every project) that the
// caller may read (scope), ordered by project and name, and the continuation token when more
// may follow. When the caller's grants of scope name entities or tag pairs (authz.Select), the
// page comes from the tag index and the pinned IDs (selectedPage): its cost follows what the
// caller may see. Otherwise it scans, reading at most entityScanFactor pages' worth of rows: a
// caller who may read few of many entities gets short pages rather than one request that scans
// them all.
func (s *Server) visiblePage(r *http.Request, c *call, kind authz.EntityKind, project string, scope authz.Scope) ([]store.Entity, string, error) {
	return s.visiblePageTagged(r, c, kind, project, tagFilter{}, scope)
}

// tagFilter keeps the entities with tag Key (set), equal to Value when HasValue.
type tagFilter struct {
	Key, Value string
	HasValue   bool
}

func (f tagFilter) keeps(e store.Entity) bool {
	if f.Key == "" {
		return true
	}
	v, ok := e.Tags[f.Key] // reserved pulumi: tags too (pulumi stack ls --tag pulumi:project=…)
	return ok && (!f.HasValue || v == f.Value)
}

func (f tagFilter) String() string {
	switch {
	case f.Key == "":
		return ""
	case f.HasValue:
		return f.Key + "=" + f.Value
	}
	return f.Key
}

// visiblePageTagged is visiblePage keeping only the entities tag keeps (scanned entities that
// it drops count against the page's scan budget like unreadable ones).
func (s *Server) visiblePageTagged(r *http.Request, c *call, kind authz.EntityKind, project string, tag tagFilter, scope authz.Scope) ([]store.Entity, string, error) {
	resource := kind.String()
	size, err := pageSize(r, resource)
	if err != nil {
		return nil, "", err
	}
	list := listName(resource+"s", project)
	if tag.Key != "" {
		list = listName(resource+"s", project, "tag="+tag.String())
	}
	pos, err := s.readContinuation(r, resource, list, 2)
	if err != nil {
		return nil, "", err
	}
	var after *store.EntityPos
	if pos != nil {
		after = &store.EntityPos{Project: pos[0], Name: pos[1]}
	}
	if sel, ok := c.principal.index.Select(scope.ID); ok && !sel.All {
		out, last, err := s.selectedPage(r.Context(), c.principal.index, scope, kind, project, tag, sel, after, size)
		if len(out) > 0 { // the listing used its read scope (least privilege counts it)
			s.scopes.add(c.principal.token.ID, scope, s.now().Unix())
		}
		if err != nil || last == nil {
			return out, "", err
		}
		return out, s.continuation(list, last.Project, last.Name), nil
	}
	var out []store.Entity
	scanned, more := 0, false
	for !more {
		want := min(size+1, size*entityScanFactor-scanned)
		if want <= 0 {
			more = true // scan budget spent: the next page goes on from here
			break
		}
		es, err := s.st.ListEntitiesPage(r.Context(), s.org.Name, kind, project, after, want)
		if err != nil {
			return nil, "", err
		}
		scanned += len(es)
		for _, e := range es {
			if tag.keeps(e) && c.principal.index.Decide(scope.ID, targetOf(e)) == authz.Allowed {
				if len(out) == size {
					more = true // e starts the next page
					break
				}
				out = append(out, e)
			}
			after = &store.EntityPos{Project: e.Project, Name: e.Name}
		}
		if len(es) < want {
			break
		}
	}
	if len(out) > 0 { // the listing used its read scope (least privilege counts it)
		s.scopes.add(c.principal.token.ID, scope, s.now().Unix())
	}
	if !more {
		return out, "", nil
	}
	return out, s.continuation(list, after.Project, after.Name), nil
}

// selectedPage is visiblePage through the index: the entities sel names after the position,
// merged in project and name order, each decided again with Decide (guardrails, the rest of a
// condition). It returns the page and, when more may follow, the position of its last entity.
// Each round reads at most size+1 entities per tag set and of the pinned ones.
func (s *Server) selectedPage(ctx context.Context, ix *authz.Index, scope authz.Scope, kind authz.EntityKind, project string, tag tagFilter,
	sel authz.Selection, after *store.EntityPos, size int) ([]store.Entity, *store.EntityPos, error) {
	var out []store.Entity
	cur := after
	for round := 0; round < entityScanFactor; round++ {
		var cands []store.Entity
		var frontier *store.EntityPos // entities past it may be missing from this round
		stream := func(es []store.Entity, err error) error {
			if err != nil {
				return err
			}
			cands = append(cands, es...)
			if len(es) == size+1 {
				if last := posOf(es[len(es)-1]); frontier == nil || posLess(last, *frontier) {
					frontier = &last
				}
			}
			return nil
		}
		for _, tags := range sel.Tags {
			if err := stream(s.st.ListEntitiesByTags(ctx, s.org.Name, kind, project, tags, cur, size+1)); err != nil {
				return nil, nil, err
			}
		}
		if len(sel.IDs) > 0 {
			if err := stream(s.st.ListEntitiesByIDs(ctx, s.org.Name, kind, project, sel.IDs, cur, size+1)); err != nil {
				return nil, nil, err
			}
		}
		slices.SortFunc(cands, func(a, b store.Entity) int { return comparePos(posOf(a), posOf(b)) })
		for i, e := range cands {
			p := posOf(e)
			if frontier != nil && posLess(*frontier, p) {
				break
			}
			if i > 0 && cands[i-1].ID == e.ID {
				continue
			}
			if !tag.keeps(e) || ix.Decide(scope.ID, targetOf(e)) != authz.Allowed {
				cur = &p
				continue
			}
			if len(out) == size {
				last := posOf(out[size-1])
				return out, &last, nil
			}
			out = append(out, e)
			cur = &p
		}
		if frontier == nil {
			return out, nil, nil
		}
		cur = frontier
	}
	if len(out) == 0 {
		return out, cur, nil // most candidates were refused: go on from here
	}
	last := posOf(out[len(out)-1])
	return out, &last, nil
}

func posOf(e store.Entity) store.EntityPos { return store.EntityPos{Project: e.Project, Name: e.Name} }

func comparePos(a, b store.EntityPos) int {
	if c := strings.Compare(a.Project, b.Project); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

func posLess(a, b store.EntityPos) bool { return comparePos(a, b) < 0 }

// Stacks.

func stackJSON(org string, e store.Entity) apitype.Stack {
	return apitype.Stack{ID: e.ID, OrgName: org, ProjectName: e.Project, StackName: e.Name, Tags: e.Tags, Version: 1}
}

func (s *Server) createStack(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateStackRequest
	return s.create(w, r, c, authz.KindStack.String(), &req, func() (int, any, error) {
		switch {
		case len(req.Teams) > 0:
			return 0, nil, invalid("stack", "teams", "this server does not give teams access at stack creation; grant it with a role or a team grant")
		case req.Config != nil:
			return 0, nil, invalid("stack", "config", "this server keeps no stack config: it stays in Pulumi.<stack>.yaml")
		case req.CreateManagedEnvironment:
			return 0, nil, invalid("stack", "createManagedEnvironment", "this server has no ESC environments with values")
		}
		// The caller's tags, and Pulumi's own "pulumi:" tags that the CLI sends (hidden from
		// conditions).
		if err := stackTags(req.Tags); err != nil {
			return 0, nil, err
		}
		// The initial state the CLI sends with a stack of its own secrets provider (`pulumi
		// stack init --secrets-provider passphrase`): version 1 of the stack's state.
		var state []byte
		var resources int
		if req.State != nil {
			var err error
			if state, err = json.Marshal(req.State); err != nil {
				return 0, nil, err
			}
			if resources, err = untyped(state, "state"); err != nil {
				return 0, nil, err
			}
			if int64(len(state)) > s.cfg.MaxBodyBytes {
				return 0, nil, errorf(http.StatusRequestEntityTooLarge, "state: %d bytes; create the stack, then `pulumi stack import`", len(state))
			}
		}
		e, err := s.newEntity(r.Context(), authz.KindStack, r.PathValue("project"), req.StackName, req.Tags)
		if err != nil {
			return 0, nil, err
		}
		if state != nil {
			u := store.Update{ID: newID(), Org: s.org.Name, StackID: e.ID, Kind: "import", TokenID: c.principal.token.ID,
				Actor: c.principal.name(), Program: []byte(`{}`), Created: s.stamp()}
			if _, err := s.st.ImportCheckpoint(r.Context(), u, state, resources); err != nil {
				if derr := s.st.DeleteEntity(r.Context(), s.org.Name, e.ID); derr != nil {
					s.log.Error("removing a stack whose initial state failed", "stack", e.ID, "err", derr)
				}
				s.ents.drop(e)
				return 0, nil, err
			}
		}
		return http.StatusOK, stackJSON(s.org.Name, e), nil
	})
}

func (s *Server) getStack(w http.ResponseWriter, r *http.Request, c *call) error {
	st, err := s.stackResponse(r.Context(), c.entity)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) listStacks(w http.ResponseWriter, r *http.Request, c *call) error {
	// Without ?organization= (what `pulumi stack ls` sends), the stacks of the org this
	// server serves; another org's name is refused by admit.
	q := r.URL.Query()
	var tag tagFilter
	if name := q.Get("tagName"); name != "" {
		tag = tagFilter{Key: name, Value: q.Get("tagValue"), HasValue: q.Has("tagValue")}
	} else if q.Get("tagValue") != "" {
		return invalid("stacks", "tagValue", "tagValue needs tagName")
	}
	es, next, err := s.visiblePageTagged(r, c, authz.KindStack, q.Get("project"), tag, stackRead)
	if err != nil {
		return err
	}
	resp := apitype.ListStacksResponse{ContinuationToken: next}
	for _, e := range es {
		sum := apitype.StackSummary{ID: e.ID, OrgName: s.org.Name, ProjectName: e.Project, StackName: e.Name}
		// What `pulumi stack ls` shows: when it was last updated, how many resources it holds.
		st, err := s.st.GetStackState(r.Context(), s.org.Name, e.ID)
		if err != nil {
			return err
		}
		if !st.LastUpdate.IsZero() {
			last, n := st.LastUpdate.Unix(), st.Resources
			sum.LastUpdate, sum.ResourceCount = &last, &n
		}
		resp.Stacks = append(resp.Stacks, sum)
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// Environments.

func envJSON(org string, e store.Entity) apitype.Environment {
	return apitype.Environment{
		ID: e.ID, Organization: org, Project: e.Project, Name: e.Name, Tags: e.Tags,
		Created: e.Created.Format(timeFormat), Modified: e.Modified.Format(timeFormat),
	}
}

const timeFormat = "2006-01-02T15:04:05.000Z07:00"

func (s *Server) createEnvironment(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateEnvironmentRequest
	return s.create(w, r, c, authz.KindEnvironment.String(), &req, func() (int, any, error) {
		if req.Project == "" {
			return 0, nil, required(authz.KindEnvironment.String(), "project")
		}
		e, err := s.newEntity(r.Context(), authz.KindEnvironment, req.Project, req.Name, nil)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, envJSON(s.org.Name, e), nil
	})
}

func (s *Server) listEnvironments(w http.ResponseWriter, r *http.Request, c *call) error {
	es, next, err := s.visiblePage(r, c, authz.KindEnvironment, r.URL.Query().Get("project"), environmentRead)
	if err != nil {
		return err
	}
	resp := apitype.ListEnvironmentsResponse{NextToken: next}
	for _, e := range es {
		resp.Environments = append(resp.Environments, envJSON(s.org.Name, e))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

func (s *Server) getEnvironment(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, envJSON(s.org.Name, c.entity))
	return nil
}

// defaultOpenDuration is how long an open lasts when the request names no duration (ESC's
// default).
const defaultOpenDuration = 2 * time.Hour

var environmentOpen = authz.MustScope("environment:open")

// openEnvironment answers an open with a session ID. This reference server stores no
// environment values; the call exists so that `environment:open` is enforced and audited, and
// so is a MaxOpenDuration constraint: the duration asked for (query parameter `duration`, a Go
// duration such as "30m"; 2h when absent) is capped at the longest bound of the caller's
// grants that allow the open, and a cap is reported as a diagnostic.
func (s *Server) openEnvironment(w http.ResponseWriter, r *http.Request, c *call) error {
	asked := defaultOpenDuration
	if q := r.URL.Query().Get("duration"); q != "" {
		d, err := time.ParseDuration(q)
		if err != nil || d <= 0 {
			return invalid("environment", "duration", "%q is not a positive duration such as \"30m\" or \"2h\"", q)
		}
		asked = d
	}
	resp := apitype.OpenEnvironmentResponse{ID: newID()}
	if seconds, bounded := c.principal.index.MaxOpenDuration(environmentOpen.ID, targetOf(c.entity)); bounded {
		if limit := time.Duration(seconds) * time.Second; asked > limit {
			resp.Diagnostics = append(resp.Diagnostics, apitype.EnvironmentDiagnostic{
				Summary: fmt.Sprintf("open duration capped at %s: the token's role allows environment:open on %s for at most %s (MaxOpenDuration); %s was asked for",
					limit, qualified(c.entity.Project, c.entity.Name), limit, asked),
			})
		}
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// Insights accounts.

var insightsProviders = []string{apitype.InsightsProviderAWS, apitype.InsightsProviderGCP, apitype.InsightsProviderAzureNative, apitype.InsightsProviderOCI, apitype.InsightsProviderKubernetes}

func accountJSON(e store.Entity) apitype.InsightsAccount {
	return apitype.InsightsAccount{ID: e.ID, Name: e.Name, Provider: e.Tags["pulumi:provider"], Tags: userTags(e.Tags)}
}

// userTags hides the server's own "pulumi:" tags, from API answers and from conditions alike.
func userTags(tags map[string]string) map[string]string {
	reserved := false
	for k := range tags {
		if strings.HasPrefix(k, "pulumi:") {
			reserved = true
			break
		}
	}
	if !reserved { // the common case: no copy (callers only read tags)
		if len(tags) == 0 {
			return nil
		}
		return tags
	}
	out := map[string]string{}
	for k, v := range tags {
		if !strings.HasPrefix(k, "pulumi:") {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

func (s *Server) createAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	var req apitype.CreateInsightsAccountRequest
	return s.create(w, r, c, authz.KindInsightsAccount.String(), &req, func() (int, any, error) {
		ok := false
		for _, p := range insightsProviders {
			ok = ok || p == req.Provider
		}
		if !ok {
			return 0, nil, invalid(authz.KindInsightsAccount.String(), "provider", "want one of %v", insightsProviders)
		}
		tags := map[string]string{}
		for k, v := range req.Tags {
			tags[k] = v
		}
		if err := validTags(authz.KindInsightsAccount.String(), tags); err != nil {
			return 0, nil, err
		}
		tags["pulumi:provider"] = req.Provider
		e, err := s.newEntity(r.Context(), authz.KindInsightsAccount, "", r.PathValue("account"), tags)
		if err != nil {
			return 0, nil, err
		}
		return http.StatusOK, accountJSON(e), nil
	})
}

func (s *Server) getAccount(w http.ResponseWriter, r *http.Request, c *call) error {
	writeJSON(w, http.StatusOK, accountJSON(c.entity))
	return nil
}

func (s *Server) listAccounts(w http.ResponseWriter, r *http.Request, c *call) error {
	es, next, err := s.visiblePage(r, c, authz.KindInsightsAccount, "", accountRead) // by name: accounts have no project
	if err != nil {
		return err
	}
	resp := apitype.ListInsightsAccountsResponse{NextToken: next}
	for _, e := range es {
		resp.Accounts = append(resp.Accounts, accountJSON(e))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

// describeEntityRef names an entity reference in messages.
func describeEntityRef(ref apitype.EntityRef) string {
	if ref.ID != "" {
		return fmt.Sprintf("%s with id %q", ref.Kind, ref.ID)
	}
	if ref.Project != "" {
		return fmt.Sprintf("%s %s/%s", ref.Kind, ref.Project, ref.Name)
	}
	return fmt.Sprintf("%s %s", ref.Kind, ref.Name)
}
