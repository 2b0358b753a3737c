package authz

import (
	"encoding/json"
	"strconv"
	"strings"
)

// This file decodes the grammar of descriptor.go: one rule per "__type", holding the fields
// the type allows and a small function that reads them. decodeNode and decodeExpr check the
// depth bound, the "__type" and the fields, then hand the object to the rule.

type (
	nodeRule struct {
		fields []string
		decode func(m map[string]any, path string, depth int) (Node, error)
	}
	exprRule struct {
		fields []string
		decode func(m map[string]any, path string, depth int) (Expr, error)
	}
)

// The rule tables, and the type names in the order error messages list them. They are built
// in init because the rules decode their children through the tables.
var (
	nodeRules map[string]nodeRule
	exprRules map[string]exprRule
	nodeTypes []string
	exprTypes []string
)

func init() {
	nodes := []struct {
		typ string
		nodeRule
	}{
		{typeAllow, nodeRule{[]string{"permissions", "constraints"}, decodeAllow}},
		{typeGroup, nodeRule{[]string{"entries"}, decodeGroup}},
		{typeCondition, nodeRule{[]string{"condition", "subNode"}, decodeCondition}},
		{typeIfThenElse, nodeRule{[]string{"condition", "subNodeForTrue", "subNodeForFalse"}, decodeIfThenElse}},
		{typeSelect, nodeRule{[]string{"selector", "options"}, decodeSelect}},
		{typeCompose, nodeRule{[]string{"permissionDescriptors"}, decodeCompose}},
	}
	nodeRules = map[string]nodeRule{}
	for _, n := range nodes {
		nodeRules[n.typ] = n.nodeRule
		nodeTypes = append(nodeTypes, n.typ)
	}

	exprs := []struct {
		typ string
		exprRule
	}{
		{typeEqual, exprRule{[]string{"left", "right"}, decodeEqual}},
		{typeIn, exprRule{[]string{"target", "values"}, decodeIn}},
		{typeAnd, exprRule{[]string{"left", "right"}, decodeAnd}},
		{typeOr, exprRule{[]string{"left", "right"}, decodeOr}},
		{typeNot, exprRule{[]string{"node"}, decodeNot}},
		{typeHasTag, exprRule{[]string{"context", "key", "node"}, decodeHasTag}},
		{typeTag, exprRule{[]string{"context", "key"}, decodeTag}},
		{typeString, exprRule{[]string{"value"}, decodeString}},
		{typeNumber, exprRule{[]string{"value"}, decodeNumber}},
		{typeBool, exprRule{[]string{"value"}, decodeBool}},
		{typeStringSet, exprRule{[]string{"values"}, decodeStringSet}},
	}
	for k := ContextKind(0); k < numContextKinds; k++ {
		exprs = append(exprs, []struct {
			typ string
			exprRule
		}{
			{contextType(k), exprRule{nil, contextDecoder(k)}},
			{identityType(k), exprRule{[]string{"identity"}, identityDecoder(k)}},
			{identitySetType(k), exprRule{[]string{"identities"}, identitySetDecoder(k)}},
		}...)
	}
	exprRules = map[string]exprRule{}
	for _, e := range exprs {
		exprRules[e.typ] = e.exprRule
		exprTypes = append(exprTypes, e.typ)
	}
}

// decodeNode reads the descriptor node v found at path, depth levels below the root.
func decodeNode(v any, path string, depth int) (Node, error) {
	if depth > MaxDepth {
		return nil, errAt(path, "tree is nested deeper than %d levels", MaxDepth)
	}
	m, typ, err := object(v, path)
	if err != nil {
		return nil, err
	}
	rule, ok := nodeRules[typ]
	if !ok {
		if strings.HasPrefix(typ, "PermissionExpression") || strings.HasPrefix(typ, "PermissionLiteral") || strings.HasPrefix(typ, "PermissionSet") {
			return nil, errAt(path+".__type", "%s is an expression; a descriptor node is expected here (one of %s)", typ, strings.Join(nodeTypes, ", "))
		}
		return nil, errAt(path+".__type", "unknown descriptor type %q%s", typ, suggest(typ, nodeTypes))
	}
	if err := checkFields(m, path, typ, rule.fields...); err != nil {
		return nil, err
	}
	return rule.decode(m, path, depth)
}

