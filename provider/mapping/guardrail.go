package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/authz/condition"
	"github.com/iamref/iam/client"
)

// GuardrailArgs are the inputs of a Guardrail: an organization-wide explicit deny (an iamref
// extension). Which entities it applies to is said once, either as Condition, text in the
// condition language (authz/condition, docs/conditions.md), or as ConditionDetails, a boolean
// expression of the wire grammar as JSON for the trees the language cannot say; neither means
// every entity of the actions' kind. The server stores the wire tree either way.
type GuardrailArgs struct {
	Organization     string
	Name             string
	Description      string
	Actions          []string // a set
	Condition        string
	ConditionDetails string
	ExemptRoles      []string // role IDs; a set
}

// GuardrailState is a Guardrail as the server has it.
type GuardrailState struct {
	GuardrailArgs
	GuardrailID string
	Version     int
}

// guardrailResource is the `resource` of the server's not-found answer for a guardrail.
const guardrailResource = "guardrail"

// CheckGuardrail validates inputs offline with the evaluator's own rules (authz.NewGuardrail):
// known actions of one kind (the closest valid name for a typo), a condition that compiles
// (line and column otherwise), is boolean and reads that kind's context, and non-empty exempt
// role IDs.
func CheckGuardrail(a GuardrailArgs) Problems {
	var ps Problems
	if strings.TrimSpace(a.Name) == "" {
		ps = append(ps, problem(Root(FieldName), "required"))
	}
	if len(a.Actions) == 0 {
		ps = append(ps, problem(Root(FieldActions), "list at least one scope to deny (see the %s)", TermScopeCatalog))
	}
	for i, r := range a.ExemptRoles {
		if strings.TrimSpace(r) == "" {
			ps = append(ps, problem(Root(FieldExemptRoles).At(i), "empty role ID"))
		}
	}
	wire, field, cps := guardrailWire(a)
	ps = append(ps, cps...)
	if len(a.Actions) == 0 || len(cps) > 0 {
		return ps
	}
	if _, _, err := authz.NewGuardrail("", a.Name, SortedUnique(a.Actions), wire); err != nil {
		ge, ok := err.(*authz.GuardrailError)
		if !ok {
			return append(ps, problem(Root(field), "%s", err))
		}
		msg := ge.Msg
		if field == FieldCondition {
			msg = wireContext.ReplaceAllString(msg, "write $1.tags.KEY or $1.id")
		}
		ps = append(ps, problem(guardrailPath(ge.Field, field, a.Actions), "%s", msg))
	}
	return ps
}

// wireContext is authz's advice on the context to read, in wire terms; a condition written as
// text gets it in the language's terms.
var wireContext = regexp.MustCompile(`use the (\w+) context \(PermissionExpression\w+\)`)

// guardrailWire is the wire tree (canonical JSON, nil for none) of the guardrail's condition,
// the field it came from, and the problems that kept it from compiling.
func guardrailWire(a GuardrailArgs) (json.RawMessage, Field, Problems) {
	text, details := strings.TrimSpace(a.Condition), strings.TrimSpace(a.ConditionDetails)
	switch {
	case text != "" && details != "":
		return nil, FieldCondition, Problems{problem(Root(FieldConditionDetails), "give the condition once: as text in %s or as JSON in %s, not both", FieldCondition, FieldConditionDetails)}
	case details != "":
		e, err := authz.ParseExpr([]byte(details))
		if err != nil {
			// authz.NewGuardrail names the offending node of the JSON.
			return json.RawMessage(details), FieldConditionDetails, nil
		}
		return authz.FormatExpr(e), FieldConditionDetails, nil
	case text == "":
		return nil, FieldCondition, nil
	case strings.HasPrefix(text, "{"):
		return nil, FieldCondition, Problems{problem(Root(FieldCondition), "this looks like a wire-grammar JSON tree: write it in the condition language "+
			"(such as stack.tags.env == \"prod\", see docs/conditions.md), or move the JSON to %s", FieldConditionDetails)}
	}
	x, err := condition.Compile(a.Condition)
	if err != nil {
		return nil, FieldCondition, Problems{problem(Root(FieldCondition), "%s", conditionMsg(err))}
	}
	for _, k := range authz.ExprTagKeys(x) {
		if msg := authz.CheckTagName(k); msg != "" {
			return nil, FieldCondition, Problems{problem(Root(FieldCondition), "%s", msg)}
		}
	}
	return authz.FormatExpr(x), FieldCondition, nil
}

