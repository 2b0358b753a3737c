package oidcrule

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode"
)

// Bounds of a rule, so that matching one exchange stays cheap (a pattern is matched in
// O(len(pattern) × len(value))).
const (
	MaxRules       = 20   // rules per definition
	MaxPath        = 256  // bytes of a claim path
	MaxPathKeys    = 10   // keys of a claim path
	MaxPattern     = 256  // bytes of a pattern
	MaxClaimValue  = 1024 // longer claim values match no pattern
	MaxDefinitions = 40   // definitions per issuer (apitype.MaxAuthPolicies)
)

// Path is a parsed claim path: the keys to follow from the token's claims.
type Path []string

// ParsePath splits a rule key on dots; a key that holds dots is double-quoted
// (`"kubernetes.io".pod.name`), and `\"` and `\\` escape inside quotes. The error says what is
// wrong and how to write it.
func ParsePath(p string) (Path, error) {
	if p == "" {
		return nil, errors.New("empty claim path: name a claim such as sub, or a nested one such as \"kubernetes.io\".pod.name")
	}
	if len(p) > MaxPath {
		return nil, fmt.Errorf("%d bytes; at most %d", len(p), MaxPath)
	}
	var out Path
	for rest := p; ; {
		if len(out) == MaxPathKeys {
			return nil, fmt.Errorf("more than %d keys", MaxPathKeys)
		}
		var key string
		if strings.HasPrefix(rest, `"`) {
			var b strings.Builder
			i, closed := 1, false
			for i < len(rest) && !closed {
				switch c := rest[i]; {
				case c == '\\' && i+1 < len(rest) && (rest[i+1] == '"' || rest[i+1] == '\\'):
					b.WriteByte(rest[i+1])
					i += 2
				case c == '"':
					closed = true
					i++
				default:
					b.WriteByte(c)
					i++
				}
			}
			if !closed {
				return nil, errors.New("unbalanced quote: close the quoted key with \" (write \\\" for a quote inside it)")
			}
			key, rest = b.String(), rest[i:]
			if key == "" {
				return nil, errors.New("empty quoted key \"\"")
			}
		} else {
			end := strings.IndexByte(rest, '.')
			if end < 0 {
				end = len(rest)
			}
			key, rest = rest[:end], rest[end:]
			if key == "" {
				return nil, errors.New("empty key: two dots in a row, or a leading dot (quote keys that contain dots, e.g. \"kubernetes.io\".pod)")
			}
			if strings.Contains(key, `"`) {
				return nil, fmt.Errorf("key %q: a quote may only open a quoted key at its start (\"a.b\"), not part of one", key)
			}
		}
		if strings.ContainsFunc(key, unicode.IsControl) {
			return nil, fmt.Errorf("key %q holds a control character", key)
		}
		out = append(out, key)
		if rest == "" {
			return out, nil
		}
		if rest[0] != '.' {
			return nil, errors.New("a quoted key must be followed by a dot or the end of the path")
		}
		rest = rest[1:]
		if rest == "" {
			return nil, errors.New("trailing dot: remove it, or quote a key that ends with a dot")
		}
	}
}

// Lookup follows the path through the claims and returns the strings the value stands for:
// a string as is, a number or boolean in its JSON form, each such element of an array (a
// multi-valued claim such as aud matches when one element does). Objects, null and a missing
// claim give none, so no pattern matches them.
func (cp Path) Lookup(claims map[string]any) []string {
	var v any = claims
	for _, k := range cp {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		if v, ok = m[k]; !ok {
			return nil
		}
	}
	if arr, ok := v.([]any); ok {
		var out []string
		for _, e := range arr {
			if s, ok := scalar(e); ok {
				out = append(out, s)
			}
		}
		return out
	}
	if s, ok := scalar(v); ok {
		return []string{s}
	}
	return nil
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case json.Number:
		return x.String(), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}