// decodeExpr reads the expression v found at path, depth levels below the root.
func decodeExpr(v any, path string, depth int) (Expr, error) {
	if depth > MaxDepth {
		return nil, errAt(path, "tree is nested deeper than %d levels", MaxDepth)
	}
	m, typ, err := object(v, path)
	if err != nil {
		return nil, err
	}
	rule, ok := exprRules[typ]
	if !ok {
		if strings.HasPrefix(typ, "PermissionDescriptor") {
			return nil, errAt(path+".__type", "%s is a descriptor node; an expression is expected here", typ)
		}
		return nil, errAt(path+".__type", "unknown expression type %q%s", typ, suggest(typ, exprTypes))
	}
	if err := checkFields(m, path, typ, rule.fields...); err != nil {
		return nil, err
	}
	return rule.decode(m, path, depth)
}

// Fields holding children. depth is the parent's; the child is one level deeper.

func nodeField(m map[string]any, k, path string, depth int, required bool) (Node, error) {
	v, ok := field(m, k)
	if !ok {
		if required {
			return nil, errAt(path+"."+k, "required")
		}
		return nil, nil
	}
	return decodeNode(v, path+"."+k, depth+1)
}

// exprField reads the required expression m[k].
func exprField(m map[string]any, k, path string, depth int) (Expr, error) {
	v, ok := field(m, k)
	if !ok {
		return nil, errAt(path+"."+k, "required")
	}
	return decodeExpr(v, path+"."+k, depth+1)
}

// boolField reads a required expression that yields a boolean (a condition).
func boolField(m map[string]any, k, path string, depth int) (Expr, error) {
	e, err := exprField(m, k, path, depth)
	if err != nil {
		return nil, err
	}
	if !isBoolExpr(e) {
		return nil, errAt(path+"."+k, "%s is not a boolean expression", e.exprType())
	}
	return e, nil
}

// valueField reads a required expression that yields a single value (not a set).
func valueField(m map[string]any, k, path string, depth int) (Expr, error) {
	e, err := exprField(m, k, path, depth)
	if err != nil {
		return nil, err
	}
	if isSetExpr(e) {
		return nil, errAt(path+"."+k, "%s is a set; sets may only be the values of %s", e.exprType(), typeIn)
	}
	return e, nil
}

// contextField reads a required context expression (PermissionExpressionStack, …).
func contextField(m map[string]any, k, path string, depth int) (Expr, error) {
	e, err := valueField(m, k, path, depth)
	if err != nil {
		return nil, err
	}
	if _, ok := e.(*Context); !ok {
		return nil, errAt(path+"."+k, "want a context expression (PermissionExpressionStack, …), got %s", e.exprType())
	}
	return e, nil
}

// Descriptor nodes.

func decodeAllow(m map[string]any, path string, _ int) (Node, error) {
	perms, err := stringList(m, "permissions", path)
	if err != nil {
		return nil, err
	}
	for i, s := range perms {
		if _, err := LookupScope(s); err != nil {
			return nil, &ParseError{Path: element{path + ".permissions", i}.path(), Msg: err.Error(), Err: err}
		}
	}
	a := &Allow{Permissions: perms}
	if c, ok := field(m, "constraints"); ok {
		if a.Constraints, err = decodeConstraints(c, path+".constraints"); err != nil {
			return nil, err
		}
	}
	return a, nil
}