// guardrailPath turns authz's field ("actions[1]" of the sorted list, "condition.left.key")
// into a Path of the inputs as written.
// A condition written as text has no JSON path: the problem is on the whole field.
func guardrailPath(field string, cond Field, actions []string) Path {
	if rest, ok := strings.CutPrefix(field, "condition"); ok {
		at := Root(cond)
		if cond == FieldConditionDetails {
			at.JSON = rest
		}
		return at
	}
	if rest, ok := strings.CutPrefix(field, "actions["); ok {
		if i, err := strconv.Atoi(strings.TrimSuffix(rest, "]")); err == nil {
			sorted := SortedUnique(actions)
			if i < len(sorted) {
				return Root(FieldActions).At(slices.Index(actions, sorted[i]))
			}
		}
	}
	return Root(FieldActions)
}

// CheckGuardrailWithUnknowns is CheckGuardrail at preview/plan: values not known yet get
// stand-ins, and the problems they may cause are dropped.
func CheckGuardrailWithUnknowns(a GuardrailArgs, u Unknowns) Problems {
	a.Name = u.name(FieldName, a.Name)
	a.Actions = u.scopes(Root(FieldActions), a.Actions)
	a.ExemptRoles = u.list(Root(FieldExemptRoles), a.ExemptRoles, standInPermissionID)
	if u.Has(Root(FieldCondition)) {
		a.Condition = ""
	}
	if u.Has(Root(FieldConditionDetails)) {
		a.ConditionDetails = ""
	}
	return u.Drop(CheckGuardrail(a))
}

// CanonicalCondition is the canonical JSON of a wire-grammar condition (what the server
// stores and returns), or the input as is when it does not parse (Check reports that).
func CanonicalCondition(c string) string {
	if strings.TrimSpace(c) == "" {
		return ""
	}
	e, err := authz.ParseExpr([]byte(c))
	if err != nil {
		return c
	}
	return string(authz.FormatExpr(e))
}

// CanonicalConditionText is the canonical spelling of a condition-language text (what a
// read prints back), or the input as is when it does not compile (Check reports that).
func CanonicalConditionText(c string) string {
	if strings.TrimSpace(c) == "" {
		return ""
	}
	x, err := condition.Compile(c)
	if err != nil {
		return c
	}
	if out, err := condition.Print(x); err == nil {
		return out
	}
	return c
}

// GuardrailConditionKey is what two guardrails' conditions are compared by: the wire tree
// they compile to, whichever field says it. Inputs that do not compile compare as written.
func GuardrailConditionKey(a GuardrailArgs) string {
	wire, _, ps := guardrailWire(a)
	if len(ps) > 0 {
		return "\x00" + a.Condition + "\x00" + a.ConditionDetails
	}
	return string(wire)
}

// guardrailState reads the server's guardrail into the typed form: the condition printed in
// the condition language, or as JSON in ConditionDetails when the language cannot say it.
func guardrailState(org string, g *apitype.Guardrail) GuardrailState {
	st := GuardrailState{
		GuardrailArgs: GuardrailArgs{Organization: org, Name: g.Name, Description: g.Description,
			Actions: SortedUnique(g.Actions), ExemptRoles: SortedUnique(g.ExemptRoles)},
		GuardrailID: g.ID, Version: g.Version,
	}
	if len(g.Condition) == 0 || string(g.Condition) == "null" {
		return st
	}
	st.ConditionDetails = CanonicalCondition(string(g.Condition))
	if e, err := authz.ParseExpr(g.Condition); err == nil {
		if text, err := condition.Print(e); err == nil {
			st.Condition, st.ConditionDetails = text, ""
		}
	}
	return st
}

func guardrailCondition(a GuardrailArgs) json.RawMessage {
	wire, _, _ := guardrailWire(a) // after CheckGuardrail: it compiles
	return wire
}

// CreateGuardrail creates the guardrail (the provider's token must be a full admin).
func (p *Provider) CreateGuardrail(ctx context.Context, a GuardrailArgs) (GuardrailState, error) {
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return GuardrailState{}, err
	}
	if err := CheckGuardrail(a).Err(); err != nil {
		return GuardrailState{}, err
	}
	g, err := p.client.CreateGuardrail(ctx, org, apitype.CreateGuardrailRequest{Name: a.Name, Description: a.Description,
		Actions: SortedUnique(a.Actions), Condition: guardrailCondition(a), ExemptRoles: SortedUnique(a.ExemptRoles)})
	if err != nil {
		return GuardrailState{}, apiErr(fmt.Sprintf("create guardrail %q", a.Name), err)
	}
	st := guardrailState(org, g)
	st.Organization = a.Organization
	return st, nil
}

