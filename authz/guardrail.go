package authz

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
)

// Guardrail is an organization-wide explicit deny (our extension, like AWS SCPs): its actions
// are refused on the entities its condition selects, whatever the principal's grants say.
// The server decides which principals it binds (a guardrail's exempt roles) and attaches the
// rest to their compiled Index with WithGuardrails; Decide and Explain then apply them.
type Guardrail struct {
	ID     string
	Name   string
	Scopes ScopeSet
	Kind   EntityKind // the kind every action acts on (KindOrg for org-level actions)
	// Condition selects the entities the deny applies to (a boolean expression of the wire
	// grammar); nil = every entity of Kind (or, for org-level actions, always).
	Condition Expr
	// Broken is why the stored guardrail could not be read; a broken guardrail denies its
	// actions everywhere (fail closed) until it is fixed.
	Broken string
}

// GuardrailError is a problem with one field of a guardrail; Field names it for API bodies
// ("actions[1]", "condition.left.key").
type GuardrailError struct {
	Field string
	Msg   string
	Err   error
}

func (e *GuardrailError) Error() string { return e.Field + ": " + e.Msg }
func (e *GuardrailError) Unwrap() error { return e.Err }

// MaxGuardrailActions bounds the actions of one guardrail.
const MaxGuardrailActions = 64

// NewGuardrail validates a guardrail's actions (scope names, all acting on one kind of
// entity, or all org-level) and its condition (JSON of a boolean expression, or empty for
// none; it may name only the context of that kind). It returns the guardrail and the
// canonical JSON of its condition ("" for none).
func NewGuardrail(id, name string, actions []string, condition []byte) (*Guardrail, string, error) {
	if len(actions) == 0 {
		return nil, "", &GuardrailError{Field: "actions", Msg: "required: the scopes the guardrail denies, e.g. [\"stack:delete\"]"}
	}
	if len(actions) > MaxGuardrailActions {
		return nil, "", &GuardrailError{Field: "actions", Msg: fmt.Sprintf("%d actions; at most %d", len(actions), MaxGuardrailActions)}
	}
	g := &Guardrail{ID: id, Name: name}
	for i, a := range actions {
		s, err := LookupScope(a)
		if err != nil {
			return nil, "", &GuardrailError{Field: fmt.Sprintf("actions[%d]", i), Msg: err.Error(), Err: err}
		}
		if i > 0 && s.Kind != g.Kind {
			return nil, "", &GuardrailError{Field: fmt.Sprintf("actions[%d]", i), Msg: fmt.Sprintf(
				"%s acts on %s, %s on %s: one guardrail's actions act on one kind of entity (split it in two)",
				s.Name, kindPhrase(s.Kind), actions[0], kindPhrase(g.Kind))}
		}
		g.Kind = s.Kind
		g.Scopes.Add(s.ID)
	}
	if len(bytes.TrimSpace(condition)) == 0 || string(bytes.TrimSpace(condition)) == "null" {
		return g, "", nil
	}
	e, err := ParseExpr(condition)
	if err != nil {
		pe, _ := AsParseError(err)
		field := "condition"
		if pe != nil {
			field = pe.Field("condition")
			return nil, "", &GuardrailError{Field: field, Msg: pe.Msg, Err: err}
		}
		return nil, "", &GuardrailError{Field: field, Msg: err.Error(), Err: err}
	}
	if g.Kind == KindOrg {
		return nil, "", &GuardrailError{Field: "condition", Msg: "the actions are org-level (they act on no entity): leave the condition out"}
	}
	for _, k := range contextsOf(e) {
		if k == CtxTeam || k.EntityKind() != g.Kind {
			return nil, "", &GuardrailError{Field: "condition", Msg: fmt.Sprintf(
				"the condition reads %s, but the actions act on %s: use the %s context (PermissionExpression%s)",
				contextType(k), kindPhrase(g.Kind), g.Kind, ctxNameOf(g.Kind))}
		}
	}
	g.Condition = e
	return g, string(FormatExpr(e)), nil
}

func kindPhrase(k EntityKind) string {
	if k == KindOrg {
		return "the organization"
	}
	if k == KindStack {
		return "a stack"
	}
	return "an " + k.String()
}

