package server

import (
	"fmt"
	"unicode"
)

// textProblem says why a name or description cannot be stored, or "" when it can. Refused
// everywhere: control characters (descriptions may hold tabs and line breaks), format
// characters, which include the bidirectional overrides and isolates (U+202A–U+202E,
// U+2066–U+2069, U+200E, U+200F, U+061C) and the zero-width characters (U+200B–U+200D,
// U+2060, U+FEFF), and the line and paragraph separators (U+2028, U+2029). These make a name
// display as something else: "Admin\u202e" or "Ad\u200bmin" next to "Admin".
func textProblem(s string, multiline bool) string {
	for i, r := range s {
		if multiline && (r == '\n' || r == '\r' || r == '\t') {
			continue
		}
		var what string
		switch {
		case r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\u2060' || r == '\ufeff':
			what = "a zero-width character"
		case r >= '\u202a' && r <= '\u202e' || r >= '\u2066' && r <= '\u2069' || r == '\u200e' || r == '\u200f' || r == '\u061c':
			what = "a bidirectional control character"
		case unicode.IsControl(r):
			what = "a control character"
		case unicode.Is(unicode.Cf, r):
			what = "an invisible format character"
		case r == '\u2028' || r == '\u2029':
			what = "a line or paragraph separator"
		default:
			continue
		}
		return fmt.Sprintf("contains %U at byte %d, %s; names and descriptions may not hold control, bidirectional or zero-width characters", r, i, what)
	}
	return ""
}
