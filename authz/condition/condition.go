// Package condition is the readable condition language of grants and policies: a small subset
// of CEL (https://cel.dev) that compiles to the boolean expressions of Pulumi's role grammar
// (authz.Equal, In, And, Or, Not, HasTag, Tag) and prints back from them canonically, so that
// providers diff on meaning, never on formatting.
//
// An expression is parsed and type-checked by cel-go against a small declared environment:
//
//	stack.id, stack.tags            (also environment.*, insights_account.*)
//	stack.project, stack.name       declared only to explain that the wire grammar cannot say them
//
// and then translated node by node; anything outside the subset is refused with its position
// and what is allowed (see docs/conditions.md).
package condition

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"
	"github.com/google/cel-go/common"
	celast "github.com/google/cel-go/common/ast"
	"github.com/google/cel-go/common/types"

	"github.com/iamref/iam/authz"
)

// MaxSourceBytes bounds a condition's text; MaxNodes bounds the expression it compiles to.
const (
	MaxSourceBytes = 16 << 10
	MaxNodes       = 2000
)

// Allowed says, in one sentence, what the language accepts; errors end with it.
const Allowed = `allowed: stack.tags.KEY, stack.tags["KEY"], stack.id (likewise environment.* and insights_account.*), ` +
	`string literals, lists of string literals, ==, !=, in, has(stack.tags.KEY), "KEY" in stack.tags, &&, ||, !, true, false and parentheses`

// Error is a condition that does not compile: Line and Column (1-based) locate it in the text.
type Error struct {
	Line, Column int
	Msg          string
}

func (e *Error) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Column, e.Msg) }

// subject is an entity a condition can refer to: its CEL name and its context in the grammar.
type subject struct {
	name string
	ctx  authz.ContextKind
}

var subjects = []subject{
	{"stack", authz.CtxStack},
	{"environment", authz.CtxEnvironment},
	{"insights_account", authz.CtxInsightsAccount},
}

// unsayable are attributes declared in the environment only to explain why they are refused.
var unsayable = map[string]bool{"project": true, "name": true}

var env = func() *cel.Env {
	opts := []cel.EnvOption{cel.ClearMacros(), cel.Macros(cel.HasMacro)}
	for _, s := range subjects {
		opts = append(opts,
			cel.Variable(s.name+".id", cel.StringType),
			cel.Variable(s.name+".tags", cel.MapType(cel.StringType, cel.StringType)),
			cel.Variable(s.name+".name", cel.StringType))
		if s.ctx != authz.CtxInsightsAccount {
			opts = append(opts, cel.Variable(s.name+".project", cel.StringType))
		}
	}
	e, err := cel.NewEnv(opts...)
	if err != nil {
		panic(err)
	}
	return e
}()

// Env is the declared CEL environment (for tests that evaluate conditions with cel-go itself).
func Env() *cel.Env { return env }

// Compile parses and type-checks src and translates it into an expression of the grammar.
func Compile(src string) (authz.Expr, error) {
	if len(src) > MaxSourceBytes {
		return nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("the condition is %d bytes; the limit is %d", len(src), MaxSourceBytes)}
	}
	if strings.TrimSpace(src) == "" {
		return nil, &Error{Line: 1, Column: 1, Msg: "empty condition; " + Allowed}
	}
	ast, iss := env.Compile(src)
	if iss != nil && iss.Err() != nil {
		e := iss.Errors()[0]
		msg := e.Message
		if strings.HasPrefix(msg, "undeclared reference") {
			msg += "; " + Allowed
		}
		line, col := e.Location.Line(), e.Location.Column()+1
		if line < 1 {
			line, col = 1, 1
		}
		return nil, &Error{Line: line, Column: col, Msg: msg}
	}
	if ast.OutputType() != cel.BoolType {
		return nil, &Error{Line: 1, Column: 1, Msg: fmt.Sprintf("a condition must be true or false, this one is a %s", ast.OutputType())}
	}
	t := &translator{ast: ast.NativeRep()}
	x, err := t.boolExpr(t.ast.Expr())
	if err != nil {
		return nil, err
	}
	return x, nil
}

type translator struct {
	ast   *celast.AST
	nodes int
}

func (t *translator) errAt(e celast.Expr, format string, args ...any) error {
	loc := t.ast.SourceInfo().GetStartLocation(e.ID())
	line, col := loc.Line(), loc.Column()+1
	if loc == common.NoLocation || line < 1 {
		line, col = 1, 1
	}
	return &Error{Line: line, Column: col, Msg: fmt.Sprintf(format, args...)}
}

