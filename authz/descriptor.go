package authz

// This file defines the PermissionDescriptor grammar: the `details` tree of roles, permission
// sets and policies, as Pulumi Cloud puts it on the wire (a JSON tree discriminated by
// "__type"). Parse reads it (decode.go holds a rule per type), Format prints it canonically,
// Eval and Compile give it meaning.

// Node is a descriptor node: it grants scopes, possibly only under a condition.
type Node interface{ nodeType() string }

// Expr is an expression inside a condition or a select.
type Expr interface{ exprType() string }

// anyExpr reports whether pred holds for x or for an expression inside it, visiting them in
// pre-order, left to right, and stopping at the first that holds: the one walk over an
// expression's parts (a pred that never holds visits them all).
func anyExpr(x Expr, pred func(Expr) bool) bool {
	if x == nil {
		return false
	}
	if pred(x) {
		return true
	}
	switch x := x.(type) {
	case *Equal:
		return anyExpr(x.Left, pred) || anyExpr(x.Right, pred)
	case *In:
		return anyExpr(x.Target, pred) || anyExpr(x.Values, pred)
	case *And:
		return anyExpr(x.Left, pred) || anyExpr(x.Right, pred)
	case *Or:
		return anyExpr(x.Left, pred) || anyExpr(x.Right, pred)
	case *Not:
		return anyExpr(x.X, pred)
	case *Tag:
		return anyExpr(x.Context, pred)
	case *HasTag:
		return anyExpr(x.Context, pred) || anyExpr(x.Node, pred)
	}
	return false
}

// Allow grants its permissions wherever it is reached.
type Allow struct {
	Permissions []string
	Constraints *Constraints // optional
}

// Constraints qualify an Allow. MaxOpenDuration (seconds) bounds environment opens.
type Constraints struct {
	MaxOpenDuration int64
}

// Group grants the union of its entries.
type Group struct{ Entries []Node }

// Condition grants SubNode's scopes when Condition holds for the request.
type Condition struct {
	Condition Expr
	SubNode   Node
}

// IfThenElse grants True's scopes when Condition holds and False's otherwise.
type IfThenElse struct {
	Condition Expr
	True      Node // subNodeForTrue
	False     Node // subNodeForFalse
}

// Select grants the node of the first option whose value equals the selector.
type Select struct {
	Selector Expr
	Options  []SelectOption
}

// SelectOption is one branch of a Select.
type SelectOption struct {
	Value Expr
	Node  Node
}

// Compose grants what the referenced records (permission sets or policies, by ID) grant.
type Compose struct{ IDs []string }

// ContextKind names what a context or identity literal refers to.
type ContextKind uint8

const (
	CtxStack ContextKind = iota
	CtxEnvironment
	CtxInsightsAccount
	CtxTeam
	numContextKinds
)

var ctxNames = [numContextKinds]string{"Stack", "Environment", "InsightsAccount", "Team"}

func (k ContextKind) String() string { return ctxNames[k] }

// EntityKind is the entity kind a context refers to (teams are principals, not entities: KindOrg).
func (k ContextKind) EntityKind() EntityKind {
	switch k {
	case CtxStack:
		return KindStack
	case CtxEnvironment:
		return KindEnvironment
	case CtxInsightsAccount:
		return KindInsightsAccount
	}
	return KindOrg
}

// ContextFor is the context kind for an entity kind (ok=false for KindOrg).
func ContextFor(k EntityKind) (ContextKind, bool) {
	switch k {
	case KindStack:
		return CtxStack, true
	case KindEnvironment:
		return CtxEnvironment, true
	case KindInsightsAccount:
		return CtxInsightsAccount, true
	}
	return 0, false
}

// Context is the entity being accessed (PermissionExpressionStack, …Environment, …).
type Context struct{ Kind ContextKind }

// Identity is a literal entity (PermissionLiteralExpressionStack{identity}, …).
type Identity struct {
	Kind ContextKind
	ID   string
}

// IdentitySet is a literal set of entities (PermissionSetExpressionStack{identities}, …).
type IdentitySet struct {
	Kind ContextKind
	IDs  []string
}

