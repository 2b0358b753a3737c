package bench

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/cedar-policy/cedar-go"

	"github.com/iamref/iam/authz"
)

// The tag workload (issue 14): stacks carrying 3–5 tags, reusable policies granting on tag
// pairs, roles half by tags (composing policies, plus a grant of their own on two tags) and
// half by stack identities, and requests on stacks split into those of tag-granted tokens and
// those of ID-granted ones, so that a tag-condition decision can be set beside a plain ID one.

// TagConfig sizes the tag workload.
type TagConfig struct {
	Stacks, Roles, Policies, Requests int
	Seed                              uint64
}

// DefaultTagConfig is the issue's: 100,000 stacks, 10,000 roles, 1,000 policies, 8,192
// requests of each kind.
var DefaultTagConfig = TagConfig{Stacks: 100_000, Roles: 10_000, Policies: 1_000, Requests: 8192, Seed: 20261202}

// tagValues are the values of each tag key; every stack has env and team and one to three of
// the others.
var (
	tagKeys   = []string{"env", "team", "tier", "region", "cost"}
	tagValues = map[string][]string{
		"env": {"dev", "staging", "prod"}, "team": seq("t", 50), "tier": seq("", 3), "region": seq("r", 10), "cost": seq("c", 20),
	}
)

func seq(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

// Pair is one tag key and value.
type Pair struct{ Key, Value string }

// TagStack is a stack with its tags.
type TagStack struct {
	ID, Name string
	Tags     map[string]string
}

// TagPolicy grants Scopes on the stacks whose tags hold every pair.
type TagPolicy struct {
	ID     string
	Pairs  []Pair
	Scopes []Scope
}

// TagRole is a role and the token holding it: by tags (Policies composed, and stack:delete
// where Own holds), or by identities (read and write on Stacks, delete on Delete).
type TagRole struct {
	Name, Token string
	ByTags      bool
	Policies    []int
	Own         []Pair
	Stacks      []int
	Delete      []int
}

// TagRequest asks whether Token may do Scope (a stack scope) on Stacks[Stack].
type TagRequest struct {
	Token string
	Scope Scope
	Stack int
}

// TagWorkload is the shared input of the engines.
type TagWorkload struct {
	Stacks   []TagStack
	Policies []TagPolicy
	Roles    []TagRole
	TagReqs  []TagRequest // tokens of roles by tags
	IDReqs   []TagRequest // tokens of roles by identities

	tokenRole map[string]int
}

var stackScopes = []Scope{StackRead, StackWrite, StackDelete}

// GenerateTags builds the workload of c; the same c always yields the same workload.
func GenerateTags(c TagConfig) *TagWorkload {
	rng := rand.New(rand.NewPCG(c.Seed, c.Seed^0x51ed27))
	pick := func(k string) string { v := tagValues[k]; return v[rng.IntN(len(v))] }
	w := &TagWorkload{tokenRole: map[string]int{}}
	byEnvTeam := map[Pair][]int{} // "env|team" → stacks, to draw granted requests
	for i := range c.Stacks {
		tags := map[string]string{"env": pick("env"), "team": pick("team")}
		for _, k := range tagKeys[2:] {
			if rng.IntN(2) == 0 || len(tags) < 3 {
				tags[k] = pick(k)
			}
		}
		w.Stacks = append(w.Stacks, TagStack{ID: uuidish(rng), Name: fmt.Sprintf("proj-%d/stack-%d", i%1000, i), Tags: tags})
		key := Pair{tags["env"], tags["team"]}
		byEnvTeam[key] = append(byEnvTeam[key], i)
	}
	for i := range c.Policies {
		p := TagPolicy{ID: fmt.Sprintf("policy-%d", i), Pairs: []Pair{{"env", pick("env")}}, Scopes: []Scope{StackRead}}
		if rng.IntN(2) == 0 {
			p.Pairs = append(p.Pairs, Pair{"team", pick("team")})
			p.Scopes = append(p.Scopes, StackWrite)
		}
		w.Policies = append(w.Policies, p)
	}
	for i := range c.Roles {
		r := TagRole{Name: fmt.Sprintf("role-%d", i), Token: fmt.Sprintf("pul-%016x%016x%08x", rng.Uint64(), rng.Uint64(), rng.Uint32()), ByTags: i%2 == 0}
		if r.ByTags {
			for range 1 + rng.IntN(3) {
				r.Policies = append(r.Policies, rng.IntN(c.Policies))
			}
			r.Own = []Pair{{"env", "dev"}, {"team", pick("team")}}
		} else {
			for range 10 {
				r.Stacks = append(r.Stacks, rng.IntN(c.Stacks))
			}
			r.Delete = r.Stacks[:3]
		}
		w.tokenRole[r.Token] = i
		w.Roles = append(w.Roles, r)
	}
	for len(w.TagReqs) < c.Requests || len(w.IDReqs) < c.Requests {
		r := &w.Roles[rng.IntN(len(w.Roles))]
		q := TagRequest{Token: r.Token, Scope: stackScopes[rng.IntN(3)], Stack: rng.IntN(c.Stacks)}
		if rng.IntN(2) == 0 { // a stack one of its grants names
			if r.ByTags {
				pol := w.Policies[r.Policies[0]]
				team := pick("team")
				if len(pol.Pairs) > 1 {
					team = pol.Pairs[1].Value
				}
				if ss := byEnvTeam[Pair{pol.Pairs[0].Value, team}]; len(ss) > 0 {
					q.Stack = ss[rng.IntN(len(ss))]
				}
			} else {
				q.Stack = r.Stacks[rng.IntN(len(r.Stacks))]
			}
		}
		switch {
		case r.ByTags && len(w.TagReqs) < c.Requests:
			w.TagReqs = append(w.TagReqs, q)
		case !r.ByTags && len(w.IDReqs) < c.Requests:
			w.IDReqs = append(w.IDReqs, q)
		}
	}
	return w
}

func holds(tags map[string]string, pairs []Pair) bool {
	for _, p := range pairs {
		if tags[p.Key] != p.Value {
			return false
		}
	}
	return true
}

// Expected is the ground truth of q, from the role and policy definitions themselves.
func (w *TagWorkload) Expected(q TagRequest) bool {
	r := &w.Roles[w.tokenRole[q.Token]]
	s := &w.Stacks[q.Stack]
	if !r.ByTags {
		if q.Scope == StackDelete {
			return slices.Contains(r.Delete, q.Stack)
		}
		return slices.Contains(r.Stacks, q.Stack)
	}
	if q.Scope == StackDelete && holds(s.Tags, r.Own) {
		return true
	}
	for _, pi := range r.Policies {
		p := &w.Policies[pi]
		if slices.Contains(p.Scopes, q.Scope) && holds(s.Tags, p.Pairs) {
			return true
		}
	}
	return false
}

// iamref: policies are records (Condition on the pairs → Allow), composed by ID.

const tagEq = `{"__type":"PermissionExpressionEqual","left":{"__type":"PermissionExpressionTag","context":{"__type":"PermissionExpressionStack"},"key":%q},"right":{"__type":"PermissionLiteralExpressionString","value":%q}}`

func conditionJSON(pairs []Pair) string {
	c := fmt.Sprintf(tagEq, pairs[0].Key, pairs[0].Value)
	for _, p := range pairs[1:] {
		c = `{"__type":"PermissionExpressionAnd","left":` + c + `,"right":` + fmt.Sprintf(tagEq, p.Key, p.Value) + `}`
	}
	return c
}

func scopeList(ss []Scope) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("%q", s.String())
	}
	return strings.Join(q, ",")
}

