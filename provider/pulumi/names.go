package pulumi

import (
	"context"
	"strings"

	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"

	"github.com/iamref/iam/provider/mapping"
)

// names is the Pulumi front end's one Namer: fields as the schema spells them (mapping's
// canonical camelCase), settings as config keys (`iam:accessToken`).
type names struct{}

var _ mapping.Namer = names{}

func (names) Field(f mapping.Field) string     { return string(f) }
func (names) Setting(s mapping.Setting) string { return Name + ":" + string(s) }
func (names) Term(t mapping.Term) string {
	switch t {
	case mapping.TermScopeCatalog:
		return "getScopes function"
	case mapping.TermRefresh:
		return "`pulumi refresh`"
	case mapping.TermDeleteAfterUpdate:
		return "remove the grant and the Permission in one `pulumi up`, which updates the roles before it deletes the Permission (unless the Permission has the deleteBeforeReplace option)"
	}
	return string(t)
}

// field is the mapping field of a Pulumi property name (the same spelling).
func field(property string) mapping.Field { return mapping.Field(property) }

// namedError is an error whose text names things the Pulumi way; the original stays in its chain.
type namedError struct {
	text string
	err  error
}

func (e *namedError) Error() string { return e.text }
func (e *namedError) Unwrap() error { return e.err }

// rename gives err a text that names fields and settings the Pulumi way (mapping.Text).
func rename(err error) error {
	if err == nil {
		return nil
	}
	return &namedError{text: mapping.Text(err, names{}), err: err}
}

// named wraps one provider method so that the errors it returns are renamed.
func named[Req, Resp any](f func(context.Context, Req) (Resp, error)) func(context.Context, Req) (Resp, error) {
	if f == nil {
		return nil
	}
	return func(ctx context.Context, req Req) (Resp, error) {
		resp, err := f(ctx, req)
		return resp, rename(err)
	}
}

// namedErr is named for methods that return only an error.
func namedErr[Req any](f func(context.Context, Req) error) func(context.Context, Req) error {
	if f == nil {
		return nil
	}
	return func(ctx context.Context, req Req) error { return rename(f(ctx, req)) }
}

// withNames renames the errors of every provider method that reaches mapping: the one place
// where the Pulumi front end turns mapping's names into text.
func withNames(prov p.Provider) p.Provider {
	prov.Configure = namedErr(prov.Configure)
	prov.Check = named(inReason(prov.Check))
	prov.CheckConfig = named(inReason(prov.CheckConfig))
	prov.Diff = named(prov.Diff)
	prov.Create = named(prov.Create)
	prov.Read = named(prov.Read)
	prov.Update = named(prov.Update)
	prov.Delete = namedErr(prov.Delete)
	prov.Invoke = named(prov.Invoke)
	return prov
}

// checkFailures turns mapping problems into check failures whose reason is the full path and
// the problem, with the value as the user wrote it, e.g.
// `scopes[1]: unknown scope "stack:delet": did you mean "stack:delete"?`. The property stays
// empty: the engine would print the whole top-level input next to it as a Go value
// (`property grants value {[{map[permissions:…`); see inReason.
func checkFailures(ps mapping.Problems) []p.CheckFailure {
	var out []p.CheckFailure
	for _, pr := range ps {
		out = append(out, p.CheckFailure{Reason: pr.Text(names{})})
	}
	return out
}

// inReason wraps Check so that every failure, infer's own type checks included, names its
// property in the reason and leaves Property empty: the engine then prints
// `iam:index:CustomRole resource 'r' has a problem: grants[0].scopes[0]: …` instead of the
// property's value in Go syntax.
func inReason(check func(context.Context, p.CheckRequest) (p.CheckResponse, error)) func(context.Context, p.CheckRequest) (p.CheckResponse, error) {
	return func(ctx context.Context, req p.CheckRequest) (p.CheckResponse, error) {
		resp, err := check(ctx, req)
		for i, f := range resp.Failures {
			if f.Property != "" && !strings.HasPrefix(f.Reason, f.Property) {
				f.Reason = f.Property + ": " + f.Reason
			}
			f.Property = ""
			resp.Failures[i] = f
		}
		return resp, err
	}
}

// findUnknowns walks check inputs for values not known yet.
func findUnknowns(m property.Map) mapping.Unknowns {
	var out mapping.Unknowns
	var walk func(at mapping.Path, v property.Value)
	walk = func(at mapping.Path, v property.Value) {
		switch {
		case v.IsComputed():
			out.Add(at)
		case v.IsArray():
			for i, e := range v.AsArray().All {
				walk(at.At(i), e)
			}
		case v.IsMap():
			for k, e := range v.AsMap().All {
				walk(at.Dot(field(k)), e)
			}
		}
	}
	for k, v := range m.All {
		walk(mapping.Root(field(k)), v)
	}
	return out
}

// diffResponse turns mapping change lists into a detailed diff.
func diffResponse(update, replace []mapping.Field) p.DiffResponse {
	d := map[string]p.PropertyDiff{}
	for _, k := range update {
		d[names{}.Field(k)] = p.PropertyDiff{Kind: p.Update}
	}
	for _, k := range replace {
		d[names{}.Field(k)] = p.PropertyDiff{Kind: p.UpdateReplace}
	}
	return p.DiffResponse{HasChanges: len(d) > 0, DetailedDiff: d}
}

// warn logs a mapping message as a warning, named the Pulumi way.
func warn(ctx context.Context, m *mapping.Msg) {
	if m != nil {
		p.GetLogger(ctx).Warning(m.Text(names{}))
	}
}
