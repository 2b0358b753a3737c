// Command gen writes the OpenAPI 3.1 document of the iamref API (server/openapi/openapi.json)
// from the operations listed here and the wire types of package apitype, whose doc comments
// become the schemas' descriptions. `make docs` runs it; `make check-docs` and the test beside
// it fail when the committed document differs from what it generates.
//
//	go run ./server/openapi/gen -apitype apitype -out server/openapi/openapi.json
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

func main() {
	apitypeDir := flag.String("apitype", "apitype", "folder of package apitype (its doc comments become descriptions)")
	out := flag.String("out", "server/openapi/openapi.json", "file to write; - for standard output")
	flag.Parse()
	doc, err := generate(*apitypeDir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
	if *out == "-" {
		_, err = os.Stdout.Write(doc)
	} else {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "openapi:", err)
		os.Exit(1)
	}
}

// generate builds the document: indented JSON with sorted keys, ending in a newline.
func generate(apitypeDir string) ([]byte, error) {
	docs, err := readDocs(apitypeDir)
	if err != nil {
		return nil, err
	}
	s := &schemas{docs: docs, components: object{}}
	s.of(errorResponseType) // the error shape is a component even before an operation uses it
	paths := object{}
	for _, o := range operations {
		item, _ := paths[o.path].(object)
		if item == nil {
			item = object{}
			paths[o.path] = item
		}
		key := strings.ToLower(o.method)
		if item[key] != nil {
			return nil, fmt.Errorf("%s %s is listed twice", o.method, o.path)
		}
		item[key] = o.build(s)
	}
	doc := object{
		"openapi":           "3.1.0",
		"jsonSchemaDialect": "https://spec.openapis.org/oas/3.1/dialect/base",
		"info": object{
			"title":   "iamref IAM API",
			"version": apiVersion,
			"summary": "Pulumi Cloud's IAM wire format (roles, permission sets, organization tokens) plus the stacks, environments and insights accounts that grants name.",
			"description": "Every route but the public ones needs `Authorization: token <value>` (an organization token, `pul-` + 40 hex; `Bearer` works too) " +
				"and is authorized with the scope in its `x-iamref-scope`: no or a bad token is a 401, a token whose role lacks the scope a 403 naming it. " +
				"Clients may send `Accept: application/vnd.pulumi+8` or `+9`; the answers are the same JSON. Every error is " +
				"`{code, message, errors[{resource, attribute, errorType, customMessage}]}` (`ErrorResponse`). Request bodies are decoded strictly: " +
				"an unknown field is a 400 naming it (field names match case-insensitively, as clients of Pulumi Cloud such as the pulumiservice " +
				"provider rely on). Creates accept an `Idempotency-Key` header: a retry with the same key returns the first answer " +
				"(with `Idempotent-Replayed: true`).",
			"license": object{"name": "Apache-2.0", "identifier": "Apache-2.0"},
		},
		"servers": []object{{"url": "http://127.0.0.1:8080", "description": "iam-server serve --addr 127.0.0.1:8080 (the default)"}},
		"tags": []object{
			{"name": "roles", "description": "Roles, permission sets and policies: permission descriptor records, told apart by `uxPurpose`."},
			{"name": "tokens", "description": "Access tokens. An organization token acts with one role (or the legacy admin flag), a team token as its team, a personal token as its user."},
			{"name": "members", "description": "The organization's members: each holds one org role (built-in or custom) and the roles of every team they belong to."},
			{"name": "teams", "description": "Teams: groups of members that hold roles (several per team); team tokens act as the team."},
			{"name": "stacks", "description": "The stacks that grants name (a registry of names, IDs and tags; no state)."},
			{"name": "environments", "description": "The ESC environments that grants name (names, IDs and tags; no values)."},
			{"name": "insights", "description": "The Insights accounts that grants name."},
			{"name": "oidc", "description": "Tokenless CI: trusted OIDC issuers, their authorization policies and the token exchange."},
			{"name": "backend", "description": "The Pulumi state backend: what `pulumi login http://<server>` then `pulumi up` call. Each call needs the scope Pulumi Cloud uses for it; calls during an update carry the update's lease."},
			{"name": "access", "description": "Who may do what, and why (iamref's own route)."},
			{"name": "guardrails", "description": "Organization-wide explicit denies that no grant overrides (an iamref extension, like AWS SCPs)."},
			{"name": "audit", "description": "The audit log: every mutation and every denied request."},
			{"name": "server", "description": "Health, metrics, the caller's identity and this document."},
		},
		"security": []object{{"pulumiToken": []string{}}},
		"paths":    paths,
		"components": object{
			"schemas":   s.components,
			"responses": errorResponses,
			"securitySchemes": object{"pulumiToken": object{
				"type": "apiKey", "in": "header", "name": "Authorization",
				"description": "`Authorization: token pul-…` (Pulumi's scheme; `Bearer pul-…` is accepted too).",
			}, "updateLease": object{
				"type": "apiKey", "in": "header", "name": "Authorization",
				"description": "`Authorization: update-token upd-…`: the lease an update's start answered. It is bound to that update, its stack and the token that started it, expires unless renewed, and is never an API token.",
			}},
		},
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// apiVersion is the version of the document; it changes with the API, not with each release.
const apiVersion = "0.1.0"

// Access of an operation, as the server's route table has it.
const (
	public        = "public"
	authenticated = "authenticated"
	scoped        = "scoped"
	leased        = "lease" // an update's lease (Authorization: update-token …), acting as the token that started it
)

// operation is one route of the API.
type operation struct {
	method, path string
	id, tag      string
	summary      string
	description  string
	access       string
	scope        string // scoped routes: the scope checked
	entity       bool   // the scope is checked on the entity the path names
	query        []param
	headers      []param
	body         any // a value of the request body's type; nil: no body
	status       int // success status
	response     any // a value of the response type; nil: no body
	errors       []int
	idempotent   bool // accepts Idempotency-Key
	extension    bool // not in Pulumi Cloud's API: marked x-iamref-extension
	// otherResponses are responses whose body is not an ErrorResponse, by status.
	otherResponses object
}

// content is the content map of a body: JSON of an apitype value's type, or a raw schema.
func (s *schemas) content(v any) object {
	if r, ok := v.(rawSchema); ok {
		return object{r.mediaType: object{"schema": r.schema}}
	}
	return object{"application/json": object{"schema": s.of(typeOf(v))}}
}

// param is a query or header parameter.
type param struct {
	name, description string
	required          bool
	schema            object
}

var pathParams = map[string]string{
	"org":         "The organization this server serves (`iam-server serve --org`); another name is a 404.",
	"roleID":      "ID of a role, permission set or policy.",
	"tokenID":     "ID of a token.",
	"login":       "A user's login.",
	"team":        "A team's name.",
	"project":     "Project name.",
	"stack":       "Stack name.",
	"env":         "Environment name.",
	"account":     "Insights account name.",
	"issuerID":    "ID of an OIDC issuer.",
	"policyID":    "ID of an authorization policy (see getOidcIssuerAuthPolicy).",
	"guardrailID": "ID of a guardrail.",
}

var pathParam = regexp.MustCompile(`\{([A-Za-z]+)\}`)

func (o operation) build(s *schemas) object {
	op := object{"operationId": o.id, "summary": o.summary, "tags": []string{o.tag}, "x-iamref-access": o.access}
	if o.description != "" {
		op["description"] = o.description
	}
	if o.extension {
		op["x-iamref-extension"] = true
	}
	switch o.access {
	case public:
		op["security"] = []object{}
	case leased:
		op["security"] = []object{{"updateLease": []string{}}}
		fallthrough
	case scoped:
		op["x-iamref-scope"] = o.scope
		if o.entity {
			op["x-iamref-scope-on"] = "entity"
		} else {
			op["x-iamref-scope-on"] = "organization"
		}
	}
	var params []object
	for _, m := range pathParam.FindAllStringSubmatch(o.path, -1) {
		params = append(params, object{"name": m[1], "in": "path", "required": true, "schema": object{"type": "string"}, "description": pathParams[m[1]]})
	}
	for _, p := range o.query {
		params = append(params, p.object("query"))
	}
	headers := o.headers
	if o.idempotent {
		headers = append(headers, param{name: "Idempotency-Key", schema: object{"type": "string", "maxLength": 255},
			description: "Makes the create safe to retry: a request with a key already used by this token within 24 hours gets the first answer back " +
				"(a different request with the same key is a 422)."})
	}
	for _, p := range headers {
		params = append(params, p.object("header"))
	}
	if params != nil {
		op["parameters"] = params
	}
	if o.body != nil {
		op["requestBody"] = object{"required": true, "content": s.content(o.body)}
	}
	responses := object{}
	ok := object{"description": statusText[o.status]}
	if o.response != nil {
		ok["content"] = s.content(o.response)
	}
	if o.idempotent {
		ok["headers"] = object{"Idempotent-Replayed": object{"description": "`true` when this is the stored answer to an earlier request with the same Idempotency-Key.",
			"schema": object{"type": "string", "enum": []string{"true"}}}}
	}
	responses[fmt.Sprint(o.status)] = ok
	errs := o.errors
	if o.access != public {
		errs = append(errs, 401, 404)
	}
	if o.access == scoped || o.access == leased {
		errs = append(errs, 403)
	}
	if o.body != nil {
		errs = append(errs, 400, 413)
	}
	if o.idempotent {
		errs = append(errs, 422)
	}
	errs = append(errs, 500)
	sort.Ints(errs)
	for _, code := range errs {
		responses[fmt.Sprint(code)] = object{"$ref": "#/components/responses/" + errorNames[code]}
	}
	for code, r := range o.otherResponses {
		responses[code] = r
	}
	op["responses"] = responses
	return op
}

func (p param) object(in string) object {
	o := object{"name": p.name, "in": in, "schema": p.schema}
	if p.description != "" {
		o["description"] = p.description
	}
	if p.required {
		o["required"] = true
	}
	return o
}

var statusText = map[int]string{200: "OK", 204: "Done; no body."}

// The error responses, each with the ErrorResponse body.
var (
	errorNames = map[int]string{
		400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound", 409: "Conflict",
		413: "PayloadTooLarge", 422: "UnprocessableEntity", 500: "InternalError", 503: "Unavailable",
	}
	errorDescriptions = map[int]string{
		400: "The request is invalid: `errors[0].attribute` names the field (or query parameter) and `customMessage` says why.",
		401: "No token, or a malformed, unknown, expired or revoked one.",
		403: "The token's role lacks the route's scope (the message names it and why), or the request would grant more than the caller holds (the escalation guard).",
		404: "The organization, or the record or entity the path names, does not exist.",
		409: "A conflict: a name already in use, a stale `version`, or a record still in use.",
		413: "The request body is larger than the server's limit (2 MiB by default; checkpoints, imports and batches 64 MiB).",
		422: "The Idempotency-Key was already used for a different request.",
		500: "An internal error (logged by the server).",
		503: "The server cannot do this as configured (e.g. encrypt without a secrets key).",
	}
	errorResponses = func() object {
		out := object{}
		for code, name := range errorNames {
			out[name] = object{"description": errorDescriptions[code],
				"content": object{"application/json": object{"schema": ref("ErrorResponse")}}}
		}
		return out
	}()
)