// ReadGuardrail reads the guardrail; found is false when it is gone.
func (p *Provider) ReadGuardrail(ctx context.Context, orgOverride, id string) (st GuardrailState, found bool, err error) {
	org, err := p.apiOrg(orgOverride)
	if err != nil {
		return GuardrailState{}, false, err
	}
	g, err := p.client.GetGuardrail(ctx, org, id)
	if client.IsRecordNotFound(err, guardrailResource) {
		return GuardrailState{}, false, nil
	}
	if err != nil {
		return GuardrailState{}, false, apiErr("read guardrail "+id, err)
	}
	st = guardrailState(org, g)
	st.Organization = orgOverride
	return st, true, nil
}

// UpdateGuardrail replaces the guardrail in place, expecting the version last read.
func (p *Provider) UpdateGuardrail(ctx context.Context, old GuardrailState, a GuardrailArgs) (GuardrailState, error) {
	org, err := p.apiOrg(a.Organization)
	if err != nil {
		return GuardrailState{}, err
	}
	if err := CheckGuardrail(a).Err(); err != nil {
		return GuardrailState{}, err
	}
	req := apitype.UpdateGuardrailRequest{Name: a.Name, Description: a.Description, Actions: SortedUnique(a.Actions),
		Condition: guardrailCondition(a), ExemptRoles: SortedUnique(a.ExemptRoles)}
	if old.Version > 0 {
		v := old.Version
		req.Version = &v
	}
	g, err := p.client.UpdateGuardrail(ctx, org, old.GuardrailID, req)
	if client.IsConflict(err) && strings.Contains(err.Error(), "changed since") {
		return GuardrailState{}, errorf(err, "update guardrail %q: it was changed on the server since it was last read (version %d); run %s and try again", a.Name, old.Version, TermRefresh)
	}
	if err != nil {
		return GuardrailState{}, apiErr(fmt.Sprintf("update guardrail %q", a.Name), err)
	}
	st := guardrailState(org, g)
	st.Organization = a.Organization
	return st, nil
}

// DeleteGuardrail deletes the guardrail; one already gone is fine.
func (p *Provider) DeleteGuardrail(ctx context.Context, st GuardrailState) error {
	org, err := p.apiOrg(st.Organization)
	if err != nil {
		return err
	}
	err = p.client.DeleteGuardrail(ctx, org, st.GuardrailID)
	if err == nil || client.IsRecordNotFound(err, guardrailResource) {
		return nil
	}
	return apiErr(fmt.Sprintf("delete guardrail %q", st.Name), err)
}

// GuardrailChanges lists the inputs whose change needs an update (organization: replace).
// Lists compare as sets and the condition by meaning (the wire tree it compiles to), so text
// and JSON that say the same are no change.
func GuardrailChanges(old GuardrailState, a GuardrailArgs) (update, replace []Field) {
	replace, update = recordChanges(old.Organization, old.Name, old.Description, a.Organization, a.Name, a.Description)
	if !slices.Equal(SortedUnique(old.Actions), SortedUnique(a.Actions)) {
		update = append(update, FieldActions)
	}
	if GuardrailConditionKey(old.GuardrailArgs) != GuardrailConditionKey(a) {
		update = append(update, FieldCondition)
	}
	if !slices.Equal(SortedUnique(old.ExemptRoles), SortedUnique(a.ExemptRoles)) {
		update = append(update, FieldExemptRoles)
	}
	return update, replace
}

// KeepConditionSpelling keeps the prior inputs' condition fields in a read guardrail when
// they mean what the server has, so that a refresh of an unchanged guardrail changes nothing
// (a tree written as conditionDetails stays there); otherwise the read's typed form stands.
func KeepConditionSpelling(prior GuardrailArgs, read *GuardrailState) {
	if GuardrailConditionKey(prior) == GuardrailConditionKey(read.GuardrailArgs) {
		read.Condition, read.ConditionDetails = prior.Condition, prior.ConditionDetails
	}
}
