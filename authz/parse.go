package authz

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/iamref/iam/internal/strictjson"
)

// Limits on a descriptor tree. Pulumi Cloud rejects details over 1 MB and groups over 2000
// entries; the depth bound keeps evaluation and compilation stack use small.
const (
	MaxDetailsBytes = 1 << 20
	MaxGroupEntries = 2000
	MaxDepth        = 64
)

// ParseError is a problem at one place of a descriptor tree. Path is a JSON path from the
// root, such as "$.entries[2].permissions[0]".
type ParseError struct {
	Path string
	Msg  string
	Err  error // the underlying error, e.g. *UnknownScopeError
}

func (e *ParseError) Error() string { return e.Path + ": " + e.Msg }
func (e *ParseError) Unwrap() error { return e.Err }

// Field is Path with the leading "$" replaced by root (e.g. "details"), for API error bodies.
func (e *ParseError) Field(root string) string { return root + strings.TrimPrefix(e.Path, "$") }

// AsParseError extracts a *ParseError from err.
func AsParseError(err error) (*ParseError, bool) {
	var pe *ParseError
	ok := errors.As(err, &pe)
	return pe, ok
}

// Parse reads a PermissionDescriptor JSON tree and validates it: known "__type" values and
// fields, known scopes, operand types, and the size, group and depth limits. The decoder of
// each "__type" is in decode.go.
func Parse(data []byte) (Node, error) {
	v, err := readJSON(data, "details are", "tree")
	if err != nil {
		return nil, err
	}
	return decodeNode(v, "$", 0)
}

// readJSON reads the JSON of a tree or expression for decoding, refusing first what
// encoding/json would let through changed: over MaxDetailsBytes (size says what data is),
// duplicate keys, invalid UTF-8 and lone surrogates (it keeps the last key and turns the
// others into U+FFFD), and data after the value (what names the value).
func readJSON(data []byte, size, what string) (any, error) {
	if len(data) > MaxDetailsBytes {
		return nil, &ParseError{Path: "$", Msg: fmt.Sprintf("%s %d bytes; the limit is %d", size, len(data), MaxDetailsBytes)}
	}
	if err := strictjson.Check(data); err != nil {
		var se *strictjson.Error
		if errors.As(err, &se) {
			return nil, &ParseError{Path: "$" + se.Path, Msg: se.Msg, Err: err}
		}
		return nil, &ParseError{Path: "$", Msg: err.Error(), Err: err}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &ParseError{Path: "$", Msg: "invalid JSON: " + err.Error(), Err: err}
	}
	if _, err := dec.Token(); err == nil {
		return nil, &ParseError{Path: "$", Msg: "invalid JSON: trailing data after the " + what}
	}
	return v, nil
}

// MustParse is Parse for trees known to be valid (package data, tests).
func MustParse(s string) Node {
	n, err := Parse([]byte(s))
	if err != nil {
		panic(err)
	}
	return n
}

// The readers below take JSON as encoding/json decodes it into `any` (with UseNumber) and
// report problems as *ParseError at a JSON path.

func errAt(path, format string, args ...any) error {
	return &ParseError{Path: path, Msg: fmt.Sprintf(format, args...)}
}

// object checks that v is an object with a "__type" and returns both.
func object(v any, path string) (map[string]any, string, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, "", errAt(path, "want an object with a \"__type\", got %s", jsonKind(v))
	}
	t, ok := m["__type"].(string)
	if !ok {
		return nil, "", errAt(path, "missing \"__type\"")
	}
	return m, t, nil
}

// checkFields rejects fields of m other than "__type" and allowed.
func checkFields(m map[string]any, path, typ string, allowed ...string) error {
	for k := range m {
		if k == "__type" {
			continue
		}
		found := false
		for _, a := range allowed {
			if k == a {
				found = true
				break
			}
		}
		if !found {
			if len(allowed) == 0 {
				return errAt(path+"."+k, "%s has no fields", typ)
			}
			return errAt(path+"."+k, "unknown field of %s (allowed: %s)", typ, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// field returns m[k], treating JSON null as absent.
func field(m map[string]any, k string) (any, bool) {
	v, ok := m[k]
	if !ok || v == nil {
		return nil, false
	}
	return v, true
}

func stringField(m map[string]any, k, path string) (string, error) {
	v, ok := field(m, k)
	if !ok {
		return "", errAt(path+"."+k, "required")
	}
	s, ok := v.(string)
	if !ok {
		return "", errAt(path+"."+k, "want a string, got %s", jsonKind(v))
	}
	return s, nil
}

// element is the position of one array element, rendered only when a message needs it.
type element struct {
	array string // path of the array
	i     int
}

func (e element) path() string { return fmt.Sprintf("%s[%d]", e.array, e.i) }

// list reads the required array m[k] element by element. want describes the array in the
// type error ("an array of strings"); a non-empty holder bounds its length to MaxGroupEntries
// and names what holds it in the error ("a group": "2001 entries; a group holds at most 2000").
func list[T any](m map[string]any, k, path, want, holder string, elem func(v any, at element) (T, error)) ([]T, error) {
	at := path + "." + k
	raw, ok := field(m, k)
	if !ok {
		return nil, errAt(at, "required")
	}
	vs, ok := raw.([]any)
	if !ok {
		return nil, errAt(at, "want %s, got %s", want, jsonKind(raw))
	}
	if holder != "" && len(vs) > MaxGroupEntries {
		return nil, errAt(at, "%d %s; %s holds at most %d", len(vs), k, holder, MaxGroupEntries)
	}
	out := make([]T, len(vs))
	for i, v := range vs {
		x, err := elem(v, element{at, i})
		if err != nil {
			return nil, err
		}
		out[i] = x
	}
	return out, nil
}

// stringList reads the required array of strings m[k].
func stringList(m map[string]any, k, path string) ([]string, error) {
	return list(m, k, path, "an array of strings", "", func(v any, at element) (string, error) {
		s, ok := v.(string)
		if !ok {
			return "", errAt(at.path(), "want a string, got %s", jsonKind(v))
		}
		return s, nil
	})
}

func integer(v any, path string) (int64, error) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, errAt(path, "want an integer, got %s", jsonKind(v))
	}
	i, err := n.Int64()
	if err != nil || i < 0 {
		return 0, errAt(path, "want a non-negative integer number of seconds, got %s", n)
	}
	return i, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	}
	return fmt.Sprintf("%T", v)
}

// Suggest is "; did you mean X?" for the valid name closest to got, if any is close, and ""
// otherwise: the closest-match hint of every "unknown name" error.
func Suggest(got string, valid []string) string { return suggest(got, valid) }

// suggest is "; did you mean X?" for the valid name closest to got, if any is close.
func suggest(got string, valid []string) string {
	best, bestD := "", 1<<30
	for _, v := range valid {
		if d := editDistance(got, v); d < bestD {
			best, bestD = v, d
		}
	}
	if bestD <= len(got)/3+1 {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return ""
}
