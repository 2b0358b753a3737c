package authz

// Builtin is a permission set or role that exists in every organization, identified by its
// Pulumi Cloud defaultIdentifier ("stack-admin", "member", …).
type Builtin struct {
	Identifier  string
	Name        string
	Description string
	UXPurpose   string     // "set" or "role"
	Kind        EntityKind // the entity kind a set acts on; KindOrg for roles
	Details     Node       // a single Allow of every scope it grants
}

var builtins = func() []Builtin {
	out := make([]Builtin, len(builtinData))
	for i, d := range builtinData {
		perms := d.scopes
		if d.allScopes {
			perms = allScopes.Names()
		}
		for _, p := range perms {
			MustScope(p) // the data is checked at start-up
		}
		out[i] = Builtin{
			Identifier: d.identifier, Name: d.name, Description: d.description,
			UXPurpose: d.uxPurpose, Kind: d.kind,
			Details: &Allow{Permissions: sortedSet(perms)},
		}
	}
	return out
}()

// Builtins lists the built-in permission sets, then the built-in roles. The slice and the
// trees must not be modified.
func Builtins() []Builtin { return builtins }

// BuiltinByIdentifier finds a built-in set or role by its defaultIdentifier.
func BuiltinByIdentifier(id string) (Builtin, bool) {
	for _, b := range builtins {
		if b.Identifier == id {
			return b, true
		}
	}
	return Builtin{}, false
}
