package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Limits on a descriptor tree. Pulumi Cloud rejects details over 1 MB and groups over 2000
// entries; the depth bound keeps evaluation and compilation stack use small.
const (
	MaxDetailsBytes = 1 << 20
	MaxGroupEntries = 2000
	MaxDepth        = 64
)

// ParseError is a problem at one place of a descriptor tree. Path is a JSON path from the
// root, such as "$.entries[2].permissions[0]".
type ParseError struct {
	Path string
	Msg  string
	Err  error // the underlying error, e.g. *UnknownScopeError
}

func (e *ParseError) Error() string { return e.Path + ": " + e.Msg }
func (e *ParseError) Unwrap() error { return e.Err }

// Field is Path with the leading "$" replaced by root (e.g. "details"), for API error bodies.
func (e *ParseError) Field(root string) string { return root + strings.TrimPrefix(e.Path, "$") }

// Parse reads a PermissionDescriptor JSON tree and validates it: known "__type" values and
// fields, known scopes, operand types, and the size, group and depth limits.
func Parse(data []byte) (Node, error) {
	if len(data) > MaxDetailsBytes {
		return nil, &ParseError{Path: "$", Msg: fmt.Sprintf("details are %d bytes; the limit is %d", len(data), MaxDetailsBytes)}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &ParseError{Path: "$", Msg: "invalid JSON: " + err.Error(), Err: err}
	}
	if dec.More() {
		return nil, &ParseError{Path: "$", Msg: "invalid JSON: trailing data after the tree"}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &ParseError{Path: "$", Msg: "invalid JSON: trailing data after the tree"}
	}
	p := parser{}
	return p.node(v, "$", 0)
}

// MustParse is Parse for trees known to be valid (package data, tests).
func MustParse(s string) Node {
	n, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return n
}

type parser struct{}

func errAt(path, format string, args ...any) error {
	return &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// object checks that v is an object with a known "__type" and only the allowed fields.
func object(v any, path string) (map[string]any, string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", errAt(path, "want an object with a \"__type\", got %s", jsonKind(v))
	}
	t, ok := m["__type"].(string)
	if !ok {
		return nil, "", errAt(path, "missing \"__type\"")
	}
	return m, t, nil
}

