package terraform

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/iamref/iam/provider/mapping"
)

// names is the Terraform front end's one Namer: attributes and settings in snake_case
// (`role_id`, `access_token`); a role's grants are its `grant` blocks.
type names struct{}

var _ mapping.Namer = names{}

func (names) Field(f mapping.Field) string {
	if f == mapping.FieldGrants {
		return "grant"
	}
	return snake(string(f))
}

func (names) Setting(s mapping.Setting) string { return snake(string(s)) }

func (names) Term(t mapping.Term) string {
	switch t {
	case mapping.TermScopeCatalog:
		return "iam_scopes data source"
	case mapping.TermRefresh:
		return "`terraform refresh`"
	case mapping.TermDeleteAfterUpdate:
		return "add `lifecycle { create_before_destroy = true }` to the iam_permission, so that Terraform updates the roles before it destroys the permission"
	}
	return string(t)
}

// snake spells a camelCase name in snake_case: insightsAccounts → insights_accounts.
func snake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// errText is err's message with names spelled the Terraform way.
func errText(err error) string { return mapping.Text(err, names{}) }

// problemDiags turns mapping problems into attribute diagnostics. sets maps the mapping path of
// each set attribute (such as "scopes" or "grants[0].scopes") to the element values given to
// the mapping, so that set elements are addressed by value.
func problemDiags(ps mapping.Problems, sets map[string][]string) diag.Diagnostics {
	var diags diag.Diagnostics
	for _, pr := range ps {
		p, name := problemPath(pr.Path, sets)
		diags.AddAttributeError(p, "Invalid "+name, pr.Msg.Text(names{}))
	}
	return diags
}

// problemPath converts a mapping path to an attribute path and a short name for messages.
// Inside details (a JSON string) the attribute is as precise as it gets; a set element is
// addressed by its value when sets knows it, else the set is.
func problemPath(at mapping.Path, sets map[string][]string) (path.Path, string) {
	var p path.Path
	var so mapping.Path // the mapping path walked so far
	name := ""
	for i, s := range at.Steps {
		if s.Field != "" {
			prev := name
			name = names{}.Field(s.Field)
			if i > 1 && at.Steps[i-2].Field == mapping.FieldPolicies {
				name = prev + "." + name // policies[1].token_type: which definition, in the summary
			}
			if i == 0 {
				p = path.Root(name)
			} else {
				p = p.AtName(name)
			}
			so = so.Dot(s.Field)
			if s.Field == mapping.FieldDetails {
				return p, name
			}
			continue
		}
		if i > 0 && (at.Steps[i-1].Field == mapping.FieldGrants || at.Steps[i-1].Field == mapping.FieldPolicies) {
			p, so = p.AtListIndex(s.Index), so.At(s.Index)
			name = fmt.Sprintf("%s[%d]", name, s.Index)
			continue
		}
		if vals, ok := sets[so.String()]; ok && s.Index < len(vals) {
			return p.AtSetValue(types.StringValue(vals[s.Index])), name
		}
		return p, name
	}
	return p, name
}

// errDiags reports mapping problems on their attributes and any other error as is.
func errDiags(summary string, err error, sets map[string][]string) diag.Diagnostics {
	var ps mapping.Problems
	if errors.As(err, &ps) {
		return problemDiags(ps, sets)
	}
	var diags diag.Diagnostics
	diags.AddError(summary, errText(err))
	return diags
}
