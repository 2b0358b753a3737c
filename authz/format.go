package authz

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Format prints a tree in canonical JSON: "__type" first, fields in a fixed order, no
// whitespace, and set-valued lists (permissions, Compose IDs, identity and string sets)
// sorted and de-duplicated. Two trees that mean the same through those lists print the same
// bytes, which is what the providers diff on. Group entries and select options keep their order.
func Format(n Node) []byte {
	var b bytes.Buffer
	writeNode(&b, n)
	return b.Bytes()
}

// FormatExpr prints an expression the same way.
func FormatExpr(e Expr) []byte {
	var b bytes.Buffer
	writeExpr(&b, e)
	return b.Bytes()
}

// Canonical parses and re-prints details: the form the server stores and returns.
func Canonical(details []byte) ([]byte, error) {
	n, err := Parse(details)
	if err != nil {
		return nil, err
	}
	return Format(n), nil
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

// writeString prints s as a JSON string. Unlike json.Marshal it leaves '<', '>' and '&' as they
// are: HTML escaping would turn each into six bytes, so that details within the size limit when
// sent could exceed it once printed. Control characters, '"' and '\\' are escaped as JSON
// requires, U+2028 and U+2029 as json.Marshal does, and invalid UTF-8 becomes U+FFFD.
func writeString(b *bytes.Buffer, s string) {
	const hex = "0123456789abcdef"
	b.WriteByte('"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b.WriteString(s[start:i])
			switch c {
			case '"', '\\':
				b.WriteByte('\\')
				b.WriteByte(c)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case '\t':
				b.WriteString(`\t`)
			default:
				b.WriteString(`\u00`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteString(s[start:i])
			b.WriteString(`\ufffd`)
		case r == '\u2028' || r == '\u2029':
			b.WriteString(s[start:i])
			b.WriteString(`\u202`)
			b.WriteByte(hex[r&0xf])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b.WriteString(s[start:])
	b.WriteByte('"')
}

func writeStrings(b *bytes.Buffer, list []string) {
	b.WriteByte('[')
	for i, s := range list {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, s)
	}
	b.WriteByte(']')
}

func writeType(b *bytes.Buffer, t string) {
	b.WriteString(`{"__type":`)
	writeString(b, t)
}

func writeNode(b *bytes.Buffer, n Node) {
	if n == nil {
		b.WriteString("null")
		return
	}
	writeType(b, n.nodeType())
	switch x := n.(type) {
	case *Allow:
		b.WriteString(`,"permissions":`)
		writeStrings(b, sortedSet(x.Permissions))
		if x.Constraints != nil {
			b.WriteString(`,"constraints":{"MaxOpenDuration":`)
			b.WriteString(strconv.FormatInt(x.Constraints.MaxOpenDuration, 10))
			b.WriteByte('}')
		}
	case *Group:
		b.WriteString(`,"entries":[`)
		for i, e := range x.Entries {
			if i > 0 {
				b.WriteByte(',')
			}
			writeNode(b, e)
		}
		b.WriteByte(']')
	case *Condition:
		b.WriteString(`,"condition":`)
		writeExpr(b, x.Condition)
		b.WriteString(`,"subNode":`)
		writeNode(b, x.SubNode)
	case *IfThenElse:
		b.WriteString(`,"condition":`)
		writeExpr(b, x.Condition)
		if x.True != nil {
			b.WriteString(`,"subNodeForTrue":`)
			writeNode(b, x.True)
		}
		if x.False != nil {
			b.WriteString(`,"subNodeForFalse":`)
			writeNode(b, x.False)
		}
	case *Select:
		b.WriteString(`,"selector":`)
		writeExpr(b, x.Selector)
		b.WriteString(`,"options":[`)
		for i, o := range x.Options {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"value":`)
			writeExpr(b, o.Value)
			b.WriteString(`,"node":`)
			writeNode(b, o.Node)
			b.WriteByte('}')
		}
		b.WriteByte(']')
	case *Compose:
		b.WriteString(`,"permissionDescriptors":`)
		writeStrings(b, sortedSet(x.IDs))
	}
	b.WriteByte('}')
}

func writeExpr(b *bytes.Buffer, e Expr) {
	if e == nil {
		b.WriteString("null")
		return
	}
	writeType(b, e.exprType())
	switch x := e.(type) {
	case *Identity:
		b.WriteString(`,"identity":`)
		writeString(b, x.ID)
	case *IdentitySet:
		b.WriteString(`,"identities":`)
		writeStrings(b, sortedSet(x.IDs))
	case *StringSet:
		b.WriteString(`,"values":`)
		writeStrings(b, sortedSet(x.Values))
	case *String:
		b.WriteString(`,"value":`)
		writeString(b, x.Value)
	case *Number:
		b.WriteString(`,"value":`)
		out, _ := json.Marshal(x.Value) // finite: Parse only yields finite numbers
		b.Write(out)
	case *Bool:
		b.WriteString(`,"value":`)
		b.WriteString(strconv.FormatBool(x.Value))
	case *Equal:
		b.WriteString(`,"left":`)
		writeExpr(b, x.Left)
		b.WriteString(`,"right":`)
		writeExpr(b, x.Right)
	case *And:
		b.WriteString(`,"left":`)
		writeExpr(b, x.Left)
		b.WriteString(`,"right":`)
		writeExpr(b, x.Right)
	case *Or:
		b.WriteString(`,"left":`)
		writeExpr(b, x.Left)
		b.WriteString(`,"right":`)
		writeExpr(b, x.Right)
	case *In:
		b.WriteString(`,"target":`)
		writeExpr(b, x.Target)
		b.WriteString(`,"values":`)
		writeExpr(b, x.Values)
	case *Not:
		b.WriteString(`,"node":`)
		writeExpr(b, x.X)
	case *HasTag:
		b.WriteString(`,"context":`)
		writeExpr(b, x.Context)
		b.WriteString(`,"key":`)
		writeString(b, x.Key)
		if x.Node != nil {
			b.WriteString(`,"node":`)
			writeExpr(b, x.Node)
		}
	case *Tag:
		b.WriteString(`,"context":`)
		writeExpr(b, x.Context)
		b.WriteString(`,"key":`)
		writeString(b, x.Key)
	}
	b.WriteByte('}')
}
