package authz

// EntityKinds are the kinds a grant can list entities of, in the order grants list them.
var EntityKinds = [...]EntityKind{KindStack, KindEnvironment, KindInsightsAccount}

var grantFields = [numKinds]string{"", "stacks", "environments", "insightsAccounts"}

// GrantField is the name of the list of entities of kind k in a grant ("stacks",
// "environments", "insightsAccounts"); "" for KindOrg.
func (k EntityKind) GrantField() string {
	if k < numKinds {
		return grantFields[k]
	}
	return ""
}

// Refs lists entities by kind. In a GrantSpec they are identities; in provider inputs, names
// such as "project/stack" that the provider resolves to identities.
type Refs struct {
	Stacks           []string
	Environments     []string
	InsightsAccounts []string
}

// Of is the list of kind k (nil for KindOrg).
func (r *Refs) Of(k EntityKind) []string {
	if p := r.slot(k); p != nil {
		return *p
	}
	return nil
}

// Set replaces the list of kind k; it panics for KindOrg, which has none.
func (r *Refs) Set(k EntityKind, ids []string) {
	p := r.slot(k)
	if p == nil {
		panic("authz: Refs has no list of kind " + k.String())
	}
	*p = ids
}

// Empty reports whether no kind lists any entity.
func (r *Refs) Empty() bool {
	for _, k := range EntityKinds {
		if len(r.Of(k)) > 0 {
			return false
		}
	}
	return true
}

func (r *Refs) slot(k EntityKind) *[]string {
	switch k {
	case KindStack:
		return &r.Stacks
	case KindEnvironment:
		return &r.Environments
	case KindInsightsAccount:
		return &r.InsightsAccounts
	}
	return nil
}