func checkFields(m map[string]any, path, typ string, allowed ...string) error {
	for k := range m {
		if k == "__type" {
			continue
		}
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			if len(allowed) == 0 {
				return errAt(path+"."+k, "%s has no fields", typ)
			}
			return errAt(path+"."+k, "unknown field of %s (allowed: %s)", typ, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// field returns m[k], treating JSON null as absent.
func field(m map[string]any, k string) (any, bool) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func (p *parser) node(v any, path string, depth int) (Node, error) {
	if depth > MaxDepth {
		return nil, errAt(path, "tree is nested deeper than %d levels", MaxDepth)
	}
	m, typ, err := object(v, path)
	if err != nil {
		return nil, err
	}
	switch typ {
	case typeAllow:
		if err := checkFields(m, path, typ, "permissions", "constraints"); err != nil {
			return nil, err
		}
		perms, err := stringList(m, "permissions", path, true)
		if err != nil {
			return nil, err
		}
		for i, s := range perms {
			if _, err := LookupScope(s); err != nil {
				return nil, &ParseError{Path: fmt.Sprintf("%s.permissions[%d]", path, i), Msg: err.Error(), Err: err}
			}
		}
		a := &Allow{Permissions: perms}
		if c, ok := field(m, "constraints"); ok {
			cm, ok := c.(map[string]any)
			if !ok {
				return nil, errAt(path+".constraints", "want an object, got %s", jsonKind(c))
			}
			for k := range cm {
				if k != "MaxOpenDuration" {
					return nil, errAt(path+".constraints."+k, "unknown constraint (allowed: MaxOpenDuration)")
				}
			}
			a.Constraints = &Constraints{}
			if d, ok := field(cm, "MaxOpenDuration"); ok {
				n, err := integer(d, path+".constraints.MaxOpenDuration")
				if err != nil {
					return nil, err
				}
				a.Constraints.MaxOpenDuration = n
			}
		}
		return a, nil
	case typeGroup:
		if err := checkFields(m, path, typ, "entries"); err != nil {
			return nil, err
		}
		raw, ok := field(m, "entries")
		if !ok {
			return nil, errAt(path+".entries", "required")
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, errAt(path+".entries", "want an array, got %s", jsonKind(raw))
		}
		if len(list) > MaxGroupEntries {
			return nil, errAt(path+".entries", "%d entries; a group holds at most %d", len(list), MaxGroupEntries)
		}
		g := &Group{Entries: make([]Node, 0, len(list))}
		for i, e := range list {
			n, err := p.node(e, fmt.Sprintf("%s.entries[%d]", path, i), depth+1)
			if err != nil {
				return nil, err
			}
			g.Entries = append(g.Entries, n)
		}
		return g, nil
	case typeCondition:
		if err := checkFields(m, path, typ, "condition", "subNode"); err != nil {
			return nil, err
		}
		c, err := p.boolField(m, "condition", path, depth)
		if err != nil {
			return nil, err
		}
		sub, err := p.nodeField(m, "subNode", path, depth, true)
		if err != nil {
			return nil, err
		}
		return &Condition{Condition: c, SubNode: sub}, nil
	case typeIfThenElse:
		if err := checkFields(m, path, typ, "condition", "subNodeForTrue", "subNodeForFalse"); err != nil {
			return nil, err
		}
		c, err := p.boolField(m, "condition", path, depth)
		if err != nil {
			return nil, err
		}
		t, err := p.nodeField(m, "subNodeForTrue", path, depth, false)
		if err != nil {
			return nil, err
		}
		f, err := p.nodeField(m, "subNodeForFalse", path, depth, false)
		if err != nil {
			return nil, err
		}
		return &IfThenElse{Condition: c, True: t, False: f}, nil
	case typeSelect:
		if err := checkFields(m, path, typ, "selector", "options"); err != nil {
			return nil, err
		}
		sel, err := p.valueField(m, "selector", path, depth)
		if err != nil {
			return nil, err
		}
		raw, ok := field(m, "options")
		if !ok {
			return nil, errAt(path+".options", "required")
		}
		list, ok := raw.([]any)
		if !ok {
			return nil, errAt(path+".options", "want an array, got %s", jsonKind(raw))
		}
		if len(list) > MaxGroupEntries {
			return nil, errAt(path+".options", "%d options; a select holds at most %d", len(list), MaxGroupEntries)
		}
		s := &Select{Selector: sel}
		for i, o := range list {
			op := fmt.Sprintf("%s.options[%d]", path, i)
			om, ok := o.(map[string]any)
			if !ok {
				return nil, errAt(op, "want an object with \"value\" and \"node\", got %s", jsonKind(o))
			}
			for k := range om {
				if k != "value" && k != "node" {
					return nil, errAt(op+"."+k, "unknown field of a select option (allowed: value, node)")
				}
			}
			val, err := p.valueField(om, "value", op, depth)
			if err != nil {
				return nil, err
			}
			if err := comparable(sel, val, op+".value"); err != nil {
				return nil, err
			}
			n, err := p.nodeField(om, "node", op, depth, true)
			if err != nil {
				return nil, err
			}
			s.Options = append(s.Options, SelectOption{Value: val, Node: n})
		}
		return s, nil
	case typeCompose:
		if err := checkFields(m, path, typ, "permissionDescriptors"); err != nil {
			return nil, err
		}
		ids, err := stringList(m, "permissionDescriptors", path, true)
		if err != nil {
			return nil, err
		}
		if len(ids) == 0 {
			return nil, errAt(path+".permissionDescriptors", "name at least one permission set or policy ID")
		}
		for i, id := range ids {
			if id == "" {
				return nil, errAt(fmt.Sprintf("%s.permissionDescriptors[%d]", path, i), "empty ID")
			}
		}
		return &Compose{IDs: ids}, nil
	}
	if strings.HasPrefix(typ, "PermissionExpression") || strings.HasPrefix(typ, "PermissionLiteral") || strings.HasPrefix(typ, "PermissionSet") {
		return nil, errAt(path+".__type", "%s is an expression; a descriptor node is expected here (one of %s)", typ, strings.Join(nodeTypes, ", "))
	}
	return nil, errAt(path+".__type", "unknown descriptor type %q%s", typ, suggest(typ, nodeTypes))
}

var nodeTypes = []string{typeAllow, typeGroup, typeCondition, typeIfThenElse, typeSelect, typeCompose}

var exprTypes = func() []string {
	out := []string{typeEqual, typeIn, typeAnd, typeOr, typeNot, typeHasTag, typeTag, typeString, typeNumber, typeBool, typeStringSet}
	for k := ContextKind(0); k < numContextKinds; k++ {
		out = append(out, contextType(k), identityType(k), identitySetType(k))
	}
	return out
}()

func suggest(got string, valid []string) string {
	best, bestD := "", 1<<30
	for _, v := range valid {
		if d := editDistance(got, v); d < bestD {
			best, bestD = v, d
		}
	}
	if bestD <= len(got)/3+1 {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}

func (p *parser) nodeField(m map[string]any, k, path string, depth int, required bool) (Node, error) {
	v, ok := field(m, k)
	if !ok {
		if required {
			return nil, errAt(path+"."+k, "required")
		}
		return nil, nil
	}
	return p.node(v, path+"."+k, depth+1)
}

func (p *parser) boolField(m map[string]any, k, path string, depth int) (Expr, error) {
	v, ok := field(m, k)
	if !ok {
		return nil, errAt(path+"."+k, "required")
	}
	e, err := p.expr(v, path+"."+k, depth+1)
	if err != nil {
		return nil, err
	}
	if !isBoolExpr(e) {
		return nil, errAt(path+"."+k, "%s is not a boolean expression", e.exprType())
	}
	return e, nil
}

func (p *parser) valueField(m map[string]any, k, path string, depth int) (Expr, error) {
	v, ok := field(m, k)
	if !ok {
		return nil, errAt(path+"."+k, "required")
	}
	e, err := p.expr(v, path+"."+k, depth+1)
	if err != nil {
		return nil, err
	}
	if isSetExpr(e) {
		return nil, errAt(path+"."+k, "%s is a set; sets may only be the values of %s", e.exprType(), typeIn)
	}
	return e, nil
}

func (p *parser) contextField(m map[string]any, k, path string, depth int) (Expr, error) {
	e, err := p.valueField(m, k, path, depth)
	if err != nil {
		return nil, err
	}
	if _, ok := e.(*Context); !ok {
		return nil, errAt(path+"."+k, "want a context expression (PermissionExpressionStack, …), got %s", e.exprType())
	}
	return e, nil
}

func (p *parser) expr(v any, path string, depth int) (Expr, error) {
	if depth > MaxDepth {
		return nil, errAt(path, "tree is nested deeper than %d levels", MaxDepth)
	}
	m, typ, err := object(v, path)
	if err != nil {
		return nil, err
	}
	for k := ContextKind(0); k < numContextKinds; k++ {
		switch typ {
		case contextType(k):
			if err := checkFields(m, path, typ); err != nil {
				return nil, err
			}
			return &Context{Kind: k}, nil
		case identityType(k):
			if err := checkFields(m, path, typ, "identity"); err != nil {
				return nil, err
			}
			id, err := stringField(m, "identity", path)
			if err != nil {
				return nil, err
			}
			if id == "" {
				return nil, errAt(path+".identity", "empty identity")
			}
			return &Identity{Kind: k, ID: id}, nil
		case identitySetType(k):
			if err := checkFields(m, path, typ, "identities"); err != nil {
				return nil, err
			}
			ids, err := stringList(m, "identities", path, true)
			if err != nil {
				return nil, err
			}
			return &IdentitySet{Kind: k, IDs: ids}, nil
		}
	}
	switch typ {
	case typeEqual, typeAnd, typeOr:
		if err := checkFields(m, path, typ, "left", "right"); err != nil {
			return nil, err
		}
		if typ == typeEqual {
			l, err := p.valueField(m, "left", path, depth)
			if err != nil {
				return nil, err
			}
			r, err := p.valueField(m, "right", path, depth)
			if err != nil {
				return nil, err
			}
			if err := comparable(l, r, path); err != nil {
				return nil, err
			}
			return &Equal{Left: l, Right: r}, nil
		}
		l, err := p.boolField(m, "left", path, depth)
		if err != nil {
			return nil, err
		}
		r, err := p.boolField(m, "right", path, depth)
		if err != nil {
			return nil, err
		}
		if typ == typeAnd {
			return &And{Left: l, Right: r}, nil
		}
		return &Or{Left: l, Right: r}, nil
	case typeIn:
		if err := checkFields(m, path, typ, "target", "values"); err != nil {
			return nil, err
		}
		t, err := p.valueField(m, "target", path, depth)
		if err != nil {
			return nil, err
		}
		raw, ok := field(m, "values")
		if !ok {
			return nil, errAt(path+".values", "required")
		}
		vals, err := p.expr(raw, path+".values", depth+1)
		if err != nil {
			return nil, err
		}
		if !isSetExpr(vals) {
			return nil, errAt(path+".values", "want a set expression (PermissionSetExpressionStack, …), got %s", vals.exprType())
		}
		if err := comparable(t, vals, path); err != nil {
			return nil, err
		}
		return &In{Target: t, Values: vals}, nil
	case typeNot:
		if err := checkFields(m, path, typ, "node"); err != nil {
			return nil, err
		}
		x, err := p.boolField(m, "node", path, depth)
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case typeHasTag, typeTag:
		allowed := []string{"context", "key"}
		if typ == typeHasTag {
			allowed = append(allowed, "node")
		}
		if err := checkFields(m, path, typ, allowed...); err != nil {
			return nil, err
		}
		c, err := p.contextField(m, "context", path, depth)
		if err != nil {
			return nil, err
		}
		key, err := stringField(m, "key", path)
		if err != nil {
			return nil, err
		}
		if key == "" {
			return nil, errAt(path+".key", "empty tag key")
		}
		if typ == typeTag {
			return &Tag{Context: c, Key: key}, nil
		}
		h := &HasTag{Context: c, Key: key}
		if raw, ok := field(m, "node"); ok {
			if h.Node, err = p.expr(raw, path+".node", depth+1); err != nil {
				return nil, err
			}
		}
		return h, nil
	case typeString:
		if err := checkFields(m, path, typ, "value"); err != nil {
			return nil, err
		}
		s, err := stringField(m, "value", path)
		if err != nil {
			return nil, err
		}
		return &String{Value: s}, nil
	case typeNumber:
		if err := checkFields(m, path, typ, "value"); err != nil {
			return nil, err
		}
		raw, ok := field(m, "value")
		if !ok {
			return nil, errAt(path+".value", "required")
		}
		n, ok := raw.(json.Number)
		if !ok {
			return nil, errAt(path+".value", "want a number, got %s", jsonKind(raw))
		}
		f, err := strconv.ParseFloat(string(n), 64)
		if err != nil {
			return nil, errAt(path+".value", "number out of range")
		}
		return &Number{Value: f}, nil
	case typeBool:
		if err := checkFields(m, path, typ, "value"); err != nil {
			return nil, err
		}
		raw, ok := field(m, "value")
		if !ok {
			return nil, errAt(path+".value", "required")
		}
		b, ok := raw.(bool)
		if !ok {
			return nil, errAt(path+".value", "want a boolean, got %s", jsonKind(raw))
		}
		return &Bool{Value: b}, nil
	case typeStringSet:
		if err := checkFields(m, path, typ, "values"); err != nil {
			return nil, err
		}
		vals, err := stringList(m, "values", path, true)
		if err != nil {
			return nil, err
		}
		return &StringSet{Values: vals}, nil
	}
	if strings.HasPrefix(typ, "PermissionDescriptor") {
		return nil, errAt(path+".__type", "%s is a descriptor node; an expression is expected here", typ)
	}
	return nil, errAt(path+".__type", "unknown expression type %q%s", typ, suggest(typ, exprTypes))
}

// valueType classifies a value expression for static comparison checks: "" when unknown
// until evaluation (tags), else the kind of value it yields.
func valueType(e Expr) string {
	switch x := e.(type) {
	case *Context:
		return "entity:" + x.Kind.String()
	case *Identity:
		return "entity:" + x.Kind.String()
	case *IdentitySet:
		return "entity:" + x.Kind.String()
	case *String, *StringSet:
		return "string"
	case *Number:
		return "number"
	case *Bool, *Equal, *In, *And, *Or, *Not, *HasTag:
		return "bool"
	}
	return "" // *Tag: a string, or undefined
}

// comparable rejects comparisons that can never hold, such as a stack with an environment
// literal: such a grant would silently grant nothing.
func comparable(a, b Expr, path string) error {
	ta, tb := valueType(a), valueType(b)
	if _, isTag := a.(*Tag); isTag {
		ta = "string"
	}
	if _, isTag := b.(*Tag); isTag {
		tb = "string"
	}
	if ta != tb {
		return errAt(path, "compares %s with %s, which never match", a.exprType(), b.exprType())
	}
	return nil
}

func stringField(m map[string]any, k, path string) (string, error) {
	v, ok := field(m, k)
	if !ok {
		return "", errAt(path+"."+k, "required")
	}
	s, ok := v.(string)
	if !ok {
		return "", errAt(path+"."+k, "want a string, got %s", jsonKind(v))
	}
	return s, nil
}

func stringList(m map[string]any, k, path string, required bool) ([]string, error) {
	v, ok := field(m, k)
	if !ok {
		if required {
			return nil, errAt(path+"."+k, "required")
		}
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		return nil, errAt(path+"."+k, "want an array of strings, got %s", jsonKind(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, ok := e.(string)
		if !ok {
			return nil, errAt(fmt.Sprintf("%s.%s[%d]", path, k, i), "want a string, got %s", jsonKind(e))
		}
		out[i] = s
	}
	return out, nil
}

func integer(v any, path string) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errAt(path, "want an integer, got %s", jsonKind(v))
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		return 0, errAt(path, "want a non-negative integer number of seconds, got %s", n)
	}
	return i, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// AsParseError extracts a *ParseError from err.
func AsParseError(err error) (*ParseError, bool) {
	var pe *ParseError
	ok := errors.As(err, &pe)
	return pe, ok
}
