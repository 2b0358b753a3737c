package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Bounds of a policy's rules, so that matching one exchange stays cheap (patterns are matched
// in O(len(pattern) × len(value))).
const (
	maxRulesPerPolicy = 20
	maxRulePath       = 256
	maxRulePattern    = 256
	maxPathSegments   = 10
	maxClaimValue     = 1024 // longer claim values match no pattern
)

// claimPath is a parsed rule key: the keys to follow from the token's claims.
type claimPath []string

// parseClaimPath splits a rule key on dots; a key that holds dots is double-quoted
// (`"kubernetes.io".pod.name`), and `\"` and `\\` escape inside quotes.
func parseClaimPath(p string) (claimPath, error) {
	if p == "" {
		return nil, errors.New("empty claim path")
	}
	if len(p) > maxRulePath {
		return nil, fmt.Errorf("claim path is longer than %d bytes", maxRulePath)
	}
	var out claimPath
	i := 0
	for {
		var seg strings.Builder
		if i < len(p) && p[i] == '"' {
			i++
			closed := false
			for i < len(p) {
				switch ch := p[i]; {
				case ch == '\\' && i+1 < len(p) && (p[i+1] == '"' || p[i+1] == '\\'):
					seg.WriteByte(p[i+1])
					i += 2
				case ch == '"':
					closed = true
					i++
				default:
					seg.WriteByte(ch)
					i++
				}
				if closed {
					break
				}
			}
			if !closed {
				return nil, fmt.Errorf("claim path %q has an unterminated quote", p)
			}
			if i < len(p) && p[i] != '.' {
				return nil, fmt.Errorf("claim path %q: a quoted key must be followed by '.' or end the path", p)
			}
		} else {
			for i < len(p) && p[i] != '.' {
				if p[i] == '"' {
					return nil, fmt.Errorf("claim path %q: quote a whole key (\"a.b\"), not part of one", p)
				}
				seg.WriteByte(p[i])
				i++
			}
		}
		if seg.Len() == 0 {
			return nil, fmt.Errorf("claim path %q has an empty key; quote keys that contain dots, e.g. %q", p, `"kubernetes.io".pod`)
		}
		out = append(out, seg.String())
		if len(out) > maxPathSegments {
			return nil, fmt.Errorf("claim path %q has more than %d keys", p, maxPathSegments)
		}
		if i >= len(p) {
			return out, nil
		}
		i++ // the dot
		if i >= len(p) {
			return nil, fmt.Errorf("claim path %q ends with a dot", p)
		}
	}
}

// lookup follows the path through the claims and returns the strings the value stands for:
// a string as is, a number or boolean in its JSON form, each such element of an array (a
// multi-valued claim such as aud matches when one element does). Objects, null and a missing
// claim give none, so no pattern matches them.
func (cp claimPath) lookup(claims map[string]any) []string {
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

// validPattern checks a rule's pattern.
func validPattern(p string) error {
	if len(p) > maxRulePattern {
		return fmt.Errorf("pattern is longer than %d bytes", maxRulePattern)
	}
	return nil
}

// globMatch reports whether value matches pattern, where `*` stands for any run of characters
// (none included) and `?` for at most one; every other character stands for itself. Matching
// works on runes, in O(len(pattern) × len(value)).
func globMatch(pattern, value string) bool {
	if len(value) > maxClaimValue {
		return false
	}
	p, v := []rune(pattern), []rune(value)
	// cur[j]: pattern[:i] matches value[:j].
	cur := make([]bool, len(v)+1)
	next := make([]bool, len(v)+1)
	cur[0] = true
	for _, pc := range p {
		clear(next)
		switch pc {
		case '*':
			seen := false
			for j := range cur {
				seen = seen || cur[j]
				next[j] = seen
			}
		case '?':
			for j := range cur {
				next[j] = cur[j] || j > 0 && cur[j-1]
			}
		default:
			for j := 1; j <= len(v); j++ {
				next[j] = cur[j-1] && v[j-1] == pc
			}
		}
		cur, next = next, cur
	}
	return cur[len(v)]
}

// compiledRule is one entry of a policy's rules.
type compiledRule struct {
	key     string
	path    claimPath
	pattern string
}

// compileRules parses a definition's rules; the error names the offending key.
func compileRules(rules map[string]string) ([]compiledRule, error) {
	if len(rules) > maxRulesPerPolicy {
		return nil, fmt.Errorf("%d rules; at most %d per policy", len(rules), maxRulesPerPolicy)
	}
	out := make([]compiledRule, 0, len(rules))
	for k, pat := range rules {
		path, err := parseClaimPath(k)
		if err != nil {
			return nil, &ruleError{key: k, err: err}
		}
		if err := validPattern(pat); err != nil {
			return nil, &ruleError{key: k, err: err}
		}
		out = append(out, compiledRule{key: k, path: path, pattern: pat})
	}
	return out, nil
}

type ruleError struct {
	key string
	err error
}

func (e *ruleError) Error() string { return fmt.Sprintf("rules[%q]: %v", e.key, e.err) }

// matchRules reports whether every rule matches the claims; on a mismatch it also says which
// (for the audit log).
func matchRules(rules []compiledRule, claims map[string]any) (bool, string) {
	for _, r := range rules {
		vals := r.path.lookup(claims)
		ok := false
		for _, v := range vals {
			if globMatch(r.pattern, v) {
				ok = true
				break
			}
		}
		if !ok {
			if len(vals) == 0 {
				return false, fmt.Sprintf("claim %s is missing or not a string", r.key)
			}
			return false, fmt.Sprintf("claim %s = %q does not match %q", r.key, truncate(strings.Join(vals, ","), 200), r.pattern)
		}
	}
	return true, ""
}