// startOf is errAt for a qualified name such as stack.project, which the checker locates at its
// last dot: the error points at the name's start instead.
func (t *translator) startOf(e celast.Expr, prefix string, format string, args ...any) error {
	err := t.errAt(e, format, args...).(*Error)
	if err.Column > len(prefix) {
		err.Column -= len(prefix)
	}
	return err
}

func (t *translator) count(e celast.Expr) error {
	if t.nodes++; t.nodes > MaxNodes {
		return t.errAt(e, "the condition has more than %d terms", MaxNodes)
	}
	return nil
}

// boolExpr translates an expression that must be true or false.
func (t *translator) boolExpr(e celast.Expr) (authz.Expr, error) {
	if err := t.count(e); err != nil {
		return nil, err
	}
	switch e.Kind() {
	case celast.LiteralKind:
		if b, ok := e.AsLiteral().(types.Bool); ok {
			return &authz.Bool{Value: bool(b)}, nil
		}
	case celast.SelectKind:
		sel := e.AsSelect()
		if sel.IsTestOnly() { // has(stack.tags.KEY)
			if ctx, ok := t.tagsOf(sel.Operand()); ok {
				return &authz.HasTag{Context: &authz.Context{Kind: ctx}, Key: sel.FieldName()}, nil
			}
			return nil, t.errAt(e, "has() tests a tag, as in has(stack.tags.env); %s", Allowed)
		}
	case celast.CallKind:
		call := e.AsCall()
		args := call.Args()
		switch call.FunctionName() {
		case "_&&_", "_||_":
			l, err := t.boolExpr(args[0])
			if err != nil {
				return nil, err
			}
			r, err := t.boolExpr(args[1])
			if err != nil {
				return nil, err
			}
			if call.FunctionName() == "_&&_" {
				return &authz.And{Left: l, Right: r}, nil
			}
			return &authz.Or{Left: l, Right: r}, nil
		case "!_":
			x, err := t.boolExpr(args[0])
			if err != nil {
				return nil, err
			}
			return &authz.Not{X: x}, nil
		case "_==_", "_!=_":
			eq, err := t.equal(e, args[0], args[1])
			if err != nil {
				return nil, err
			}
			if call.FunctionName() == "_!=_" {
				return &authz.Not{X: eq}, nil
			}
			return eq, nil
		case "@in":
			return t.in(e, args[0], args[1])
		}
		return nil, t.errAt(e, "%s is not part of the condition language; %s", describeCall(call.FunctionName()), Allowed)
	}
	return nil, t.errAt(e, "this expression is not part of the condition language; %s", Allowed)
}

// operand is a translated side of a comparison: a tag value, an entity, or a string literal
// (which becomes an entity identity when compared with an entity).
type operand struct {
	x      authz.Expr
	entity bool
	ctx    authz.ContextKind
	lit    *string
}

func (t *translator) operand(e celast.Expr) (operand, error) {
	if err := t.count(e); err != nil {
		return operand{}, err
	}
	switch e.Kind() {
	case celast.LiteralKind:
		if s, ok := e.AsLiteral().(types.String); ok {
			v := string(s)
			return operand{x: &authz.String{Value: v}, lit: &v}, nil
		}
		return operand{}, t.errAt(e, "tags and identities are strings: compare with a string literal such as \"dev\"")
	case celast.IdentKind:
		name := e.AsIdent()
		subj, attr, _ := strings.Cut(name, ".")
		for _, s := range subjects {
			if s.name != subj {
				continue
			}
			switch {
			case attr == "id":
				return operand{x: &authz.Context{Kind: s.ctx}, entity: true, ctx: s.ctx}, nil
			case unsayable[attr]:
				return operand{}, t.startOf(e, s.name, "%s cannot be expressed: Pulumi's role grammar knows a %s only by its ID and its tags; tag them instead and test the tag, e.g. %s.tags.%s == \"payments\"", name, strings.ReplaceAll(s.name, "_", " "), s.name, attr)
			case attr == "tags":
				return operand{}, t.errAt(e, "%s is a map of tags: use %s.tags.KEY, or \"KEY\" in %s.tags to test that a tag is set", name, s.name, s.name)
			}
		}
	case celast.SelectKind:
		sel := e.AsSelect()
		if ctx, ok := t.tagsOf(sel.Operand()); ok && !sel.IsTestOnly() {
			return operand{x: &authz.Tag{Context: &authz.Context{Kind: ctx}, Key: sel.FieldName()}}, nil
		}
	case celast.CallKind:
		call := e.AsCall()
		if call.FunctionName() == "_[_]" {
			if ctx, ok := t.tagsOf(call.Args()[0]); ok {
				key, ok := stringLiteral(call.Args()[1])
				if !ok {
					return operand{}, t.errAt(call.Args()[1], "a tag key must be a string literal, as in stack.tags[\"team-name\"]")
				}
				if key == "" {
					return operand{}, t.errAt(call.Args()[1], "empty tag key")
				}
				return operand{x: &authz.Tag{Context: &authz.Context{Kind: ctx}, Key: key}}, nil
			}
		}
		return operand{}, t.errAt(e, "%s is not part of the condition language; %s", describeCall(call.FunctionName()), Allowed)
	}
	return operand{}, t.errAt(e, "this value is not part of the condition language; %s", Allowed)
}

