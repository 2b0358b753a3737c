package terraform

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/provider/mapping"
)

// detailsType is the type of a role's `details`: a PermissionDescriptor tree as JSON whose
// values are equal when their canonical forms (authz.Canonical: the bytes the server stores)
// are. The framework then keeps the configured or prior spelling whenever the server's answer
// means the same, so formatting, key order and the order of set-valued lists never show as a
// diff or an inconsistent result.
//
// Its form says what else it may hold: a guardrail's `condition_details` (one boolean
// PermissionExpression as JSON, compared by mapping.CanonicalCondition) or a guardrail's
// `condition` (condition-language text, compared by the wire tree it compiles to).
type detailsType struct {
	basetypes.StringType
	form detailsForm
}

// detailsForm is what a detailsType holds.
type detailsForm int

const (
	formDescriptor    detailsForm = iota // a PermissionDescriptor tree as JSON
	formExpr                             // a boolean PermissionExpression as JSON
	formConditionText                    // condition-language text (authz/condition)
)

var _ basetypes.StringTypable = detailsType{}

func (t detailsType) String() string { return "iam.DetailsType" }

func (t detailsType) ValueType(context.Context) attr.Value { return detailsValue{form: t.form} }

func (t detailsType) Equal(o attr.Type) bool {
	other, ok := o.(detailsType)
	return ok && t.form == other.form && t.StringType.Equal(other.StringType)
}

func (t detailsType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return detailsValue{StringValue: in, form: t.form}, nil
}

func (t detailsType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	v, err := t.StringType.ValueFromTerraform(ctx, in)
	if err != nil {
		return nil, err
	}
	sv, ok := v.(basetypes.StringValue)
	if !ok {
		return nil, fmt.Errorf("unexpected value type %T", v)
	}
	out, diags := t.ValueFromString(ctx, sv)
	if diags.HasError() {
		return nil, fmt.Errorf("converting StringValue to detailsValue: %v", diags)
	}
	return out, nil
}

// detailsValue is a value of detailsType.
type detailsValue struct {
	basetypes.StringValue
	form detailsForm
}

var _ basetypes.StringValuableWithSemanticEquals = detailsValue{}

func (v detailsValue) Type(context.Context) attr.Type { return detailsType{form: v.form} }

func (v detailsValue) Equal(o attr.Value) bool {
	other, ok := o.(detailsValue)
	return ok && v.form == other.form && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals compares canonical forms; values that do not parse are equal only when
// identical.
func (v detailsValue) StringSemanticEquals(_ context.Context, nv basetypes.StringValuable) (bool, diag.Diagnostics) {
	var diags diag.Diagnostics
	other, ok := nv.(detailsValue)
	if !ok {
		diags.AddError("Semantic equality check error", fmt.Sprintf("expected a details value, got %T", nv))
		return false, diags
	}
	a, b := v.ValueString(), other.ValueString()
	switch v.form {
	case formExpr:
		return a == b || mapping.CanonicalCondition(a) == mapping.CanonicalCondition(b), diags
	case formConditionText:
		return a == b || mapping.GuardrailConditionKey(mapping.GuardrailArgs{Condition: a}) == mapping.GuardrailConditionKey(mapping.GuardrailArgs{Condition: b}), diags
	}
	return sameDetails(v.ValueString(), other.ValueString()), diags
}

// sameDetails reports whether two trees are the same once canonical.
func sameDetails(a, b string) bool {
	if a == b {
		return true
	}
	ca, err1 := authz.Canonical([]byte(a))
	cb, err2 := authz.Canonical([]byte(b))
	return err1 == nil && err2 == nil && bytes.Equal(ca, cb)
}

// canonicalDetails is the canonical form of a tree, or the input when it does not parse.
func canonicalDetails(s string) string {
	c, err := authz.Canonical([]byte(s))
	if err != nil {
		return s
	}
	return string(c)
}

// jsonencodeSpelling spells a tree as Terraform's jsonencode does (keys sorted, no whitespace,
// '<', '>' and '&' escaped), so that the details `terraform plan -generate-config-out` writes for
// an imported record, jsonencode({...}), is the very string in state. The input is returned
// when it does not decode.
func jsonencodeSpelling(s string) string {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return s
	}
	out, err := json.Marshal(v)
	if err != nil {
		return s
	}
	return string(out)
}

func detailsNull() detailsValue       { return detailsValue{StringValue: basetypes.NewStringNull()} }
func detailsUnknown() detailsValue    { return detailsValue{StringValue: basetypes.NewStringUnknown()} }
func detailsOf(s string) detailsValue { return detailsValue{StringValue: basetypes.NewStringValue(s)} }
