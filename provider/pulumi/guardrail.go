package pulumi

import (
	"context"

	"github.com/pulumi/pulumi-go-provider/infer"

	"github.com/iamref/iam/provider/mapping"
)

// Guardrail is iam:index:Guardrail, an organization-wide explicit deny (an iamref extension).
type Guardrail struct{}

// GuardrailArgs are the inputs of a Guardrail.
type GuardrailArgs struct {
	Name             string   `pulumi:"name"`
	Description      *string  `pulumi:"description,optional"`
	Actions          []string `pulumi:"actions"`
	Condition        *string  `pulumi:"condition,optional"`
	ConditionDetails *string  `pulumi:"conditionDetails,optional"`
	ExemptRoles      []string `pulumi:"exemptRoles,optional"`
	Organization     *string  `pulumi:"organization,optional" provider:"replaceOnChanges"`
}

// GuardrailState is a Guardrail's state: its inputs as the server has them, plus outputs.
type GuardrailState struct {
	GuardrailArgs
	GuardrailID string `pulumi:"guardrailId"`
	Version     int    `pulumi:"version"`
}

var (
	_ infer.CustomCheck[GuardrailArgs]                          = (*Guardrail)(nil)
	_ infer.CustomDiff[GuardrailArgs, GuardrailState]           = (*Guardrail)(nil)
	_ infer.CustomUpdate[GuardrailArgs, GuardrailState]         = (*Guardrail)(nil)
	_ infer.CustomRead[GuardrailArgs, GuardrailState]           = (*Guardrail)(nil)
	_ infer.CustomDelete[GuardrailState]                        = (*Guardrail)(nil)
	_ infer.ExplicitDependencies[GuardrailArgs, GuardrailState] = (*Guardrail)(nil)
)

// Annotate describes the resource.
func (r *Guardrail) Annotate(a infer.Annotator) {
	a.SetToken("index", "Guardrail")
	a.Describe(r, "An organization-wide explicit deny that no grant overrides (an iamref extension, like AWS SCPs): its `actions` are refused on the entities "+
		"its `condition` selects to every principal that holds none of its `exemptRoles`, whatever their roles grant. "+
		"Creating, changing or deleting one takes full admin (every scope on every entity). "+
		"Import with `{organization}/{guardrailId}`.")
}

// Annotate describes the inputs.
func (a *GuardrailArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Name, "Name of the guardrail, unique in the organization.")
	an.Describe(&a.Description, "Free-form description.")
	an.Describe(&a.Actions, "Scopes denied, such as `stack:delete`, all acting on one kind of entity or all organization-level. Order and duplicates are ignored.")
	an.Describe(&a.Condition, "Which entities it applies to, in the condition language (a subset of CEL, see docs/conditions.md), such as "+
		"`stack.tags.env == \"prod\"`; absent (and no `conditionDetails`), every entity of the actions' kind. Compared by meaning, not spelling; "+
		"refresh and import print it back canonically.")
	an.Describe(&a.ConditionDetails, "The condition as a boolean PermissionExpression tree of the wire grammar as JSON, for the rare trees the condition language "+
		"cannot say (refresh and import put such a tree here). Conflicts with `condition`.")
	an.Describe(&a.ExemptRoles, "IDs of roles whose holders (tokens, members and teams holding them directly) it does not bind: the break-glass roles.")
	an.Describe(&a.Organization, "Organization that owns the guardrail; defaults to the provider's organization. Changing it replaces the guardrail.")
}

// Annotate describes the outputs.
func (s *GuardrailState) Annotate(a infer.Annotator) {
	a.Describe(&s.GuardrailID, "Server-assigned ID of the guardrail.")
	a.Describe(&s.Version, "Version of the guardrail on the server; it increases with every change.")
}

// WireDependencies keeps guardrailId known across in-place updates.
func (*Guardrail) WireDependencies(f infer.FieldSelector, args *GuardrailArgs, state *GuardrailState) {
	f.OutputField(&state.GuardrailID).DependsOn(f.InputField(&args.Organization))
	f.OutputField(&state.Version).DependsOn(f.InputField(&args.Name), f.InputField(&args.Description), f.InputField(&args.Actions),
		f.InputField(&args.Condition), f.InputField(&args.ConditionDetails), f.InputField(&args.ExemptRoles), f.InputField(&args.Organization))
}

func (a GuardrailArgs) mapping() mapping.GuardrailArgs {
	return mapping.GuardrailArgs{Organization: deref(a.Organization), Name: a.Name, Description: deref(a.Description),
		Actions: a.Actions, Condition: deref(a.Condition), ConditionDetails: deref(a.ConditionDetails), ExemptRoles: a.ExemptRoles}
}

func guardrailArgs(m mapping.GuardrailArgs) GuardrailArgs {
	return GuardrailArgs{Name: m.Name, Description: ptr(m.Description), Actions: m.Actions, Condition: ptr(m.Condition),
		ConditionDetails: ptr(m.ConditionDetails), ExemptRoles: m.ExemptRoles, Organization: ptr(m.Organization)}
}

func (s GuardrailState) mapping() mapping.GuardrailState {
	return mapping.GuardrailState{GuardrailArgs: s.GuardrailArgs.mapping(), GuardrailID: s.GuardrailID, Version: s.Version}
}

func guardrailState(m mapping.GuardrailState) GuardrailState {
	return GuardrailState{GuardrailArgs: guardrailArgs(m.GuardrailArgs), GuardrailID: m.GuardrailID, Version: m.Version}
}

