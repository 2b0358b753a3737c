package authz

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// This file holds every sentence the package says about decisions and coverage. Explanation,
// Grant, Denial and Coverage carry values; the text here is rendered from them, and the
// server's 403 bodies, the access-check API and both providers' checkAccess use it.

func (e Entity) String() string {
	switch {
	case e.Kind == KindOrg:
		return "the organization"
	case e.Name != "":
		return e.Kind.String() + " " + e.Name
	}
	return e.Kind.String() + " " + e.ID
}

// appendEntity appends e.String() to dst.
func appendEntity(dst []byte, e Entity) []byte {
	switch {
	case e.Kind == KindOrg:
		return append(dst, "the organization"...)
	case e.Name != "":
		return append(append(append(dst, e.Kind.String()...), ' '), e.Name...)
	}
	return append(append(append(dst, e.Kind.String()...), ' '), e.ID...)
}

// String says why: the grants that allowed, or what is missing and where the scope is granted.
func (x Explanation) String() string {
	if !x.Decision {
		return x.denialText()
	}
	parts := make([]string, len(x.Grants))
	for i, g := range x.Grants {
		parts[i] = g.String()
	}
	return fmt.Sprintf("%s on %s allowed by: %s", catalog[x.Action].Name, x.Entity, strings.Join(parts, "; "))
}

// Reasons is String split into one line per grant (allowed) or a single line (denied): line i
// is AppendReason(nil, i).
func (x Explanation) Reasons() []string {
	if !x.Decision {
		return []string{x.denialText()}
	}
	out := make([]string, len(x.Grants))
	var buf []byte
	for i := range x.Grants {
		buf = x.AppendReason(buf[:0], i)
		out[i] = string(buf)
	}
	return out
}

// ReasonCount is how many lines Reasons has: one per grant (allowed), one (denied).
func (x Explanation) ReasonCount() int {
	if !x.Decision {
		return 1
	}
	return len(x.Grants)
}

// AppendReason appends line i of Reasons to dst (0 ≤ i < ReasonCount): why Grants[i] allowed,
// or why the request was denied. Servers writing many answers use it instead of Reasons: it
// allocates nothing but dst's growth.
func (x Explanation) AppendReason(dst []byte, i int) []byte {
	if !x.Decision {
		return x.appendDenialText(dst)
	}
	g := x.Grants[i]
	dst = append(dst, catalog[x.Action].Name...)
	dst = append(dst, " on "...)
	dst = appendEntity(dst, x.Entity)
	dst = append(dst, " is allowed by the grant "...)
	dst = append(dst, g.origin()...)
	if g.Condition != "" {
		dst = append(dst, " under the condition "...)
		dst = append(dst, g.Condition...)
	}
	dst = append(dst, ' ')
	if len(g.Entities) == 1 && g.Entities[0] == x.Entity.ID {
		return appendEntity(append(dst, "on "...), x.Entity) // name the entity rather than repeat its ID
	}
	return append(dst, g.where()...)
}

func (x Explanation) denialText() string { return string(x.appendDenialText(nil)) }

func (x Explanation) appendDenialText(dst []byte) []byte { return x.AppendDenialText(dst, x.Denial()) }

// AppendDenialText is AppendReason for a denied request whose Denial the caller already has
// (d = x.Denial(): computing it reads the index).
func (x Explanation) AppendDenialText(dst []byte, d Denial) []byte {
	scope := catalog[x.Action]
	if d.Reason == WrongKind {
		dst = append(append(dst, scope.Name...), " acts on a "...)
		dst = append(append(dst, scope.Kind.String()...), ", not on "...)
		return appendEntity(dst, x.Entity)
	}
	if d.Reason == DeniedByGuardrail {
		dst = append(append(dst, scope.Name...), " on "...)
		dst = appendEntity(dst, x.Entity)
		dst = append(append(dst, " is denied by "...), x.Guardrail.describe()...)
		dst = append(dst, ", which no grant overrides ("...)
		dst = strconv.AppendInt(dst, int64(d.Overridden), 10)
		return append(dst, " grant(s) of the principal would allow it)"...)
	}
	dst = append(append(dst, "no grant of "...), scope.Name...)
	dst = appendEntity(append(dst, " on "...), x.Entity)
	switch d.Reason {
	case GrantedNowhere:
		dst = append(append(dst, "; the principal's role grants "...), scope.Name...)
		return append(dst, " nowhere"...)
	case OnlyConditional:
		dst = strconv.AppendInt(append(dst, "; "...), int64(d.Conditional), 10)
		dst = append(append(dst, " conditional grant(s) of "...), scope.Name...)
		return append(dst, " do not hold for it"...)
	case OnlyElsewhere:
		dst = strconv.AppendInt(append(dst, "; the role grants it only on "...), int64(d.Elsewhere), 10)
		dst = append(append(dst, " other "...), scope.Kind.String()...)
		return append(dst, "(s)"...)
	}
	return dst
}