// PolicyDetails is the details tree of policy p.
func (p *TagPolicy) PolicyDetails() string {
	return `{"__type":"PermissionDescriptorCondition","condition":` + conditionJSON(p.Pairs) +
		`,"subNode":{"__type":"PermissionDescriptorAllow","permissions":[` + scopeList(p.Scopes) + `]}}`
}

// RoleDetails is the details tree of role r.
func (w *TagWorkload) RoleDetails(r *TagRole) (string, error) {
	if r.ByTags {
		ids := make([]string, len(r.Policies))
		for i, pi := range r.Policies {
			ids[i] = fmt.Sprintf("%q", w.Policies[pi].ID)
		}
		return `{"__type":"PermissionDescriptorGroup","entries":[{"__type":"PermissionDescriptorCompose","permissionDescriptors":[` + strings.Join(ids, ",") + `]},` +
			`{"__type":"PermissionDescriptorCondition","condition":` + conditionJSON(r.Own) + `,"subNode":{"__type":"PermissionDescriptorAllow","permissions":["stack:delete"]}}]}`, nil
	}
	ids := func(is []int) []string {
		out := make([]string, len(is))
		for i, s := range is {
			out[i] = w.Stacks[s].ID
		}
		return out
	}
	n, err := authz.BuildRole([]authz.GrantSpec{
		{Scopes: []string{"stack:read", "stack:write"}, Refs: authz.Refs{Stacks: ids(r.Stacks)}},
		{Scopes: []string{"stack:delete"}, Refs: authz.Refs{Stacks: ids(r.Delete)}},
	})
	if err != nil {
		return "", err
	}
	return string(authz.Format(n)), nil
}

