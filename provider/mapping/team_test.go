package mapping

import (
	"slices"
	"strings"
	"testing"
)

func TestParseAssignmentID(t *testing.T) {
	p, err := New(Config{APIURL: "http://127.0.0.1:1", Organization: "acme"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		id, org, team, role string
		ok                  bool
	}{
		{"other/platform/r1", "other", "platform", "r1", true},
		{"platform/r1", "acme", "platform", "r1", true},
		{"platform", "", "", "", false},
		{"a/b/c/d", "", "", "", false},
		{"a//c", "", "", "", false},
	} {
		org, team, role, err := p.ParseAssignmentID(c.id)
		if (err == nil) != c.ok || org != c.org || team != c.team || role != c.role {
			t.Errorf("%q: %q %q %q %v", c.id, org, team, role, err)
		}
		if c.ok && AssignmentID(org, team, role) != c.org+"/"+c.team+"/"+c.role {
			t.Errorf("%q: AssignmentID", c.id)
		}
	}
}

func TestMemberChanges(t *testing.T) {
	add, remove := memberChanges([]string{"bob", "alice", "bob"}, []string{"carol", "alice"})
	if !slices.Equal(add, []string{"carol"}) || !slices.Equal(remove, []string{"bob"}) {
		t.Fatalf("add %v remove %v", add, remove)
	}
	update, replace := TeamChanges(TeamState{TeamArgs{Name: "t", Members: []string{"b", "a"}}}, TeamArgs{Name: "t", Members: []string{"a", "b", "a"}})
	if len(update)+len(replace) != 0 {
		t.Fatalf("reordered members: %v %v", update, replace)
	}
}

func TestCheckMemberAndTeam(t *testing.T) {
	for _, c := range []struct {
		a    MemberArgs
		want string
	}{
		{MemberArgs{Login: "alice", Role: "member"}, ""},
		{MemberArgs{Login: "alice", RoleID: "r1"}, ""},
		{MemberArgs{Login: "alice"}, "role: set role"},
		{MemberArgs{Login: "alice", Role: "admin", RoleID: "r1"}, "roleId: set either"},
		{MemberArgs{Login: "alice", Role: "owner"}, `role: "owner" is not one of`},
		{MemberArgs{Login: "a/b", Role: "member"}, "login: "},
	} {
		got := CheckMember(c.a).Text(Canonical)
		if c.want == "" && got != "" || !strings.HasPrefix(got, c.want) {
			t.Errorf("%+v: %q, want %q…", c.a, got, c.want)
		}
	}
	var u Unknowns
	u.Add(Root(FieldRoleID))
	if ps := CheckMemberWithUnknowns(MemberArgs{Login: "alice"}, u); len(ps) != 0 {
		t.Errorf("unknown roleId: %v", ps)
	}
	if ps := CheckTeam(TeamArgs{Name: strings.Repeat("x", 41)}); len(ps) != 1 {
		t.Errorf("long team name: %v", ps)
	}
	if ps := CheckTeamToken(TeamTokenArgs{Team: "t", TokenArgs: TokenArgs{Name: "ci", RoleID: "ignored"}}); len(ps) != 0 {
		t.Errorf("team token: %v", ps)
	}
}
