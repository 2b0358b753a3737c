package authz

import (
	"fmt"
	"math/bits"
	"sort"
	"strings"
)

// EntityKind is the kind of thing a scope acts on. Org-level scopes act on the organization
// itself; the others act on one stack, environment or insights account.
type EntityKind uint8

const (
	KindOrg EntityKind = iota
	KindStack
	KindEnvironment
	KindInsightsAccount
	numKinds
)

var kindNames = [numKinds]string{"org", "stack", "environment", "insights-account"}

func (k EntityKind) String() string {
	if k < numKinds {
		return kindNames[k]
	}
	return fmt.Sprintf("EntityKind(%d)", uint8(k))
}

// ResourceType is the Pulumi Cloud `resourceType` value for records of this kind
// ("global" for org-level).
func (k EntityKind) ResourceType() string {
	if k == KindOrg {
		return "global"
	}
	return k.String()
}

// ParseEntityKind accepts the names printed by String, the resourceType "global" and the
// spellings "organization" and "insights_account"; anything else is an error.
func ParseEntityKind(s string) (EntityKind, error) {
	for k, name := range kindNames {
		if s == name {
			return EntityKind(k), nil
		}
	}
	switch s {
	case "global", "organization":
		return KindOrg, nil
	case "insights_account":
		return KindInsightsAccount, nil
	}
	return 0, fmt.Errorf("unknown entity kind %q (want one of %s)", s, strings.Join(kindNames[:], ", "))
}

// MarshalText writes the kind's String, so that JSON and databases hold kinds by name.
func (k EntityKind) MarshalText() ([]byte, error) {
	if k >= numKinds {
		return nil, fmt.Errorf("invalid entity kind %d", uint8(k))
	}
	return []byte(kindNames[k]), nil
}

// UnmarshalText reads a kind with ParseEntityKind: an unknown name is an error, never a
// default.
func (k *EntityKind) UnmarshalText(b []byte) error {
	v, err := ParseEntityKind(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ScopeID is a scope's position in the catalog; it indexes ScopeSet bits.
type ScopeID uint16

// Scope is one entry of the catalog: a Pulumi Cloud permission such as "stack:delete".
type Scope struct {
	ID          ScopeID
	Name        string
	Description string
	Group       string // console group label, e.g. "Stacks"
	Kind        EntityKind
}

// maxScopes bounds the catalog so that a ScopeSet is a fixed-size value.
const maxScopes = 256

// ScopeSet is a set of scopes as a bitmap over catalog IDs. The zero value is empty.
type ScopeSet [maxScopes / 64]uint64

// Add puts id in the set.
func (s *ScopeSet) Add(id ScopeID) { s[id>>6] |= 1 << (id & 63) }

// Has reports whether id is in the set.
func (s *ScopeSet) Has(id ScopeID) bool { return s[id>>6]&(1<<(id&63)) != 0 }

// Union adds every member of o.
func (s *ScopeSet) Union(o ScopeSet) {
	for i := range s {
		s[i] |= o[i]
	}
}

// Minus returns the members of s that are not in o.
func (s ScopeSet) Minus(o ScopeSet) ScopeSet {
	for i := range s {
		s[i] &^= o[i]
	}
	return s
}

// Intersect returns the members in both s and o.
func (s ScopeSet) Intersect(o ScopeSet) ScopeSet {
	for i := range s {
		s[i] &= o[i]
	}
	return s
}

// Empty reports whether the set has no members.
func (s ScopeSet) Empty() bool { return s == ScopeSet{} }

// Len is the number of members.
func (s ScopeSet) Len() int {
	n := 0
	for _, w := range s {
		n += bits.OnesCount64(w)
	}
	return n
}

// IDs lists the members in catalog order.
func (s ScopeSet) IDs() []ScopeID {
	var out []ScopeID
	for i, w := range s {
		for w != 0 {
			b := bits.TrailingZeros64(w)
			out = append(out, ScopeID(i*64+b))
			w &^= 1 << b
		}
	}
	return out
}

// Names lists the members' names, sorted.
func (s ScopeSet) Names() []string {
	ids := s.IDs()
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = catalog[id].Name
	}
	sort.Strings(out)
	return out
}

func (s ScopeSet) String() string { return "{" + strings.Join(s.Names(), ", ") + "}" }

// SetOf builds a set from scope names, failing on the first unknown one.
func SetOf(names ...string) (ScopeSet, error) {
	var s ScopeSet
	for _, n := range names {
		sc, err := LookupScope(n)
		if err != nil {
			return ScopeSet{}, err
		}
		s.Add(sc.ID)
	}
	return s, nil
}

// MustSetOf is SetOf for names known to be valid (package data, tests).
func MustSetOf(names ...string) ScopeSet {
	s, err := SetOf(names...)
	if err != nil {
		panic(err)
	}
	return s
}

// The catalog, built from catalogData before any other package-level value that uses it.
var (
	catalog     = buildCatalog()
	byName      = indexByName(catalog)
	kindScopes  = setsByKind(catalog)
	allScopes   = setOfAll(catalog)
	scopeGroups = groupsOf(catalog)
)

func buildCatalog() []Scope {
	if len(catalogData) > maxScopes {
		panic("authz: catalog larger than ScopeSet")
	}
	out := make([]Scope, len(catalogData))
	for i, d := range catalogData {
		out[i] = Scope{ID: ScopeID(i), Name: d.name, Description: d.desc, Group: d.group, Kind: d.kind}
	}
	return out
}

func indexByName(c []Scope) map[string]ScopeID {
	m := make(map[string]ScopeID, len(c))
	for _, s := range c {
		if _, dup := m[s.Name]; dup {
			panic("authz: duplicate scope " + s.Name)
		}
		m[s.Name] = s.ID
	}
	return m
}

func setsByKind(c []Scope) (out [numKinds]ScopeSet) {
	for _, s := range c {
		out[s.Kind].Add(s.ID)
	}
	return out
}

func setOfAll(c []Scope) (out ScopeSet) {
	for _, s := range c {
		out.Add(s.ID)
	}
	return out
}

func groupsOf(c []Scope) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range c {
		if !seen[s.Group] {
			seen[s.Group] = true
			out = append(out, s.Group)
		}
	}
	return out
}

