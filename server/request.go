package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"

	"github.com/iamref/iam/internal/strictjson"
)

// maxPresizedBody bounds what readBody reserves from Content-Length before the bytes arrive.
const maxPresizedBody = 32 << 10

// readBody reads the whole (size-limited) request body. An oversized body is a 413; one that
// ends before its declared length (the client went away) is a 400.
func readBody(r *http.Request) ([]byte, error) { return readBodyTo(r, nil) }

// readBodyTo is readBody reading into dst's memory (a pooled buffer) when it is large enough.
func readBodyTo(r *http.Request, dst []byte) ([]byte, error) {
	var b []byte
	var err error
	if n := r.ContentLength; n > 0 && n <= maxPresizedBody {
		// Sized once from the declared length (capped: a length that is declared but not
		// sent must not reserve much), instead of io.ReadAll's doublings from 512 bytes.
		if int64(cap(dst)) < n+1 {
			dst = make([]byte, 0, n+1)
		}
		buf := bytes.NewBuffer(dst[:0])
		_, err = buf.ReadFrom(r.Body)
		b = buf.Bytes()
	} else {
		b, err = io.ReadAll(r.Body)
	}
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errorf(http.StatusBadRequest, "the request body ended before its declared length")
	}
	return b, err
}

// decodeBody reads the request body and decodes it strictly into v (see decodeJSON). It
// returns the raw body for callers that also hash it (idempotent creates).
func decodeBody(r *http.Request, resource string, v any) ([]byte, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return body, decodeJSON(body, resource, v)
}

// decodeJSON decodes a JSON body strictly, each problem a 400 naming the attribute: an empty
// body, invalid syntax, invalid UTF-8, lone surrogates, a key sent twice in one object (inside
// details too; encoding/json would keep the last), trailing data, a field name in another case
// than the API's (encoding/json would match it), an unknown field, a wrong type, and null
// where a value is required (only pointer fields and raw JSON such as details may be null).
func decodeJSON(body []byte, resource string, v any) error {
	return decodeJSONItems(body, resource, v, "", 0)
}

// decodeJSONItems is decodeJSON for a body whose arrays hold at most maxItems elements
// (maxItems > 0), named by field: a longer one is refused after the allocation-free scan,
// before encoding/json allocates a value per element.
func decodeJSONItems(body []byte, resource string, v any, field string, maxItems int) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return invalid(resource, "body", "a JSON body is required")
	}
	t := reflect.TypeOf(v)
	names := fieldNamesOf(t)
	seen, err := strictjson.Scan(body, names.caseMismatch)
	if err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) && se.Path != "" && !strings.HasPrefix(se.Msg, "invalid JSON") {
			return invalid(resource, strings.TrimPrefix(se.Path, "."), "%s", se.Msg)
		}
		return invalid(resource, "body", "%v", err)
	}
	if maxItems > 0 && seen.MaxArray > maxItems {
		return invalid(resource, field, "%d %s; at most %d per request", seen.MaxArray, field, maxItems)
	}
	// strictFields walks the body beside the type, re-reading each level: only when the scan
	// saw a null or a key that matches some field name of the type in another case can it
	// find anything (the access check's batches are the hot path here).
	if seen.Null || seen.Flag {
		if err := strictFields(json.RawMessage(body), t, ""); err != nil {
			return err.apiError(resource)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return invalid(resource, typeErr.Field, "want %s, got a JSON %s", typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return invalid(resource, "body", "invalid JSON at byte %d: %v", syntaxErr.Offset, err)
		case errors.Is(err, io.EOF): // nothing but white space
			return invalid(resource, "body", "a JSON body is required")
		}
		if field, ok := unknownField(err); ok {
			return invalid(resource, field, "unknown field; check the spelling against the API reference")
		}
		return invalid(resource, "body", "invalid JSON: %v", err)
	}
	if dec.More() {
		return invalid(resource, "body", "trailing data after the JSON object")
	}
	return nil
}

// fieldProblem is what strictFields found, at a field path.
type fieldProblem struct {
	path, msg string
}

func (p *fieldProblem) apiError(resource string) *apiError {
	if p.path == "" {
		return invalid(resource, "body", "%s", p.msg)
	}
	return invalid(resource, p.path, "%s", p.msg)
}

var rawMessageType = reflect.TypeOf(json.RawMessage(nil))

