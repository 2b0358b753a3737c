package oidcrule

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// CheckPattern checks a rule's pattern: not empty (use "*" for any value), at most MaxPattern
// bytes, no control characters.
func CheckPattern(p string) error {
	switch {
	case p == "":
		return errors.New("empty pattern; use \"*\" to accept any value, or remove the rule")
	case len(p) > MaxPattern:
		return fmt.Errorf("the pattern is %d bytes; at most %d", len(p), MaxPattern)
	case strings.ContainsFunc(p, unicode.IsControl):
		return errors.New("the pattern holds a control character")
	}
	return nil
}

// Match reports whether value matches pattern, where `*` stands for any run of characters
// (none included) and `?` for at most one; every other character stands for itself. Matching
// works on runes, in O(len(pattern) × len(value)); a value longer than MaxClaimValue matches
// nothing.
func Match(pattern, value string) bool {
	if len(value) > MaxClaimValue {
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

// Rule is one compiled entry of a definition's rules.
type Rule struct {
	Key     string
	Path    Path
	Pattern string
}

// RuleError is a rule that does not compile; Key is its claim path as written.
type RuleError struct {
	Key string
	Err error
}

func (e *RuleError) Error() string { return fmt.Sprintf("rules[%q]: %v", e.Key, e.Err) }

// Compile parses a definition's rules, in the order of their keys; a bad rule is a *RuleError.
func Compile(rules map[string]string) ([]Rule, error) {
	if len(rules) > MaxRules {
		return nil, fmt.Errorf("%d rules; at most %d per policy", len(rules), MaxRules)
	}
	out := make([]Rule, 0, len(rules))
	for k, pat := range rules {
		path, err := ParsePath(k)
		if err != nil {
			return nil, &RuleError{Key: k, Err: err}
		}
		if err := CheckPattern(pat); err != nil {
			return nil, &RuleError{Key: k, Err: err}
		}
		out = append(out, Rule{Key: k, Path: path, Pattern: pat})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// MatchAll reports whether every rule matches the claims; on a mismatch it also says which
// (for the audit log).
func MatchAll(rules []Rule, claims map[string]any) (bool, string) {
	for _, r := range rules {
		vals := r.Path.Lookup(claims)
		ok := false
		for _, v := range vals {
			if Match(r.Pattern, v) {
				ok = true
				break
			}
		}
		if !ok {
			if len(vals) == 0 {
				return false, fmt.Sprintf("claim %s is missing or not a string", r.Key)
			}
			return false, fmt.Sprintf("claim %s = %q does not match %q", r.Key, truncate(strings.Join(vals, ","), 200), r.Pattern)
		}
	}
	return true, ""
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "") + "…"
}

// PinsSomething reports whether a rule constrains its claim beyond "any value", on a claim other
// than aud and iss: every ID token the issuer signs for this organization carries the same ones
// (the server checks them itself), whichever repository or job asked for it.
func PinsSomething(rules map[string]string) bool {
	for claim, pat := range rules {
		if claim != "aud" && claim != "iss" && strings.Trim(pat, "*?") != "" {
			return true
		}
	}
	return false
}