// Scopes returns the whole catalog in catalog order. The slice must not be modified.
func Scopes() []Scope { return catalog }

// ScopesOfKind returns the scopes that act on entities of kind k (KindOrg: org-level scopes).
func ScopesOfKind(k EntityKind) ScopeSet { return kindScopes[k] }

// AllScopes is the set of every scope in the catalog.
func AllScopes() ScopeSet { return allScopes }

// ScopeGroups lists the console group labels in catalog order.
func ScopeGroups() []string { return scopeGroups }

// ScopeByID returns the catalog entry for id.
func ScopeByID(id ScopeID) Scope { return catalog[id] }

// LookupScope finds a scope by its exact name. An unknown name yields an *UnknownScopeError
// that carries the closest valid name.
func LookupScope(name string) (Scope, error) {
	if id, ok := byName[name]; ok {
		return catalog[id], nil
	}
	return Scope{}, &UnknownScopeError{Name: name, Suggestion: closestScope(name)}
}

// MustScope is LookupScope for names known to be valid.
func MustScope(name string) Scope {
	s, err := LookupScope(name)
	if err != nil {
		panic(err)
	}
	return s
}

// UnknownScopeError reports a scope name that is not in the catalog.
type UnknownScopeError struct {
	Name       string
	Suggestion string // closest valid scope, "" if nothing is close
}

func (e *UnknownScopeError) Error() string {
	if e.Suggestion != "" {
		return fmt.Sprintf("unknown scope %q: did you mean %q?", e.Name, e.Suggestion)
	}
	return fmt.Sprintf("unknown scope %q: see GET /api/orgs/{org}/roles/scopes for the valid names", e.Name)
}

// scopeAliases maps names that appear in public material but do not exist to the real ones.
var scopeAliases = map[string]string{
	"stack:update":       "stack:write",
	"stack:edit":         "stack:write",
	"stack:admin":        "stack:delete",
	"environment:update": "environment:write",
	"audit_log:read":     "audit_logs:read",
	"audit_log:export":   "audit_logs:export",
}

// closestScope suggests a valid name for an unknown one: a known alias, the same name in
// lower case, the nearest action of the same object, or the nearest name overall when the
// edit distance is small relative to the name's length.
func closestScope(name string) string {
	if a, ok := scopeAliases[name]; ok {
		return a
	}
	lower := strings.ToLower(strings.TrimSpace(name))
	if _, ok := byName[lower]; ok {
		return lower
	}
	obj, act, hasColon := strings.Cut(lower, ":")
	best, bestD := "", 1<<30
	if hasColon {
		for _, s := range catalog {
			o, a, _ := strings.Cut(s.Name, ":")
			if o != obj {
				continue
			}
			if d := editDistance(act, a); d < bestD || (d == bestD && s.Name < best) {
				best, bestD = s.Name, d
			}
		}
		if best != "" && bestD <= max(3, len(act)/2) {
			return best
		}
	}
	best, bestD = "", 1<<30
	for _, s := range catalog {
		if d := editDistance(lower, s.Name); d < bestD || (d == bestD && s.Name < best) {
			best, bestD = s.Name, d
		}
	}
	if bestD > max(3, len(name)/3+1) {
		return ""
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (bytes).
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
