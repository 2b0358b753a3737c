package authz

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
)

func TestEntityKindText(t *testing.T) {
	for k := EntityKind(0); k < numKinds; k++ {
		b, err := k.MarshalText()
		if err != nil || string(b) != k.String() {
			t.Errorf("MarshalText(%d) = %q, %v", k, b, err)
		}
		var back EntityKind
		if err := back.UnmarshalText(b); err != nil || back != k {
			t.Errorf("UnmarshalText(%q) = %v, %v", b, back, err)
		}
	}
	tests := []struct {
		in   string
		want EntityKind
		err  string
	}{
		{"org", KindOrg, ""},
		{"global", KindOrg, ""},
		{"organization", KindOrg, ""},
		{"stack", KindStack, ""},
		{"environment", KindEnvironment, ""},
		{"insights-account", KindInsightsAccount, ""},
		{"insights_account", KindInsightsAccount, ""},
		{"", 0, `unknown entity kind ""`},
		{"Stack", 0, `unknown entity kind "Stack" (want one of org, stack, environment, insights-account)`},
		{"team", 0, `unknown entity kind "team"`},
	}
	for _, tt := range tests {
		k := EntityKind(7) // untouched on error
		err := k.UnmarshalText([]byte(tt.in))
		switch {
		case tt.err == "" && (err != nil || k != tt.want):
			t.Errorf("%q: %v, %v; want %v", tt.in, k, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err) || k != 7):
			t.Errorf("%q: %v, %v; want error %q", tt.in, k, err, tt.err)
		}
	}
	if _, err := EntityKind(numKinds).MarshalText(); err == nil {
		t.Errorf("an invalid kind marshals")
	}
	type row struct {
		Kind  EntityKind   `json:"kind"`
		Kinds []EntityKind `json:"kinds"`
	}
	b, err := json.Marshal(row{KindEnvironment, EntityKinds[:]})
	if err != nil || string(b) != `{"kind":"environment","kinds":["stack","environment","insights-account"]}` {
		t.Fatalf("JSON %s, %v", b, err)
	}
	var r row
	if err := json.Unmarshal(b, &r); err != nil || r.Kind != KindEnvironment || !slices.Equal(r.Kinds, EntityKinds[:]) {
		t.Fatalf("round trip %+v, %v", r, err)
	}
	if err := json.Unmarshal([]byte(`{"kind":"stacks"}`), &r); err == nil {
		t.Fatalf("an unknown kind decodes")
	}
}

func TestRefsByKind(t *testing.T) {
	var r Refs
	if !r.Empty() || r.Of(KindOrg) != nil {
		t.Fatalf("zero Refs %+v", r)
	}
	for i, k := range EntityKinds {
		r.Set(k, []string{k.String()})
		if got := r.Of(k); !slices.Equal(got, []string{k.String()}) || r.Empty() {
			t.Errorf("%s: Of = %v", k, got)
		}
		if f := k.GrantField(); f != []string{"stacks", "environments", "insightsAccounts"}[i] {
			t.Errorf("%s: GrantField = %q", k, f)
		}
		r.Set(k, nil)
	}
	if !r.Empty() || KindOrg.GrantField() != "" {
		t.Errorf("Refs %+v", r)
	}
}