func decodeConstraints(v any, path string) (*Constraints, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, errAt(path, "want an object, got %s", jsonKind(v))
	}
	for k := range m {
		if k != "MaxOpenDuration" {
			return nil, errAt(path+"."+k, "unknown constraint (allowed: MaxOpenDuration)")
		}
	}
	c := &Constraints{}
	if d, ok := field(m, "MaxOpenDuration"); ok {
		n, err := integer(d, path+".MaxOpenDuration")
		if err != nil {
			return nil, err
		}
		c.MaxOpenDuration = n
	}
	return c, nil
}

func decodeGroup(m map[string]any, path string, depth int) (Node, error) {
	entries, err := list(m, "entries", path, "an array", "a group", func(v any, at element) (Node, error) {
		return decodeNode(v, at.path(), depth+1)
	})
	if err != nil {
		return nil, err
	}
	return &Group{Entries: entries}, nil
}

func decodeCondition(m map[string]any, path string, depth int) (Node, error) {
	c, err := boolField(m, "condition", path, depth)
	if err != nil {
		return nil, err
	}
	sub, err := nodeField(m, "subNode", path, depth, true)
	if err != nil {
		return nil, err
	}
	return &Condition{Condition: c, SubNode: sub}, nil
}

func decodeIfThenElse(m map[string]any, path string, depth int) (Node, error) {
	c, err := boolField(m, "condition", path, depth)
	if err != nil {
		return nil, err
	}
	t, err := nodeField(m, "subNodeForTrue", path, depth, false)
	if err != nil {
		return nil, err
	}
	f, err := nodeField(m, "subNodeForFalse", path, depth, false)
	if err != nil {
		return nil, err
	}
	return &IfThenElse{Condition: c, True: t, False: f}, nil
}

func decodeSelect(m map[string]any, path string, depth int) (Node, error) {
	sel, err := valueField(m, "selector", path, depth)
	if err != nil {
		return nil, err
	}
	opts, err := list(m, "options", path, "an array", "a select", func(v any, at element) (SelectOption, error) {
		return decodeOption(v, sel, at.path(), depth)
	})
	if err != nil {
		return nil, err
	}
	return &Select{Selector: sel, Options: opts}, nil
}

// decodeOption reads one {value, node} option of a select on sel (an object without "__type").
func decodeOption(v any, sel Expr, path string, depth int) (SelectOption, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return SelectOption{}, errAt(path, "want an object with \"value\" and \"node\", got %s", jsonKind(v))
	}
	for k := range m {
		if k != "value" && k != "node" {
			return SelectOption{}, errAt(path+"."+k, "unknown field of a select option (allowed: value, node)")
		}
	}
	val, err := valueField(m, "value", path, depth)
	if err != nil {
		return SelectOption{}, err
	}
	if err := comparable(sel, val, path+".value"); err != nil {
		return SelectOption{}, err
	}
	n, err := nodeField(m, "node", path, depth, true)
	if err != nil {
		return SelectOption{}, err
	}
	return SelectOption{Value: val, Node: n}, nil
}

func decodeCompose(m map[string]any, path string, _ int) (Node, error) {
	ids, err := stringList(m, "permissionDescriptors", path)
	if err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return nil, errAt(path+".permissionDescriptors", "name at least one permission set or policy ID")
	}
	for i, id := range ids {
		if id == "" {
			return nil, errAt(element{path + ".permissionDescriptors", i}.path(), "empty ID")
		}
	}
	return &Compose{IDs: ids}, nil
}

// Operators.

func decodeEqual(m map[string]any, path string, depth int) (Expr, error) {
	l, err := valueField(m, "left", path, depth)
	if err != nil {
		return nil, err
	}
	r, err := valueField(m, "right", path, depth)
	if err != nil {
		return nil, err
	}
	if err := comparable(l, r, path); err != nil {
		return nil, err
	}
	return &Equal{Left: l, Right: r}, nil
}

func decodeIn(m map[string]any, path string, depth int) (Expr, error) {
	t, err := valueField(m, "target", path, depth)
	if err != nil {
		return nil, err
	}
	vals, err := exprField(m, "values", path, depth)
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
}