var denialReasons = [...]string{
	NotDenied:         "",
	WrongKind:         "wrong-kind",
	NoGrant:           "no-grant",
	GrantedNowhere:    "granted-nowhere",
	OnlyConditional:   "only-conditional",
	OnlyElsewhere:     "only-elsewhere",
	DeniedByGuardrail: "guardrail",
}

func (r DenialReason) String() string {
	if int(r) < len(denialReasons) {
		return denialReasons[r]
	}
	return fmt.Sprintf("DenialReason(%d)", uint8(r))
}

// MarshalText writes the reason's String, for API bodies.
func (r DenialReason) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (g *Grant) String() string {
	var b strings.Builder
	names := g.Scopes.Names()
	if len(names) > 4 {
		fmt.Fprintf(&b, "%s, … (%d scopes)", strings.Join(names[:3], ", "), len(names))
	} else {
		b.WriteString(strings.Join(names, ", "))
	}
	b.WriteString(" " + g.where())
	if g.Condition != "" {
		b.WriteString(" when " + g.Condition)
	}
	b.WriteString(" " + g.origin())
	return b.String()
}

// where says which entities the grant covers ("on stack 7f3…", "on every stack").
func (g *Grant) where() string {
	if g.whereText != "" {
		return g.whereText
	}
	return g.describeWhere()
}

func (g *Grant) describeWhere() string {
	if g.MaxOpenDuration > 0 {
		return g.describeEntities() + openBound(g.MaxOpenDuration)
	}
	return g.describeEntities()
}

// openBound renders a MaxOpenDuration constraint for messages.
func openBound(seconds int64) string {
	return fmt.Sprintf(" (opens of at most %s)", time.Duration(seconds)*time.Second)
}

func (g *Grant) describeEntities() string {
	switch {
	case g.Kind == KindOrg:
		return "in the organization"
	case len(g.Entities) == 1:
		return fmt.Sprintf("on %s %s", g.Kind, g.Entities[0])
	case g.Entities != nil:
		return fmt.Sprintf("on %d %ss", len(g.Entities), g.Kind)
	}
	return "on every " + g.Kind.String()
}

// origin says where the grant is written: the Allow's path, in a composed record if any.
func (g *Grant) origin() string {
	if g.originText != "" {
		return g.originText
	}
	return g.describeOrigin()
}

func (g *Grant) describeOrigin() string {
	if g.Source != "" {
		return fmt.Sprintf("(record %s at %s)", g.Source, g.Path)
	}
	return "(at " + g.Path + ")"
}

// String is the gap as one line of an escalation refusal: "{stack:delete} on stack 7f3…",
// "… on every stack", "… in the organization", "… on 3 stacks when COND".
func (g Gap) String() string {
	if g.MaxOpenDuration > 0 {
		g2 := g
		g2.MaxOpenDuration = 0
		return g2.String() + openBound(g.MaxOpenDuration)
	}
	if g.Condition == "" {
		switch {
		case g.Kind == KindOrg:
			return fmt.Sprintf("%s in the organization", g.Scopes)
		case g.Entities == nil:
			return fmt.Sprintf("%s on every %s", g.Scopes, g.Kind)
		}
		return fmt.Sprintf("%s on %s", g.Scopes, g.entities())
	}
	return fmt.Sprintf("%s on %s when %s", g.Scopes, g.entities(), g.Condition)
}

func (g Gap) entities() string {
	switch {
	case g.Kind == KindOrg:
		return "the organization"
	case g.Entities == nil:
		return "every " + g.Kind.String()
	case len(g.Entities) == 1:
		return g.Kind.String() + " " + g.Entities[0]
	}
	return fmt.Sprintf("%d %ss", len(g.Entities), g.Kind)
}

// Missing is one line per gap, sorted; nil when covered.
func (c Coverage) Missing() []string {
	if len(c.Gaps) == 0 {
		return nil
	}
	out := make([]string, len(c.Gaps))
	for i, g := range c.Gaps {
		out[i] = g.String()
	}
	return out
}
