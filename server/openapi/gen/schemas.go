package main

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"reflect"
	"strings"
	"time"

	"github.com/iamref/iam/apitype"
)

// object is one JSON object of the document; encoding/json writes its keys sorted, so the
// output is stable.
type object = map[string]any

func ref(name string) object { return object{"$ref": "#/components/schemas/" + name} }

// schemas turns the wire types of package apitype into JSON Schema (2020-12, as OpenAPI 3.1
// uses it) components, with the doc comments of the Go source as descriptions.
type schemas struct {
	docs       goDocs
	components object // name → schema
}

var (
	rawMessageType = reflect.TypeFor[json.RawMessage]()
	timeType       = reflect.TypeFor[time.Time]()
	marshalerType  = reflect.TypeFor[json.Marshaler]()
)

// enums lists the values of the fields and named types that take one of a fixed set of
// strings. The constants come from apitype, so a renamed one fails to compile here.
var enums = map[string][]string{
	"UXPurpose": {string(apitype.UXPurposeRole), string(apitype.UXPurposeRolePrivate), string(apitype.UXPurposeRoleUserPrivate),
		string(apitype.UXPurposeRoleTemporary), string(apitype.UXPurposePolicy), string(apitype.UXPurposeSet)},
	"TokenType": {string(apitype.TokenTypePersonal), string(apitype.TokenTypeRefresh), string(apitype.TokenTypeOrganization),
		string(apitype.TokenTypeTeam), string(apitype.TokenTypeServicePrincipal)},
	"EntityRef.kind":                        {apitype.EntityStack, apitype.EntityEnvironment, apitype.EntityInsightsAccount, apitype.EntityOrg},
	"FieldError.errorType":                  {apitype.ErrorTypeNotFound, apitype.ErrorTypeRequired, apitype.ErrorTypeInvalid, apitype.ErrorTypeAlreadyExists, apitype.ErrorTypeCustom},
	"AuditLogEvent.decision":                {apitype.DecisionAllow, apitype.DecisionDeny, "error"}, // "error": the request failed before authorization
	"AccessDenial.reason":                   {"wrong-kind", "granted-nowhere", "only-conditional", "only-elsewhere", "no-grant"},
	"InsightsAccount.provider":              insightsProviders,
	"CreateInsightsAccountRequest.provider": insightsProviders,
}

var insightsProviders = []string{apitype.InsightsProviderAWS, apitype.InsightsProviderGCP, apitype.InsightsProviderAzureNative,
	apitype.InsightsProviderOCI, apitype.InsightsProviderKubernetes}