// strictFields walks raw (already known to be valid JSON) beside the Go type t it will be
// decoded into, and refuses what encoding/json would accept silently: null for a non-pointer
// value (a string, number, bool, object or array), and an object key that matches a field only
// when case is ignored. Raw JSON fields (details) are left to their own parser.
func strictFields(raw json.RawMessage, t reflect.Type, path string) *fieldProblem {
	for t.Kind() == reflect.Pointer {
		if path != "" && string(raw) == "null" { // an optional field sent as null: absent
			return nil
		}
		t = t.Elem()
	}
	if t == rawMessageType || t.Kind() == reflect.Interface {
		return nil
	}
	if string(bytes.TrimSpace(raw)) == "null" {
		return &fieldProblem{path, fmt.Sprintf("null is not allowed here; send %s or leave the field out", describeKind(t))}
	}
	switch t.Kind() {
	case reflect.Struct:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return &fieldProblem{path, "want a JSON object"}
		}
		fields := jsonFields(t)
		for k, v := range m {
			f, ok := fields[k]
			if !ok {
				for name := range fields {
					if strings.EqualFold(name, k) {
						return &fieldProblem{join(path, k), fmt.Sprintf("unknown field; field names are case-sensitive: did you mean %q?", name)}
					}
				}
				continue // an unknown field: the decoder names it
			}
			if p := strictFields(v, t.FieldByIndex(f).Type, join(path, k)); p != nil {
				return p
			}
		}
	case reflect.Map:
		var m map[string]json.RawMessage
		if err := json.Unmarshal(raw, &m); err != nil {
			return &fieldProblem{path, "want a JSON object"}
		}
		for k, v := range m {
			if p := strictFields(v, t.Elem(), join(path, k)); p != nil {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil // []byte is a base64 string
		}
		var a []json.RawMessage
		if err := json.Unmarshal(raw, &a); err != nil {
			return &fieldProblem{path, "want a JSON array"}
		}
		for i, v := range a {
			if p := strictFields(v, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); p != nil {
				return p
			}
		}
	}
	return nil
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func describeKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "a number"
}

// jsonFields maps a struct's JSON field names (as encoding/json spells them, embedded structs
// flattened) to their field index.
// fieldNames are the JSON field names of every struct reachable from a type, for the quick
// test of decodeJSON: exact names, and the same names folded to lower case.
type fieldNames struct {
	exact  map[string]bool
	folded map[string]bool
}

var fieldNamesCache sync.Map // reflect.Type → *fieldNames

func fieldNamesOf(t reflect.Type) *fieldNames {
	if n, ok := fieldNamesCache.Load(t); ok {
		return n.(*fieldNames)
	}
	n := &fieldNames{exact: map[string]bool{}, folded: map[string]bool{}}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || seen[t] {
			return
		}
		seen[t] = true
		for name, idx := range jsonFields(t) {
			n.exact[name], n.folded[strings.ToLower(name)] = true, true
			walk(t.FieldByIndex(idx).Type)
		}
	}
	walk(t)
	fieldNamesCache.Store(t, n)
	return n
}

// caseMismatch reports whether key could be a field name sent in another case: not a field
// name as it is, but one when folded (ASCII; a key that is not short ASCII counts as one, so
// that the full check runs).
func (n *fieldNames) caseMismatch(key []byte) bool {
	if n.exact[string(key)] {
		return false
	}
	var buf [64]byte
	if len(key) > len(buf) {
		return true
	}
	for i, c := range key {
		if c >= 0x80 {
			return true
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		buf[i] = c
	}
	return n.folded[string(buf[:len(key)])]
}

func jsonFields(t reflect.Type) map[string][]int {
	if m, ok := fieldCache.Load(t); ok {
		return m.(map[string][]int)
	}
	m := map[string][]int{}
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			f := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || !f.IsExported() && !f.Anonymous {
				continue
			}
			if f.Anonymous && name == "" && f.Type.Kind() == reflect.Struct {
				walk(f.Type, idx)
				continue
			}
			if name == "" {
				name = f.Name
			}
			if _, taken := m[name]; !taken {
				m[name] = idx
			}
		}
	}
	walk(t, nil)
	fieldCache.Store(t, m)
	return m
}

var fieldCache sync.Map // reflect.Type → map[string][]int

// unknownField extracts the name from encoding/json's "json: unknown field \"x\"" error.
func unknownField(err error) (string, bool) {
	var name string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &name); scanErr == nil {
		return name, true
	}
	return "", false
}