// StringSet is a literal set of strings (PermissionSetExpressionString{values}).
type StringSet struct{ Values []string }

// String, Number and Bool are literals.
type (
	String struct{ Value string }
	Number struct{ Value float64 }
	Bool   struct{ Value bool }
)

// Equal holds when both sides are defined and equal.
type Equal struct{ Left, Right Expr }

// In holds when Target is defined and a member of Values (an IdentitySet or StringSet).
type In struct {
	Target Expr
	Values Expr
}

// And, Or and Not combine boolean expressions.
type (
	And struct{ Left, Right Expr }
	Or  struct{ Left, Right Expr }
	Not struct{ X Expr }
)

// HasTag holds when the context entity carries the tag Key. Node is the optional unary operand
// the wire format inherits; it is kept for round trips and has no effect.
type HasTag struct {
	Context Expr
	Key     string
	Node    Expr
}

// Tag is the value of the context entity's tag Key (undefined when absent).
type Tag struct {
	Context Expr
	Key     string
}

const (
	typeAllow      = "PermissionDescriptorAllow"
	typeGroup      = "PermissionDescriptorGroup"
	typeCondition  = "PermissionDescriptorCondition"
	typeIfThenElse = "PermissionDescriptorIfThenElse"
	typeSelect     = "PermissionDescriptorSelect"
	typeCompose    = "PermissionDescriptorCompose"

	typeEqual     = "PermissionExpressionEqual"
	typeIn        = "PermissionExpressionIn"
	typeAnd       = "PermissionExpressionAnd"
	typeOr        = "PermissionExpressionOr"
	typeNot       = "PermissionExpressionNot"
	typeHasTag    = "PermissionExpressionHasTag"
	typeTag       = "PermissionExpressionTag"
	typeString    = "PermissionLiteralExpressionString"
	typeNumber    = "PermissionLiteralExpressionNumber"
	typeBool      = "PermissionLiteralExpressionBool"
	typeStringSet = "PermissionSetExpressionString"
)

func contextType(k ContextKind) string     { return "PermissionExpression" + ctxNames[k] }
func identityType(k ContextKind) string    { return "PermissionLiteralExpression" + ctxNames[k] }
func identitySetType(k ContextKind) string { return "PermissionSetExpression" + ctxNames[k] }

func (*Allow) nodeType() string      { return typeAllow }
func (*Group) nodeType() string      { return typeGroup }
func (*Condition) nodeType() string  { return typeCondition }
func (*IfThenElse) nodeType() string { return typeIfThenElse }
func (*Select) nodeType() string     { return typeSelect }
func (*Compose) nodeType() string    { return typeCompose }

func (e *Context) exprType() string     { return contextType(e.Kind) }
func (e *Identity) exprType() string    { return identityType(e.Kind) }
func (e *IdentitySet) exprType() string { return identitySetType(e.Kind) }
func (*StringSet) exprType() string     { return typeStringSet }
func (*String) exprType() string        { return typeString }
func (*Number) exprType() string        { return typeNumber }
func (*Bool) exprType() string          { return typeBool }
func (*Equal) exprType() string         { return typeEqual }
func (*In) exprType() string            { return typeIn }
func (*And) exprType() string           { return typeAnd }
func (*Or) exprType() string            { return typeOr }
func (*Not) exprType() string           { return typeNot }
func (*HasTag) exprType() string        { return typeHasTag }
func (*Tag) exprType() string           { return typeTag }

// TypeName is the node's "__type".
func TypeName(n Node) string { return n.nodeType() }

// ExprTypeName is the expression's "__type".
func ExprTypeName(e Expr) string { return e.exprType() }

// isBoolExpr reports whether e yields a boolean (conditions must).
func isBoolExpr(e Expr) bool {
	switch e.(type) {
	case *Equal, *In, *And, *Or, *Not, *HasTag, *Bool:
		return true
	}
	return false
}

// isSetExpr reports whether e is a set literal (the right side of In, nothing else).
func isSetExpr(e Expr) bool {
	switch e.(type) {
	case *IdentitySet, *StringSet:
		return true
	}
	return false
}
