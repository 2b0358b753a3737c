package authz

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Tag limits, as Pulumi's stack tags have them (the server refuses other tags on entities, so a
// grant on such a tag could never match).
const (
	MaxTagName  = 40
	MaxTagValue = 256
)

// CheckTagName explains why no entity can carry a tag named key ("" when one can): names are at
// most MaxTagName characters of letters, digits, '-', '_', '.', ':' or '/', and names starting
// with "pulumi:" are the server's own, hidden from conditions.
func CheckTagName(key string) string {
	switch {
	case key == "":
		return "empty tag name"
	case strings.HasPrefix(key, "pulumi:"):
		return fmt.Sprintf("tag %q: names starting with \"pulumi:\" are reserved to the server and hidden from conditions, so it never matches", key)
	case len(key) > MaxTagName:
		return fmt.Sprintf("tag %q: names are at most %d characters, so no entity carries it", key, MaxTagName)
	}
	for _, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':' || r == '/') {
			return fmt.Sprintf("tag %q: names are letters, digits, '-', '_', '.', ':' or '/', so no entity carries it", key)
		}
	}
	return ""
}

// CheckTagValue explains why no entity can carry value in a tag ("" when one can).
func CheckTagValue(value string) string {
	if len(value) > MaxTagValue || !utf8.ValidString(value) {
		return fmt.Sprintf("tag values are valid UTF-8 of at most %d bytes, so no entity carries this one", MaxTagValue)
	}
	return ""
}

// ExprTagKeys lists the tag names an expression tests (Tag and HasTag keys), in the order met.
func ExprTagKeys(x Expr) []string {
	var keys []string
	anyExpr(x, func(x Expr) bool {
		switch x := x.(type) {
		case *Tag:
			keys = append(keys, x.Key)
		case *HasTag:
			keys = append(keys, x.Key)
		}
		return false
	})
	return keys
}
