package mapping

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Field is an input field as mapping names it: the model's canonical name ("roleId",
// "insightsAccounts"), as DESIGN.md spells it. Mapping never puts one into text itself: paths
// and messages carry Fields, and each front end's Namer spells them in its own syntax.
type Field string

// The input fields mapping refers to.
const (
	FieldName             Field = "name"
	FieldDescription      Field = "description"
	FieldOrganization     Field = "organization"
	FieldScopes           Field = "scopes"
	FieldGrants           Field = "grants"
	FieldPermissions      Field = "permissions"
	FieldStacks           Field = "stacks"
	FieldEnvironments     Field = "environments"
	FieldInsightsAccounts Field = "insightsAccounts"
	FieldDetails          Field = "details"
	FieldRoleID           Field = "roleId"
	FieldAdmin            Field = "admin"
	FieldExpiresIn        Field = "expiresIn"
	FieldRotateBefore     Field = "rotateBefore"
	FieldExpiresAt        Field = "expiresAt" // an output: a token's expiry
	FieldEntityType       Field = "entityType"
	FieldAction           Field = "action"
	FieldStack            Field = "stack"
	FieldEnvironment      Field = "environment"
	FieldInsightsAccount  Field = "insightsAccount"
	FieldDisplayName      Field = "displayName"
	FieldMembers          Field = "members"
	FieldTeam             Field = "team"
	FieldLogin            Field = "login"
	FieldUser             Field = "user"
	FieldRole             Field = "role"
	FieldEmail            Field = "email"
	FieldStackTags        Field = "stackTags"
	FieldEnvironmentTags  Field = "environmentTags"
	FieldCondition        Field = "condition"
	FieldConditionDetails Field = "conditionDetails"
	FieldMaxOpenDuration  Field = "maxOpenDuration"
	FieldActions          Field = "actions"
	FieldExemptRoles      Field = "exemptRoles"
	FieldKinds            Field = "kinds"
)

// Setting is a provider setting as mapping names it.
type Setting string

// The provider settings.
const (
	SettingAPIURL         Setting = "apiUrl"
	SettingAccessToken    Setting = "accessToken"
	SettingOrganization   Setting = "organization"
	SettingRequestTimeout Setting = "requestTimeout"
	SettingMaxRetries     Setting = "maxRetries"
	SettingInsecure       Setting = "insecure"
)

// Term is a framework-specific thing a message points the user to.
type Term string

// The terms messages use.
const (
	TermScopeCatalog Term = "scope catalog" // the getScopes function / iam_scopes data source
	TermRefresh      Term = "refresh"       // the command that reads the server's state again
	// TermDeleteAfterUpdate is how to have the roles that grant a permission updated before the
	// permission is deleted, when one run removes both the grant and the permission.
	TermDeleteAfterUpdate Term = "delete after update"
)

// Namer spells fields, settings and terms in one front end's syntax (Pulumi `roleId` and
// `iam:accessToken`; Terraform `role_id` and `access_token`). Each front end has one.
type Namer interface {
	Field(Field) string
	Setting(Setting) string
	Term(Term) string
}

// canonical spells everything as mapping names it; it is what Error methods print.
type canonical struct{}

func (canonical) Field(f Field) string     { return string(f) }
func (canonical) Setting(s Setting) string { return string(s) }
func (canonical) Term(t Term) string       { return string(t) }

// Canonical is the Namer of mapping's own names, for logs and tests.
var Canonical Namer = canonical{}

// Step is one step of a Path: a field, or (Field == "") an index into the list before it.
type Step struct {
	Field Field
	Index int
}

// Path locates a value in a resource's inputs, such as grants[1].scopes[0]. Inside a field that
// holds raw JSON (details), JSON is the rest of the path as the API spells it
// (".entries[0].permissions[2]"); no front end renames it.
type Path struct {
	Steps []Step
	JSON  string
}

// Root is the path of a top-level field.
func Root(f Field) Path { return Path{Steps: []Step{{Field: f}}} }

// Dot is the path of field f of the value at p.
func (p Path) Dot(f Field) Path { return p.with(Step{Field: f}) }

// At is the path of element i of the list at p.
func (p Path) At(i int) Path { return p.with(Step{Index: i}) }

func (p Path) with(s Step) Path {
	steps := make([]Step, len(p.Steps), len(p.Steps)+1)
	copy(steps, p.Steps)
	return Path{Steps: append(steps, s)}
}