func ctxNameOf(k EntityKind) string {
	if c, ok := ContextFor(k); ok {
		return ctxNames[c]
	}
	return k.String()
}

// ParseExpr reads one boolean expression of the wire grammar (a PermissionExpression* tree,
// as a Condition's "condition" holds), with Parse's checks and limits.
func ParseExpr(data []byte) (Expr, error) {
	v, err := readJSON(data, "expression is", "expression")
	if err != nil {
		return nil, err
	}
	e, err := decodeExpr(v, "$", 0)
	if err != nil {
		return nil, err
	}
	if !isBoolExpr(e) {
		return nil, &ParseError{Path: "$", Msg: e.exprType() + " is not a boolean expression (use Equal, In, And, Or, Not or HasTag)"}
	}
	return e, nil
}

// contextsOf lists the context kinds an expression reads.
func contextsOf(e Expr) []ContextKind {
	var out []ContextKind
	anyExpr(e, func(e Expr) bool {
		if x, ok := e.(*Context); ok && !slices.Contains(out, x.Kind) {
			out = append(out, x.Kind)
		}
		return false
	})
	return out
}

// applies reports whether the guardrail denies a request on e (its action already matched).
// A broken guardrail applies everywhere; so does a conditional one on an entity whose
// attributes are unknown (Entity.Unknown): what cannot be evaluated denies.
func (g *Guardrail) applies(e *Entity) bool {
	if g.Broken != "" || g.Condition == nil || e.Unknown {
		return true
	}
	return truthy(evalExpr(g.Condition, e))
}

// Denies reports whether the guardrail denies action on e, as Decide applies it.
func (g *Guardrail) Denies(action ScopeID, e Entity) bool {
	k := catalog[action].Kind
	if k == KindOrg {
		e = OrgEntity
	}
	return g.Scopes.Has(action) && k == g.Kind && g.applies(&e)
}

// WithGuardrails returns an index with ix's grants under the guardrails gs: a request they
// deny is denied whatever grants it. ix itself is left as is (it may be shared).
func (ix *Index) WithGuardrails(gs []*Guardrail) *Index {
	if len(gs) == 0 {
		return ix
	}
	out := &Index{hot: ix.hot, kinds: ix.kinds, residual: ix.residual, grants: ix.grants}
	for _, g := range gs {
		out.guardrails[g.Kind] = append(out.guardrails[g.Kind], g)
		out.hot[g.Kind].guarded = true
	}
	return out
}

// Guardrails lists the guardrails attached to the index.
func (ix *Index) Guardrails() []*Guardrail {
	var out []*Guardrail
	for _, gs := range ix.guardrails {
		out = append(out, gs...)
	}
	return out
}

// deniedBy is the first guardrail of kind k that denies action on e, or nil.
func (ix *Index) deniedBy(k EntityKind, action ScopeID, e *Entity) *Guardrail {
	for _, g := range ix.guardrails[k] {
		if g.Scopes.Has(action) && g.applies(e) {
			return g
		}
	}
	return nil
}

// describe names the guardrail in messages.
func (g *Guardrail) describe() string {
	s := fmt.Sprintf("guardrail %q (%s)", g.Name, g.ID)
	if g.Broken != "" {
		s += " [cannot be evaluated: " + g.Broken + "; it denies everywhere until fixed]"
	}
	return s
}

// Describe says what the guardrail denies, for messages and documentation.
func (g *Guardrail) Describe() string {
	var b strings.Builder
	fmt.Fprintf(&b, "denies %s", strings.Join(g.Scopes.Names(), ", "))
	switch {
	case g.Kind == KindOrg:
		b.WriteString(" in the organization")
	case g.Condition == nil:
		fmt.Fprintf(&b, " on every %s", g.Kind)
	default:
		fmt.Fprintf(&b, " on every %s where %s", g.Kind, FormatExpr(g.Condition))
	}
	return b.String()
}

// MustParseExpr is ParseExpr for expressions known to be valid (package data, tests).
func MustParseExpr(s string) Expr {
	e, err := ParseExpr([]byte(s))
	if err != nil {
		panic(err)
	}
	return e
}