// Check validates offline with mapping.CheckGuardrail and puts lists and the condition in
// canonical form, so that state holds what the server returns.
func (*Guardrail) Check(ctx context.Context, req infer.CheckRequest) (infer.CheckResponse[GuardrailArgs], error) {
	args, failures, err := infer.DefaultCheck[GuardrailArgs](ctx, req.NewInputs)
	if err != nil || len(failures) > 0 {
		return infer.CheckResponse[GuardrailArgs]{Inputs: args, Failures: failures}, err
	}
	failures = checkFailures(mapping.CheckGuardrailWithUnknowns(args.mapping(), findUnknowns(req.NewInputs)))
	if !hasSecretOrUnknown(req.NewInputs.Get("actions")) && len(args.Actions) > 0 {
		args.Actions = mapping.SortedUnique(args.Actions)
	}
	if !hasSecretOrUnknown(req.NewInputs.Get("exemptRoles")) && len(args.ExemptRoles) > 0 {
		args.ExemptRoles = mapping.SortedUnique(args.ExemptRoles)
	}
	if !hasSecretOrUnknown(req.NewInputs.Get("condition")) && args.Condition != nil {
		args.Condition = ptr(mapping.CanonicalConditionText(*args.Condition))
	}
	if !hasSecretOrUnknown(req.NewInputs.Get("conditionDetails")) && args.ConditionDetails != nil {
		args.ConditionDetails = ptr(mapping.CanonicalCondition(*args.ConditionDetails))
	}
	return infer.CheckResponse[GuardrailArgs]{Inputs: args, Failures: failures}, nil
}

// Diff reports in-place updates (lists as sets, the condition by meaning) and a replacement
// for organization.
func (*Guardrail) Diff(_ context.Context, req infer.DiffRequest[GuardrailArgs, GuardrailState]) (infer.DiffResponse, error) {
	update, replace := mapping.GuardrailChanges(req.State.mapping(), req.Inputs.mapping())
	return diffResponse(update, replace), nil
}

// Create creates the guardrail (nothing is called during a preview).
func (*Guardrail) Create(ctx context.Context, req infer.CreateRequest[GuardrailArgs]) (infer.CreateResponse[GuardrailState], error) {
	if req.DryRun {
		return infer.CreateResponse[GuardrailState]{Output: GuardrailState{GuardrailArgs: req.Inputs}}, nil
	}
	prov, err := provider(ctx)
	if err != nil {
		return infer.CreateResponse[GuardrailState]{}, err
	}
	org, err := prov.Org(deref(req.Inputs.Organization))
	if err != nil {
		return infer.CreateResponse[GuardrailState]{}, err
	}
	st, err := prov.CreateGuardrail(ctx, req.Inputs.mapping())
	if err != nil {
		return infer.CreateResponse[GuardrailState]{}, err
	}
	return infer.CreateResponse[GuardrailState]{ID: mapping.ResourceID(org, st.GuardrailID), Output: guardrailState(st)}, nil
}

// Read reads the guardrail back (refresh and import); a deleted guardrail is gone.
func (*Guardrail) Read(ctx context.Context, req infer.ReadRequest[GuardrailArgs, GuardrailState]) (infer.ReadResponse[GuardrailArgs, GuardrailState], error) {
	prov, err := provider(ctx)
	if err != nil {
		return infer.ReadResponse[GuardrailArgs, GuardrailState]{}, err
	}
	org, id, err := prov.ParseID(req.ID)
	if err != nil {
		return infer.ReadResponse[GuardrailArgs, GuardrailState]{}, err
	}
	override := deref(req.State.Organization)
	if req.State.GuardrailID == "" { // import
		override = prov.ImportOrg(org)
	} else {
		id = req.State.GuardrailID
	}
	st, found, err := prov.ReadGuardrail(ctx, org, id)
	if err != nil || !found {
		return infer.ReadResponse[GuardrailArgs, GuardrailState]{}, err
	}
	st.Organization = override
	if req.State.GuardrailID != "" {
		mapping.KeepConditionSpelling(req.State.GuardrailArgs.mapping(), &st)
	}
	out := guardrailState(st)
	if len(out.ExemptRoles) == 0 && req.State.ExemptRoles == nil {
		out.ExemptRoles = nil
	}
	return infer.ReadResponse[GuardrailArgs, GuardrailState]{ID: req.ID, Inputs: out.GuardrailArgs, State: out}, nil
}

// Update changes the guardrail in place.
func (*Guardrail) Update(ctx context.Context, req infer.UpdateRequest[GuardrailArgs, GuardrailState]) (infer.UpdateResponse[GuardrailState], error) {
	if req.DryRun {
		return infer.UpdateResponse[GuardrailState]{Output: GuardrailState{GuardrailArgs: req.Inputs, GuardrailID: req.State.GuardrailID, Version: req.State.Version}}, nil
	}
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.UpdateResponse[GuardrailState]{}, err
	}
	old, in := req.State.mapping(), req.Inputs.mapping()
	old.Organization, in.Organization = org, org
	st, err := prov.UpdateGuardrail(ctx, old, in)
	if err != nil {
		return infer.UpdateResponse[GuardrailState]{}, err
	}
	st.Organization = deref(req.Inputs.Organization)
	out := guardrailState(st)
	if len(out.ExemptRoles) == 0 && req.Inputs.ExemptRoles == nil {
		out.ExemptRoles = nil
	}
	return infer.UpdateResponse[GuardrailState]{Output: out}, nil
}

// Delete deletes the guardrail; one already gone is fine.
func (*Guardrail) Delete(ctx context.Context, req infer.DeleteRequest[GuardrailState]) (infer.DeleteResponse, error) {
	prov, org, err := liveProvider(ctx, req.ID)
	if err != nil {
		return infer.DeleteResponse{}, err
	}
	st := req.State.mapping()
	st.Organization = org
	return infer.DeleteResponse{}, prov.DeleteGuardrail(ctx, st)
}
