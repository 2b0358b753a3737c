package mapping

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/client"
)

// GuardrailArgs are the inputs of a Guardrail: an organization-wide explicit deny (an iamref
// extension). Condition is a boolean expression of the details grammar as JSON ("" = every
// entity of the actions' kind).
type GuardrailArgs struct {
	Organization string
	Name         string
	Description  string
	Actions      []string // a set
	Condition    string
	ExemptRoles  []string // role IDs; a set
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
// known actions of one kind (the closest valid name for a typo), a condition that parses,
// is boolean and reads that kind's context, and non-empty exempt role IDs.
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
	if len(a.Actions) == 0 {
		return ps
	}
	if _, _, err := authz.NewGuardrail("", a.Name, SortedUnique(a.Actions), []byte(a.Condition)); err != nil {
		ge, ok := err.(*authz.GuardrailError)
		if !ok {
			return append(ps, problem(Root(FieldCondition), "%s", err))
		}
		ps = append(ps, problem(guardrailPath(ge.Field, a.Actions), "%s", ge.Msg))
	}
	return ps
}

// guardrailPath turns authz's field ("actions[1]" of the sorted list, "condition.left.key")
// into a Path of the inputs as written.
func guardrailPath(field string, actions []string) Path {
	if rest, ok := strings.CutPrefix(field, "condition"); ok {
		at := Root(FieldCondition)
		at.JSON = rest
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
	return u.Drop(CheckGuardrail(a))
}

// CanonicalCondition is the canonical JSON of a condition (what the server stores and
// returns), or the input as is when it does not parse (Check reports that).
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

func guardrailState(org string, g *apitype.Guardrail) GuardrailState {
	return GuardrailState{
		GuardrailArgs: GuardrailArgs{Organization: org, Name: g.Name, Description: g.Description,
			Actions: SortedUnique(g.Actions), Condition: string(g.Condition), ExemptRoles: SortedUnique(g.ExemptRoles)},
		GuardrailID: g.ID, Version: g.Version,
	}
}

func guardrailCondition(a GuardrailArgs) json.RawMessage {
	if c := CanonicalCondition(a.Condition); c != "" {
		return json.RawMessage(c)
	}
	return nil
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
// Lists compare as sets and the condition by its canonical form.
func GuardrailChanges(old GuardrailState, a GuardrailArgs) (update, replace []Field) {
	replace, update = recordChanges(old.Organization, old.Name, old.Description, a.Organization, a.Name, a.Description)
	if !slices.Equal(SortedUnique(old.Actions), SortedUnique(a.Actions)) {
		update = append(update, FieldActions)
	}
	if CanonicalCondition(old.Condition) != CanonicalCondition(a.Condition) {
		update = append(update, FieldCondition)
	}
	if !slices.Equal(SortedUnique(old.ExemptRoles), SortedUnique(a.ExemptRoles)) {
		update = append(update, FieldExemptRoles)
	}
	return update, replace
}