// TagIamref holds a compiled index per token and the requests in authz's form.
type TagIamref struct {
	byToken         map[string]*authz.Index
	byP             []*authz.Index
	policies        map[string]authz.Node
	TagReqs, IDReqs []IamrefRequest
}

// Resolve resolves the policies roles compose.
func (e *TagIamref) Resolve(id string) (authz.Node, error) {
	n, ok := e.policies[id]
	if !ok {
		return nil, fmt.Errorf("no policy %q", id)
	}
	return n, nil
}

// CompileRole parses and compiles role r's tree: what the server does once per principal.
func (e *TagIamref) CompileRole(w *TagWorkload, r *TagRole) (*authz.Index, error) {
	d, err := w.RoleDetails(r)
	if err != nil {
		return nil, err
	}
	root, err := authz.Parse([]byte(d))
	if err != nil {
		return nil, err
	}
	return authz.Compile(root, e)
}

// NewTagIamref compiles every role.
func NewTagIamref(w *TagWorkload) (*TagIamref, error) {
	e := &TagIamref{byToken: make(map[string]*authz.Index, len(w.Roles)), policies: map[string]authz.Node{}}
	for i := range w.Policies {
		n, err := authz.Parse([]byte(w.Policies[i].PolicyDetails()))
		if err != nil {
			return nil, err
		}
		e.policies[w.Policies[i].ID] = n
	}
	for i := range w.Roles {
		ix, err := e.CompileRole(w, &w.Roles[i])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", w.Roles[i].Name, err)
		}
		e.byToken[w.Roles[i].Token] = ix
		e.byP = append(e.byP, ix)
	}
	conv := func(qs []TagRequest) []IamrefRequest {
		out := make([]IamrefRequest, len(qs))
		for i, q := range qs {
			s := &w.Stacks[q.Stack]
			out[i] = IamrefRequest{Token: q.Token, P: w.tokenRole[q.Token], Action: authz.MustScope(q.Scope.String()).ID,
				Entity: authz.Entity{Kind: authz.KindStack, ID: s.ID, Name: s.Name, Tags: s.Tags}.Interned()}
		}
		return out
	}
	e.TagReqs, e.IDReqs = conv(w.TagReqs), conv(w.IDReqs)
	return e, nil
}

// Decide takes the principal's index and decides.
func (e *TagIamref) Decide(q *IamrefRequest) bool {
	ix := e.byP[q.P]
	return ix != nil && ix.Decide(q.Action, q.Entity) == authz.Allowed
}