// tagsOf reports whether e is SUBJECT.tags, and which subject.
func (t *translator) tagsOf(e celast.Expr) (authz.ContextKind, bool) {
	if e.Kind() != celast.IdentKind {
		return 0, false
	}
	for _, s := range subjects {
		if e.AsIdent() == s.name+".tags" {
			return s.ctx, true
		}
	}
	return 0, false
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

func (t *translator) equal(at, l, r celast.Expr) (authz.Expr, error) {
	lo, err := t.operand(l)
	if err != nil {
		return nil, err
	}
	ro, err := t.operand(r)
	if err != nil {
		return nil, err
	}
	switch {
	case lo.entity && ro.entity && lo.ctx != ro.ctx:
		return nil, t.errAt(at, "compares the IDs of two kinds of entity, which never match")
	case lo.entity && ro.lit != nil:
		ro.x = identity(lo.ctx, *ro.lit)
	case ro.entity && lo.lit != nil:
		lo.x = identity(ro.ctx, *lo.lit)
	case lo.entity != ro.entity:
		return nil, t.errAt(at, "compares an entity's ID with a tag, which never match: compare SUBJECT.id with a string literal")
	}
	if id, ok := lo.x.(*authz.Identity); ok && id.ID == "" {
		return nil, t.errAt(l, "empty identity")
	}
	if id, ok := ro.x.(*authz.Identity); ok && id.ID == "" {
		return nil, t.errAt(r, "empty identity")
	}
	return &authz.Equal{Left: lo.x, Right: ro.x}, nil
}

func identity(k authz.ContextKind, id string) authz.Expr { return &authz.Identity{Kind: k, ID: id} }

func (t *translator) in(at, l, r celast.Expr) (authz.Expr, error) {
	// "KEY" in stack.tags: the tag is set.
	if ctx, ok := t.tagsOf(r); ok {
		key, ok := stringLiteral(l)
		if !ok {
			return nil, t.errAt(l, "the tag tested with in must be a string literal, as in \"env\" in stack.tags")
		}
		if key == "" {
			return nil, t.errAt(l, "empty tag key")
		}
		return &authz.HasTag{Context: &authz.Context{Kind: ctx}, Key: key}, nil
	}
	target, err := t.operand(l)
	if err != nil {
		return nil, err
	}
	if target.lit != nil {
		return nil, t.errAt(l, "the left side of in is a tag or an ID, as in stack.tags.env in [\"dev\", \"test\"]")
	}
	if r.Kind() != celast.ListKind {
		return nil, t.errAt(r, "in takes a list of string literals, as in [\"dev\", \"test\"], or SUBJECT.tags")
	}
	var vals []string
	for _, el := range r.AsList().Elements() {
		if err := t.count(el); err != nil {
			return nil, err
		}
		s, ok := stringLiteral(el)
		if !ok {
			return nil, t.errAt(el, "list elements must be string literals")
		}
		if target.entity && s == "" {
			return nil, t.errAt(el, "empty identity")
		}
		vals = append(vals, s)
	}
	if target.entity {
		return &authz.In{Target: target.x, Values: &authz.IdentitySet{Kind: target.ctx, IDs: vals}}, nil
	}
	return &authz.In{Target: target.x, Values: &authz.StringSet{Values: vals}}, nil
}

// describeCall names a CEL function for an error message.
func describeCall(fn string) string {
	switch fn {
	case "_<_", "_<=_", "_>_", "_>=_":
		return "ordering (" + strings.Trim(fn, "_") + ")"
	case "_+_", "_-_", "_*_", "_/_", "_%_", "-_":
		return "arithmetic (" + strings.Trim(fn, "_") + ")"
	case "_?_:_":
		return "the conditional operator (?:)"
	case "_[_]":
		return "indexing other than SUBJECT.tags[\"KEY\"]"
	}
	return "the function " + strconv.Quote(fn)
}
