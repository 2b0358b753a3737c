package mapping

import (
	"slices"

	"github.com/iamref/iam/authz"
)

// Unknowns are the input paths whose values are not known yet (during a preview or plan): a
// whole field, a whole list, or one element. Front ends collect them; the Check*WithUnknowns
// functions give them stand-in values and drop the problems they could cause.
type Unknowns []Path

// Add records p as not known yet.
func (u *Unknowns) Add(p Path) { *u = append(*u, p) }

// Has reports whether p itself is not known yet.
func (u Unknowns) Has(p Path) bool {
	return slices.ContainsFunc(u, func(x Path) bool { return x.Within(p) && p.Within(x) })
}

// Touches reports whether a problem at p may be caused by an unknown: p is unknown, inside an
// unknown, or contains one (a check over a list with unknown elements).
func (u Unknowns) Touches(p Path) bool {
	return slices.ContainsFunc(u, func(x Path) bool { return p.Within(x) || x.Within(p) })
}

// Drop is ps without the problems an unknown may cause.
func (u Unknowns) Drop(ps Problems) Problems {
	var out Problems
	for _, p := range ps {
		if !u.Touches(p.Path) {
			out = append(out, p)
		}
	}
	return out
}

// Stand-ins for values not known yet: they pass offline checks and keep the shape of the inputs
// (a grant that lists stacks still lists one).
const (
	standInName         = "unknown"
	standInPermissionID = "00000000-0000-0000-0000-000000000000"
	standInProjectName  = "unknown/unknown"
	standInExpiresIn    = "17520h" // the longest allowed, so that rotateBefore is still checked
	standInDetails      = `{"__type":"PermissionDescriptorGroup","entries":[]}`
)

// standInEntity is a name of kind k that passes checkEntityName.
func standInEntity(k authz.EntityKind) string {
	if k == authz.KindInsightsAccount {
		return standInName
	}
	return standInProjectName
}

// list fills the unknown elements of the list at p with standIn, and a whole unknown list with
// one standIn ("" = none).
func (u Unknowns) list(p Path, vals []string, standIn string) []string {
	if u.Has(p) {
		if standIn == "" {
			return nil
		}
		return []string{standIn}
	}
	out := slices.Clone(vals)
	for i := range out {
		if u.Has(p.At(i)) {
			out[i] = standIn
		}
	}
	return out
}

// scopes fills the unknown elements of the scope list at p with a known scope of the same list,
// so that scope kinds still check; with none known, the list is left empty.
func (u Unknowns) scopes(p Path, vals []string) []string {
	if u.Has(p) {
		return nil
	}
	known := ""
	for i, v := range vals {
		if !u.Has(p.At(i)) {
			known = v
			break
		}
	}
	if known == "" {
		return nil
	}
	return u.list(p, vals, known)
}

// tags is a tag selector with a stand-in pair when the map at p is not known yet.
func (u Unknowns) tags(p Path, tags map[string]string) map[string]string {
	if u.Has(p) {
		return map[string]string{standInName: standInName}
	}
	return tags
}

// standInCondition is a condition on the kind of the first entity scope of a grant, so that
// its scopes still check; "" when it has none.
func standInCondition(scopes []string) string {
	for _, name := range scopes {
		s, err := authz.LookupScope(name)
		if err != nil {
			continue
		}
		switch s.Kind {
		case authz.KindStack:
			return "has(stack.tags.unknown)"
		case authz.KindEnvironment:
			return "has(environment.tags.unknown)"
		case authz.KindInsightsAccount:
			return "has(insights_account.tags.unknown)"
		}
	}
	return ""
}

func (u Unknowns) name(f Field, v string) string {
	if u.Has(Root(f)) {
		return standInName
	}
	return v
}

// CheckPermissionWithUnknowns is CheckPermission at preview/plan: values not known yet get
// stand-ins, and problems they could cause are dropped.
func CheckPermissionWithUnknowns(a PermissionArgs, u Unknowns) Problems {
	a.Name = u.name(FieldName, a.Name)
	a.Scopes = u.scopes(Root(FieldScopes), a.Scopes)
	return u.Drop(CheckPermission(a))
}

// CheckRoleWithUnknowns is CheckRole at preview/plan: values not known yet (say, the ID of a
// Permission created in the same run) get stand-ins, and problems they could cause are dropped.
// Unknown details are checked when they are known, at create or update.
func CheckRoleWithUnknowns(a CustomRoleArgs, u Unknowns) Problems {
	a.Name = u.name(FieldName, a.Name)
	if u.Has(Root(FieldDetails)) {
		a.Details = standInDetails
	}
	grants := make([]Grant, len(a.Grants))
	for i, g := range a.Grants {
		at := Root(FieldGrants).At(i)
		s := Grant{
			Permissions:     u.list(at.Dot(FieldPermissions), g.Permissions, standInPermissionID),
			Scopes:          u.scopes(at.Dot(FieldScopes), g.Scopes),
			StackTags:       u.tags(at.Dot(FieldStackTags), g.StackTags),
			EnvironmentTags: u.tags(at.Dot(FieldEnvironmentTags), g.EnvironmentTags),
			Condition:       g.Condition,
			MaxOpenDuration: g.MaxOpenDuration,
		}
		if u.Has(at.Dot(FieldCondition)) {
			s.Condition = standInCondition(s.Scopes)
		}
		if u.Has(at.Dot(FieldMaxOpenDuration)) {
			s.MaxOpenDuration = ""
		}
		for _, k := range authz.EntityKinds {
			s.Set(k, u.list(at.Dot(Field(k.GrantField())), g.Of(k), standInEntity(k)))
		}
		grants[i] = s
	}
	a.Grants = grants
	return u.Drop(CheckRole(a))
}

// CheckTokenWithUnknowns is CheckToken at preview/plan: values not known yet get stand-ins, and
// problems they could cause are dropped.
func CheckTokenWithUnknowns(a TokenArgs, u Unknowns) Problems {
	a.Name = u.name(FieldName, a.Name)
	a.RoleID = u.name(FieldRoleID, a.RoleID)
	if u.Has(Root(FieldExpiresIn)) {
		a.ExpiresIn = standInExpiresIn
	}
	if u.Has(Root(FieldRotateBefore)) {
		a.RotateBefore = ""
	}
	return u.Drop(CheckToken(a))
}