// permissionDescriptor is the schema of a role's details: the tree is validated by the server
// (package authz); the document names its node types and leaves their fields open.
var permissionDescriptor = object{
	"type":     "object",
	"required": []string{"__type"},
	"properties": object{
		"__type": object{"type": "string", "description": "The node type.", "examples": []string{
			"PermissionDescriptorAllow", "PermissionDescriptorGroup", "PermissionDescriptorCondition",
			"PermissionDescriptorIfThenElse", "PermissionDescriptorSelect", "PermissionDescriptorCompose",
		}},
	},
	"additionalProperties": true,
	"description": "A PermissionDescriptor tree, discriminated by `__type`: `PermissionDescriptorAllow{permissions}`, " +
		"`PermissionDescriptorGroup{entries}`, `PermissionDescriptorCondition{condition, subNode}`, `PermissionDescriptorIfThenElse`, " +
		"`PermissionDescriptorSelect`, `PermissionDescriptorCompose{permissionDescriptors}`; conditions are `PermissionExpression*` nodes " +
		"(`Equal`, `And`, `Or`, `Not`, `HasTag`, `Tag`, the context nodes `Stack`, `Environment`, `InsightsAccount`, `Team` and the " +
		"literals `PermissionLiteralExpression*`). The server validates it (unknown scopes name the closest valid one) and returns it " +
		"as it was sent.",
	"examples": []any{json.RawMessage(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`)},
}

// of returns the schema of values of type t: a $ref for apitype's named types (adding the
// component on first use), inline otherwise.
func (s *schemas) of(t reflect.Type) object {
	switch t {
	case rawMessageType:
		if s.components["PermissionDescriptor"] == nil {
			s.components["PermissionDescriptor"] = permissionDescriptor
		}
		return ref("PermissionDescriptor")
	case timeType:
		return object{"type": "string", "format": "date-time"}
	}
	if t.Kind() == reflect.Pointer {
		return s.of(t.Elem())
	}
	if t.PkgPath() != reflect.TypeFor[apitype.Role]().PkgPath() || t.Name() == "" {
		return s.inline(t, "")
	}
	name := t.Name()
	if _, ok := s.components[name]; !ok {
		s.components[name] = nil // reserved: recursive types end here
		var sc object
		if t.Kind() == reflect.Struct {
			sc = s.structSchema(t)
		} else {
			sc = s.inline(t, name)
		}
		if d := s.docs.types[name]; d != "" {
			sc["description"] = d
		}
		s.components[name] = sc
	}
	return ref(name)
}

// inline is the schema of an unnamed (or non-struct named) type; enumKey selects its values.
func (s *schemas) inline(t reflect.Type, enumKey string) object {
	switch t.Kind() {
	case reflect.String:
		sc := object{"type": "string"}
		if e := enums[enumKey]; e != nil {
			sc["enum"] = e
		}
		return sc
	case reflect.Bool:
		return object{"type": "boolean"}
	case reflect.Int, reflect.Int32:
		return object{"type": "integer", "format": "int32"}
	case reflect.Int64:
		return object{"type": "integer", "format": "int64"}
	case reflect.Slice:
		return object{"type": "array", "items": s.of(t.Elem())}
	case reflect.Map:
		return object{"type": "object", "additionalProperties": s.of(t.Elem())}
	case reflect.Interface:
		return object{} // any JSON value
	}
	panic(fmt.Sprintf("openapi: no schema for %s", t))
}

// structSchema is an object schema with a property per JSON field: a field without omitempty
// is required unless tagged `openapi:"optional"` (a request field the server takes as its zero
// value when absent, although clients send it), and a list or map without omitempty may also be null unless the type's own
// MarshalJSON writes it as [] or {}.
func (s *schemas) structSchema(t reflect.Type) object {
	props, required := object{}, []string{}
	neverNull := t.Implements(marshalerType)
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		omitempty := strings.Contains(opts, "omitempty")
		var sc object
		if e := enums[t.Name()+"."+name]; e != nil {
			sc = object{"type": "string", "enum": e}
		} else {
			sc = s.of(f.Type)
		}
		if k := f.Type.Kind(); !omitempty && !neverNull && (k == reflect.Slice && f.Type != rawMessageType || k == reflect.Map) {
			sc = object{"anyOf": []any{sc, object{"type": "null"}}}
		}
		if d := s.docs.fields[t.Name()+"."+f.Name]; d != "" {
			if _, isRef := sc["$ref"]; isRef {
				sc = object{"$ref": sc["$ref"], "description": d} // 3.1: description beside $ref
			} else {
				sc["description"] = d
			}
		}
		props[name] = sc
		if !omitempty && f.Tag.Get("openapi") != "optional" {
			required = append(required, name)
		}
	}
	out := object{"type": "object", "properties": props, "additionalProperties": false}
	if len(required) > 0 {
		out["required"] = required
	}
	return out
}

// goDocs are the doc comments of apitype's types ("Role") and struct fields ("Role.Details").
type goDocs struct {
	types, fields map[string]string
}

// readDocs parses the Go source of package apitype in dir.
func readDocs(dir string) (goDocs, error) {
	d := goDocs{types: map[string]string{}, fields: map[string]string{}}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return d, err
	}
	fset := token.NewFileSet()
	n := 0
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return d, err
		}
		n++
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, spec := range gd.Specs {
				ts := spec.(*ast.TypeSpec)
				doc := ts.Doc
				if doc == nil && len(gd.Specs) == 1 {
					doc = gd.Doc
				}
				d.types[ts.Name.Name] = clean(doc)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				for _, fld := range st.Fields.List {
					text := clean(fld.Doc)
					if text == "" {
						text = clean(fld.Comment)
					}
					for _, id := range fld.Names {
						d.fields[ts.Name.Name+"."+id.Name] = text
					}
				}
			}
		}
	}
	if n == 0 {
		return d, fmt.Errorf("no Go files of package apitype in %s", dir)
	}
	return d, nil
}

// clean joins a comment's lines into one paragraph, ending with a full stop.
func clean(g *ast.CommentGroup) string {
	if g == nil {
		return ""
	}
	text := strings.Join(strings.Fields(g.Text()), " ")
	if text != "" && !strings.HasSuffix(text, ".") && !strings.HasSuffix(text, ")") {
		text += "."
	}
	return text
}
