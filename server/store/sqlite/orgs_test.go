package sqlite

import (
	"slices"
	"testing"
)

func TestOrgNames(t *testing.T) {
	db, _ := openTemp(t)
	defer db.Close()
	if names, err := db.OrgNames(t.Context()); err != nil || len(names) != 0 {
		t.Fatalf("OrgNames of a new database = %v, %v; want none", names, err)
	}
	for _, o := range []string{"zeta", "acme"} {
		if _, _, err := db.EnsureOrg(t.Context(), o); err != nil {
			t.Fatal(err)
		}
	}
	if names, err := db.OrgNames(t.Context()); err != nil || !slices.Equal(names, []string{"acme", "zeta"}) {
		t.Fatalf("OrgNames = %v, %v; want [acme zeta]", names, err)
	}
}