// boolOperands reads the two boolean operands of And and Or.
func boolOperands(m map[string]any, path string, depth int) (l, r Expr, err error) {
	if l, err = boolField(m, "left", path, depth); err != nil {
		return nil, nil, err
	}
	if r, err = boolField(m, "right", path, depth); err != nil {
		return nil, nil, err
	}
	return l, r, nil
}

func decodeAnd(m map[string]any, path string, depth int) (Expr, error) {
	l, r, err := boolOperands(m, path, depth)
	if err != nil {
		return nil, err
	}
	return &And{Left: l, Right: r}, nil
}

func decodeOr(m map[string]any, path string, depth int) (Expr, error) {
	l, r, err := boolOperands(m, path, depth)
	if err != nil {
		return nil, err
	}
	return &Or{Left: l, Right: r}, nil
}

func decodeNot(m map[string]any, path string, depth int) (Expr, error) {
	x, err := boolField(m, "node", path, depth)
	if err != nil {
		return nil, err
	}
	return &Not{X: x}, nil
}

// tagOperands reads the context and the non-empty key of HasTag and Tag.
func tagOperands(m map[string]any, path string, depth int) (Expr, string, error) {
	c, err := contextField(m, "context", path, depth)
	if err != nil {
		return nil, "", err
	}
	key, err := stringField(m, "key", path)
	if err != nil {
		return nil, "", err
	}
	if key == "" {
		return nil, "", errAt(path+".key", "empty tag key")
	}
	return c, key, nil
}

func decodeHasTag(m map[string]any, path string, depth int) (Expr, error) {
	c, key, err := tagOperands(m, path, depth)
	if err != nil {
		return nil, err
	}
	h := &HasTag{Context: c, Key: key}
	if raw, ok := field(m, "node"); ok {
		if h.Node, err = decodeExpr(raw, path+".node", depth+1); err != nil {
			return nil, err
		}
	}
	return h, nil
}

func decodeTag(m map[string]any, path string, depth int) (Expr, error) {
	c, key, err := tagOperands(m, path, depth)
	if err != nil {
		return nil, err
	}
	return &Tag{Context: c, Key: key}, nil
}

// Literals.

func decodeString(m map[string]any, path string, _ int) (Expr, error) {
	s, err := stringField(m, "value", path)
	if err != nil {
		return nil, err
	}
	return &String{Value: s}, nil
}

func decodeNumber(m map[string]any, path string, _ int) (Expr, error) {
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
}

func decodeBool(m map[string]any, path string, _ int) (Expr, error) {
	raw, ok := field(m, "value")
	if !ok {
		return nil, errAt(path+".value", "required")
	}
	b, ok := raw.(bool)
	if !ok {
		return nil, errAt(path+".value", "want a boolean, got %s", jsonKind(raw))
	}
	return &Bool{Value: b}, nil
}

func decodeStringSet(m map[string]any, path string, _ int) (Expr, error) {
	vals, err := stringList(m, "values", path)
	if err != nil {
		return nil, err
	}
	return &StringSet{Values: vals}, nil
}

// Contexts and entity literals, one of each per ContextKind.

func contextDecoder(k ContextKind) func(map[string]any, string, int) (Expr, error) {
	return func(map[string]any, string, int) (Expr, error) { return &Context{Kind: k}, nil }
}

func identityDecoder(k ContextKind) func(map[string]any, string, int) (Expr, error) {
	return func(m map[string]any, path string, _ int) (Expr, error) {
		id, err := stringField(m, "identity", path)
		if err != nil {
			return nil, err
		}
		if id == "" {
			return nil, errAt(path+".identity", "empty identity")
		}
		return &Identity{Kind: k, ID: id}, nil
	}
}

func identitySetDecoder(k ContextKind) func(map[string]any, string, int) (Expr, error) {
	return func(m map[string]any, path string, _ int) (Expr, error) {
		ids, err := stringList(m, "identities", path)
		if err != nil {
			return nil, err
		}
		return &IdentitySet{Kind: k, IDs: ids}, nil
	}
}

// Static checks on operands.

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