// DecideByToken looks the token's index up and decides.
func (e *TagIamref) DecideByToken(q *IamrefRequest) bool {
	ix := e.byToken[q.Token]
	return ix != nil && ix.Decide(q.Action, q.Entity) == authz.Allowed
}

// Explain takes the principal's index and explains.
func (e *TagIamref) Explain(q *IamrefRequest) authz.Explanation {
	return e.byP[q.P].Explain(q.Action, q.Entity)
}

// cedar-go: stacks carry a `tags` record attribute; each token's policy set is sliced.

// TagCedar holds the entities and one policy set per token.
type TagCedar struct {
	Entities        cedar.EntityMap
	sliced          map[string]*cedar.PolicySet
	slicedP         []*cedar.PolicySet
	TagReqs, IDReqs []CedarRequest
}

func cedarWhen(pairs []Pair) string {
	conds := make([]string, len(pairs))
	for i, p := range pairs {
		conds[i] = fmt.Sprintf("resource.tags has %s && resource.tags.%s == %q", p.Key, p.Key, p.Value)
	}
	return strings.Join(conds, " && ")
}

func cedarActions(ss []Scope) string {
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = fmt.Sprintf("Action::%q", s.String())
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// CedarPolicies is the Cedar text of r's policies (its composed policies inlined).
func (w *TagWorkload) CedarPolicies(r *TagRole) string {
	var b strings.Builder
	if r.ByTags {
		for _, pi := range r.Policies {
			p := &w.Policies[pi]
			fmt.Fprintf(&b, "permit (principal, action in %s, resource is Stack) when { %s };\n", cedarActions(p.Scopes), cedarWhen(p.Pairs))
		}
		fmt.Fprintf(&b, "permit (principal, action == Action::\"stack:delete\", resource is Stack) when { %s };\n", cedarWhen(r.Own))
		return b.String()
	}
	for _, s := range r.Stacks {
		fmt.Fprintf(&b, "permit (principal, action in [Action::\"stack:read\", Action::\"stack:write\"], resource == Stack::%q);\n", w.Stacks[s].ID)
	}
	for _, s := range r.Delete {
		fmt.Fprintf(&b, "permit (principal, action == Action::\"stack:delete\", resource == Stack::%q);\n", w.Stacks[s].ID)
	}
	return b.String()
}

// NewTagCedar builds the entities (with their tags) and the sliced policy sets.
func NewTagCedar(w *TagWorkload) (*TagCedar, error) {
	e := &TagCedar{Entities: make(cedar.EntityMap, len(w.Stacks)), sliced: make(map[string]*cedar.PolicySet, len(w.Roles))}
	for _, s := range w.Stacks {
		tags := cedar.RecordMap{}
		for k, v := range s.Tags {
			tags[cedar.String(k)] = cedar.String(v)
		}
		uid := stackUID(s.ID)
		e.Entities[uid] = cedar.Entity{UID: uid, Parents: cedar.NewEntityUIDSet(),
			Attributes: cedar.NewRecord(cedar.RecordMap{"tags": cedar.NewRecord(tags)})}
	}
	for i := range w.Roles {
		r := &w.Roles[i]
		ps, err := cedar.NewPolicySetFromBytes(r.Name+".cedar", []byte(w.CedarPolicies(r)))
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.Name, err)
		}
		e.sliced[r.Token] = ps
		e.slicedP = append(e.slicedP, ps)
	}
	conv := func(qs []TagRequest) []CedarRequest {
		out := make([]CedarRequest, len(qs))
		for i, q := range qs {
			out[i] = CedarRequest{Token: q.Token, P: w.tokenRole[q.Token], Req: cedar.Request{
				Principal: cedar.NewEntityUID("Token", cedar.String(q.Token)),
				Action:    cedar.NewEntityUID("Action", cedar.String(q.Scope.String())),
				Resource:  stackUID(w.Stacks[q.Stack].ID),
				Context:   cedar.NewRecord(nil),
			}}
		}
		return out
	}
	e.TagReqs, e.IDReqs = conv(w.TagReqs), conv(w.IDReqs)
	return e, nil
}