// Text spells the path with n: grants[1].insightsAccounts[0] (Pulumi) or
// grants[1].insights_accounts[0].
func (p Path) Text(n Namer) string {
	var b strings.Builder
	for _, s := range p.Steps {
		if s.Field == "" {
			fmt.Fprintf(&b, "[%d]", s.Index)
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(n.Field(s.Field))
	}
	return b.String() + p.JSON
}

func (p Path) String() string { return p.Text(Canonical) }

// Within reports whether p is q or lies inside it.
func (p Path) Within(q Path) bool {
	if len(p.Steps) < len(q.Steps) || q.JSON != "" && !strings.HasPrefix(p.JSON, q.JSON) {
		return false
	}
	for i, s := range q.Steps {
		if p.Steps[i] != s {
			return false
		}
	}
	return true
}

// ParsePath reads a path in mapping's spelling, such as "grants[1].scopes[0]" (authz reports
// grant problems so); anything from "details" on stays JSON.
func ParsePath(s string) (Path, error) {
	var p Path
	rest := s
	for rest != "" {
		if len(p.Steps) > 0 && p.Steps[len(p.Steps)-1].Field == FieldDetails {
			p.JSON = rest
			return p, nil
		}
		switch {
		case rest[0] == '[':
			end := strings.IndexByte(rest, ']')
			i, err := strconv.Atoi(rest[1:max(end, 1)])
			if end < 0 || err != nil || len(p.Steps) == 0 {
				return Path{}, fmt.Errorf("path %q: bad index", s)
			}
			p.Steps, rest = append(p.Steps, Step{Index: i}), rest[end+1:]
		case rest[0] == '.' && len(p.Steps) > 0:
			rest = rest[1:]
			fallthrough
		default:
			end := strings.IndexAny(rest, ".[")
			if end < 0 {
				end = len(rest)
			}
			if end == 0 {
				return Path{}, fmt.Errorf("path %q: empty field", s)
			}
			p.Steps, rest = append(p.Steps, Step{Field: Field(rest[:end])}), rest[end:]
		}
	}
	return p, nil
}

// Msg is a message that may name fields, settings and terms: a format whose Field, Setting and
// Term arguments are spelled by the front end's Namer when it renders the message.
type Msg struct {
	format string
	args   []any
}

// Msgf is a Msg; Field, Setting, Term and Path arguments are spelled by the Namer (use %s
// for them).
func Msgf(format string, args ...any) Msg { return Msg{format: format, args: args} }

// Text renders the message with n.
func (m Msg) Text(n Namer) string {
	if len(m.args) == 0 {
		return m.format
	}
	args := make([]any, len(m.args))
	for i, a := range m.args {
		switch v := a.(type) {
		case Field:
			args[i] = n.Field(v)
		case Setting:
			args[i] = n.Setting(v)
		case Term:
			args[i] = n.Term(v)
		case Path:
			args[i] = v.Text(n)
		default:
			args[i] = a
		}
	}
	return fmt.Sprintf(m.format, args...)
}

func (m Msg) String() string { return m.Text(Canonical) }

// namedIn turns text (written elsewhere, in mapping's spelling) into a Msg in which each whole
// word that is one of fields is a Field, so that front ends spell it. It is for authz's grant
// problems, whose text names the grant fields.
func namedIn(text string, fields ...Field) Msg {
	var format strings.Builder
	var args []any
	isWord := func(b byte) bool {
		return b == '_' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9'
	}
	for i := 0; i < len(text); {
		matched := false
		for _, f := range fields {
			end := i + len(f)
			if strings.HasPrefix(text[i:], string(f)) && (i == 0 || !isWord(text[i-1])) && (end == len(text) || !isWord(text[end])) {
				format.WriteString("%s")
				args = append(args, f)
				i, matched = end, true
				break
			}
		}
		if !matched {
			if text[i] == '%' {
				format.WriteByte('%')
			}
			format.WriteByte(text[i])
			i++
		}
	}
	return Msgf(format.String(), args...)
}

// Problem is a validation failure of one input field, with the fix in Msg.
type Problem struct {
	Path Path
	Msg  Msg
}

func problem(at Path, format string, args ...any) Problem {
	return Problem{Path: at, Msg: Msgf(format, args...)}
}

// Text renders the problem as "path: message" with n.
func (p Problem) Text(n Namer) string { return p.Path.Text(n) + ": " + p.Msg.Text(n) }

func (p Problem) Error() string { return p.Text(Canonical) }

// Problems is a list of validation failures; it is an error when non-empty.
type Problems []Problem

// Text renders the problems with n.
func (ps Problems) Text(n Namer) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Text(n)
	}
	return strings.Join(parts, "; ")
}

func (ps Problems) Error() string { return ps.Text(Canonical) }

// Err is ps as an error, or nil when empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

// Error is an error whose message names settings, fields or terms; front ends render it with
// their Namer (see Text). Err, when set, is the cause, printed after the message.
type Error struct {
	Msg Msg
	Err error
}

func errorf(cause error, format string, args ...any) *Error {
	return &Error{Msg: Msgf(format, args...), Err: cause}
}

// Text renders the error with n.
func (e *Error) Text(n Namer) string {
	if e.Err == nil {
		return e.Msg.Text(n)
	}
	return e.Msg.Text(n) + ": " + Text(e.Err, n)
}

func (e *Error) Error() string { return e.Text(Canonical) }
func (e *Error) Unwrap() error { return e.Err }

// Text is err's message with the names in it spelled by n: the first Error or Problems in err's
// chain is rendered with n in place of its canonical text; the rest of the text (context
// added by wrapping, the API's own messages) stays as it is.
func Text(err error, n Namer) string {
	s := err.Error()
	var e *Error
	if errors.As(err, &e) {
		return strings.Replace(s, e.Error(), e.Text(n), 1)
	}
	var ps Problems
	if errors.As(err, &ps) {
		return strings.Replace(s, ps.Error(), ps.Text(n), 1)
	}
	return s
}
