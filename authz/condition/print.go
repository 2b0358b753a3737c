package condition

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/iamref/iam/authz"
)

// Print renders an expression of the grammar in the condition language, canonically: Compile
// of the text gives back the same tree (authz.FormatExpr prints the same bytes). Sets print
// sorted and de-duplicated, as authz.Format prints them; a nested && or || is parenthesized so
// that the tree's shape survives. Expressions the language cannot say (numbers, a HasTag's
// extra operand, team contexts, comparisons of booleans) are an error: they stay raw details.
func Print(x authz.Expr) (string, error) {
	var b strings.Builder
	if err := printBool(&b, x); err != nil {
		return "", err
	}
	return b.String(), nil
}

func printBool(b *strings.Builder, x authz.Expr) error {
	switch x := x.(type) {
	case *authz.Bool:
		b.WriteString(strconv.FormatBool(x.Value))
	case *authz.And:
		return printBinary(b, x.Left, x.Right, " && ")
	case *authz.Or:
		return printBinary(b, x.Left, x.Right, " || ")
	case *authz.Not:
		if eq, ok := x.X.(*authz.Equal); ok {
			return printEqual(b, eq, " != ")
		}
		b.WriteString("!")
		if h, ok := x.X.(*authz.HasTag); ok && isIdent(h.Key) {
			return printBool(b, h)
		}
		if _, ok := x.X.(*authz.Bool); ok {
			return printBool(b, x.X)
		}
		b.WriteString("(")
		if err := printBool(b, x.X); err != nil {
			return err
		}
		b.WriteString(")")
	case *authz.Equal:
		return printEqual(b, x, " == ")
	case *authz.HasTag:
		if x.Node != nil {
			return fmt.Errorf("a %s with a node operand has no form in the condition language", authz.ExprTypeName(x))
		}
		tags, err := tagsName(x.Context)
		if err != nil {
			return err
		}
		if isIdent(x.Key) {
			fmt.Fprintf(b, "has(%s.%s)", tags, x.Key)
		} else {
			fmt.Fprintf(b, "%s in %s", quote(x.Key), tags)
		}
	case *authz.In:
		if err := printValue(b, x.Target); err != nil {
			return err
		}
		b.WriteString(" in ")
		var vals []string
		switch set := x.Values.(type) {
		case *authz.StringSet:
			if _, isTag := x.Target.(*authz.Tag); !isTag {
				return fmt.Errorf("%s of a %s has no form in the condition language", authz.ExprTypeName(x), authz.ExprTypeName(x.Target))
			}
			vals = set.Values
		case *authz.IdentitySet:
			c, ok := x.Target.(*authz.Context)
			if !ok || c.Kind != set.Kind || slices.Contains(set.IDs, "") {
				return fmt.Errorf("%s of a %s has no form in the condition language", authz.ExprTypeName(x), authz.ExprTypeName(x.Target))
			}
			vals = set.IDs
		default:
			return fmt.Errorf("%s has no form in the condition language", authz.ExprTypeName(x.Values))
		}
		b.WriteString("[")
		for i, v := range sortedSet(vals) {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(quote(v))
		}
		b.WriteString("]")
	default:
		return fmt.Errorf("%s has no form in the condition language", authz.ExprTypeName(x))
	}
	return nil
}

func printBinary(b *strings.Builder, l, r authz.Expr, op string) error {
	for i, side := range []authz.Expr{l, r} {
		if i == 1 {
			b.WriteString(op)
		}
		_, and := side.(*authz.And)
		_, or := side.(*authz.Or)
		if and || or {
			b.WriteString("(")
		}
		if err := printBool(b, side); err != nil {
			return err
		}
		if and || or {
			b.WriteString(")")
		}
	}
	return nil
}

// printEqual prints a comparison; a string literal compared with an entity is its identity.
func printEqual(b *strings.Builder, eq *authz.Equal, op string) error {
	kinds := [2]authz.ContextKind{}
	for i, side := range []authz.Expr{eq.Left, eq.Right} {
		switch s := side.(type) {
		case *authz.Context:
			kinds[i] = s.Kind + 1
		case *authz.Identity:
			kinds[i] = s.Kind + 1
		case *authz.Tag, *authz.String:
		default:
			return fmt.Errorf("%s of a %s has no form in the condition language", authz.ExprTypeName(eq), authz.ExprTypeName(side))
		}
	}
	_, lid := eq.Left.(*authz.Identity)
	_, rid := eq.Right.(*authz.Identity)
	_, lctx := eq.Left.(*authz.Context)
	_, rctx := eq.Right.(*authz.Context)
	switch {
	case kinds[0] != kinds[1] && kinds[0] != 0 && kinds[1] != 0,
		(kinds[0] == 0) != (kinds[1] == 0),
		lid && !rctx, rid && !lctx:
		return fmt.Errorf("%s of a %s and a %s has no form in the condition language", authz.ExprTypeName(eq), authz.ExprTypeName(eq.Left), authz.ExprTypeName(eq.Right))
	}
	if err := printValue(b, eq.Left); err != nil {
		return err
	}
	b.WriteString(op)
	return printValue(b, eq.Right)
}

func printValue(b *strings.Builder, x authz.Expr) error {
	switch x := x.(type) {
	case *authz.String:
		b.WriteString(quote(x.Value))
	case *authz.Identity:
		if x.ID == "" {
			return fmt.Errorf("an empty identity has no form in the condition language")
		}
		if _, err := subjectName(x.Kind); err != nil {
			return err
		}
		b.WriteString(quote(x.ID))
	case *authz.Context:
		name, err := subjectName(x.Kind)
		if err != nil {
			return err
		}
		b.WriteString(name + ".id")
	case *authz.Tag:
		tags, err := tagsName(x.Context)
		if err != nil {
			return err
		}
		if isIdent(x.Key) {
			fmt.Fprintf(b, "%s.%s", tags, x.Key)
		} else {
			fmt.Fprintf(b, "%s[%s]", tags, quote(x.Key))
		}
	default:
		return fmt.Errorf("%s has no form in the condition language", authz.ExprTypeName(x))
	}
	return nil
}

func subjectName(k authz.ContextKind) (string, error) {
	for _, s := range subjects {
		if s.ctx == k {
			return s.name, nil
		}
	}
	return "", fmt.Errorf("the %s context has no form in the condition language", k)
}

func tagsName(ctx authz.Expr) (string, error) {
	c, ok := ctx.(*authz.Context)
	if !ok {
		return "", fmt.Errorf("a tag of a %s has no form in the condition language", authz.ExprTypeName(ctx))
	}
	name, err := subjectName(c.Kind)
	if err != nil {
		return "", err
	}
	return name + ".tags", nil
}

// reserved are CEL's reserved words, which cannot follow a dot.
var reserved = map[string]bool{
	"as": true, "break": true, "const": true, "continue": true, "else": true, "false": true, "for": true,
	"function": true, "if": true, "import": true, "in": true, "let": true, "loop": true, "package": true,
	"namespace": true, "null": true, "return": true, "true": true, "var": true, "void": true, "while": true,
}

// isIdent reports whether a tag key can be written after a dot (stack.tags.KEY).
func isIdent(s string) bool {
	if s == "" || reserved[s] {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_', r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

// quote prints s as a CEL string literal: double quotes, with the escapes CEL reads back.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r == 0xfffd:
			b.WriteString(`\ufffd`)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}