// DecideSliced evaluates only the principal's policies.
func (e *TagCedar) DecideSliced(q *CedarRequest) (bool, cedar.Diagnostic) {
	return authorizeSliced(e.slicedP[q.P], e.Entities, q)
}

// DecideSlicedByToken is DecideSliced with the policy set looked up by token.
func (e *TagCedar) DecideSlicedByToken(q *CedarRequest) (bool, cedar.Diagnostic) {
	return authorizeSliced(e.sliced[q.Token], e.Entities, q)
}

func authorizeSliced(ps *cedar.PolicySet, es cedar.EntityMap, q *CedarRequest) (bool, cedar.Diagnostic) {
	if ps == nil {
		return false, cedar.Diagnostic{}
	}
	d, diag := cedar.Authorize(ps, es, q.Req)
	return d == cedar.Allow, diag
}

// The plain-map checker: per token, identities → scope bits, and tag conditions → scope bits.

type tagNaiveCond struct {
	pairs []Pair
	mask  uint8
}

type tagNaiveRole struct {
	ids   map[string]uint8
	conds []tagNaiveCond
}

// TagNaiveRequest is a request in the plain checker's form.
type TagNaiveRequest struct {
	Token string
	P     int // the principal's number (see IamrefRequest)
	Bit   uint8
	ID    string
	Tags  map[string]string
}

// TagNaive is the plain-map checker of the tag workload.
type TagNaive struct {
	byToken         map[string]*tagNaiveRole
	byP             []*tagNaiveRole
	TagReqs, IDReqs []TagNaiveRequest
}

func maskOf(ss []Scope) uint8 {
	var m uint8
	for _, s := range ss {
		m |= 1 << s
	}
	return m
}

// NewTagNaive builds the tables.
func NewTagNaive(w *TagWorkload) *TagNaive {
	e := &TagNaive{byToken: make(map[string]*tagNaiveRole, len(w.Roles))}
	for i := range w.Roles {
		r := &w.Roles[i]
		nr := &tagNaiveRole{ids: map[string]uint8{}}
		for _, pi := range r.Policies {
			p := &w.Policies[pi]
			nr.conds = append(nr.conds, tagNaiveCond{pairs: p.Pairs, mask: maskOf(p.Scopes)})
		}
		if r.ByTags {
			nr.conds = append(nr.conds, tagNaiveCond{pairs: r.Own, mask: maskOf([]Scope{StackDelete})})
		}
		for _, s := range r.Stacks {
			nr.ids[w.Stacks[s].ID] |= maskOf([]Scope{StackRead, StackWrite})
		}
		for _, s := range r.Delete {
			nr.ids[w.Stacks[s].ID] |= maskOf([]Scope{StackDelete})
		}
		e.byToken[r.Token] = nr
		e.byP = append(e.byP, nr)
	}
	conv := func(qs []TagRequest) []TagNaiveRequest {
		out := make([]TagNaiveRequest, len(qs))
		for i, q := range qs {
			s := &w.Stacks[q.Stack]
			out[i] = TagNaiveRequest{Token: q.Token, P: w.tokenRole[q.Token], Bit: 1 << q.Scope, ID: s.ID, Tags: s.Tags}
		}
		return out
	}
	e.TagReqs, e.IDReqs = conv(w.TagReqs), conv(w.IDReqs)
	return e
}

// Decide takes the principal's tables and checks its identities, then its conditions.
func (e *TagNaive) Decide(q *TagNaiveRequest) bool {
	return decideTagNaive(e.byP[q.P], q)
}

func decideTagNaive(r *tagNaiveRole, q *TagNaiveRequest) bool {
	if r == nil {
		return false
	}
	if r.ids[q.ID]&q.Bit != 0 {
		return true
	}
	for _, c := range r.conds {
		if c.mask&q.Bit != 0 && holds(q.Tags, c.pairs) {
			return true
		}
	}
	return false
}
