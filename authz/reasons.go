package authz

import (
	"fmt"
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

// Reasons is String split into one line per grant (allowed) or a single line (denied).
func (x Explanation) Reasons() []string {
	if !x.Decision {
		return []string{x.denialText()}
	}
	request := catalog[x.Action].Name + " on " + x.Entity.String()
	out := make([]string, len(x.Grants))
	for i, g := range x.Grants {
		cond := ""
		if g.Condition != "" {
			cond = " under the condition " + g.Condition
		}
		where := g.where()
		if len(g.Entities) == 1 && g.Entities[0] == x.Entity.ID {
			where = "on " + x.Entity.String() // name the entity rather than repeat its ID
		}
		out[i] = request + " is allowed by the grant " + g.origin() + cond + " " + where
	}
	return out
}

func (x Explanation) denialText() string {
	scope := catalog[x.Action]
	d := x.Denial()
	if d.Reason == WrongKind {
		return fmt.Sprintf("%s acts on a %s, not on %s", scope.Name, scope.Kind, x.Entity)
	}
	if d.Reason == DeniedByGuardrail {
		return fmt.Sprintf("%s on %s is denied by %s, which no grant overrides (%d grant(s) of the principal would allow it)",
			scope.Name, x.Entity, x.Guardrail.describe(), d.Overridden)
	}
	msg := fmt.Sprintf("no grant of %s on %s", scope.Name, x.Entity)
	switch d.Reason {
	case GrantedNowhere:
		return msg + "; the principal's role grants " + scope.Name + " nowhere"
	case OnlyConditional:
		return fmt.Sprintf("%s; %d conditional grant(s) of %s do not hold for it", msg, d.Conditional, scope.Name)
	case OnlyElsewhere:
		return fmt.Sprintf("%s; the role grants it only on %d other %s(s)", msg, d.Elsewhere, scope.Kind)
	}
	return msg
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
