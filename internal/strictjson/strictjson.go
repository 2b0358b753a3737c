// Package strictjson checks JSON text for what encoding/json lets through silently: duplicate
// object keys (the last one wins), invalid UTF-8 and lone UTF-16 surrogates (both become
// U+FFFD), and data after the value. The server runs it on every request body and package
// authz on every descriptor tree, so both refuse the same input with the same words.
package strictjson

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// MaxDepth bounds nesting; deeper input is refused before it can exhaust the stack.
const MaxDepth = 512

// Error is a problem at one place of the input. Path is where, as ".key[index].key" from the
// root ("" for the root itself); Offset is the byte offset of the problem.
type Error struct {
	Path   string
	Offset int
	Msg    string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return strings.TrimPrefix(e.Path, ".") + ": " + e.Msg
}

// Check reports the first problem in data: invalid syntax, invalid UTF-8, a \u escape that
// is a lone surrogate, a key that repeats within one object (after unescaping), nesting deeper
// than MaxDepth, or anything but white space after the value. It allocates only for keys.
func Check(data []byte) error {
	_, err := Scan(data, nil)
	return err
}

// Summary is what Scan saw besides problems, for callers that skip a costlier check of their
// own when it cannot find anything.
type Summary struct {
	Null     bool // a null literal appears somewhere
	Flag     bool // the key callback returned true for some key
	MaxArray int  // the most elements of an array that is a member of the value (a request's list)
}

// Scan is Check that also calls key (when not nil) with every object key, unescaped (the
// slice is valid only during the call), and reports what it saw.
func Scan(data []byte, key func([]byte) bool) (Summary, error) {
	s := scanner{data: data, key: key}
	err := s.check()
	return s.sum, err
}

func (s *scanner) check() error {
	data := s.data
	s.space()
	if s.pos == len(data) {
		return &Error{Offset: 0, Msg: "no JSON value"}
	}
	if err := s.value(0); err != nil {
		return err
	}
	s.space()
	if s.pos != len(data) {
		return &Error{Offset: s.pos, Msg: fmt.Sprintf("trailing data after the JSON value at byte %d", s.pos)}
	}
	return nil
}

type scanner struct {
	data []byte
	pos  int
	key  func([]byte) bool
	sum  Summary
	path []segment // where the scan is; rendered only for an error
}

// segment is one step of a path: an object key, or an array index when key is unset.
type segment struct {
	raw    []byte // the key, unescaped
	index  int
	object bool
}

func (s *scanner) pathString() string {
	var b strings.Builder
	for _, seg := range s.path {
		if seg.object {
			b.WriteByte('.')
			b.Write(seg.raw)
		} else {
			b.WriteByte('[')
			b.WriteString(strconv.Itoa(seg.index))
			b.WriteByte(']')
		}
	}
	return b.String()
}

func (s *scanner) fail(format string, args ...any) error {
	return s.failAt(s.pos, format, args...)
}

func (s *scanner) failAt(offset int, format string, args ...any) error {
	return &Error{Path: s.pathString(), Offset: offset, Msg: fmt.Sprintf(format, args...)}
}

func (s *scanner) space() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if depth > MaxDepth {
		return s.fail("nested more than %d levels deep", MaxDepth)
	}
	if s.pos >= len(s.data) {
		return s.fail("invalid JSON: unexpected end of input")
	}
	switch c := s.data[s.pos]; {
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == '"':
		_, _, err := s.str()
		return err
	case c == '-' || c >= '0' && c <= '9':
		return s.number()
	default:
		for _, lit := range [...]string{"true", "false", "null"} {
			if len(s.data)-s.pos >= len(lit) && string(s.data[s.pos:s.pos+len(lit)]) == lit {
				s.pos += len(lit)
				s.sum.Null = s.sum.Null || lit == "null"
				return nil
			}
		}
		return s.fail("invalid JSON: unexpected %s at byte %d", quoteByte(c), s.pos)
	}
}

func quoteByte(c byte) string {
	if c < 0x20 || c >= 0x7f {
		return fmt.Sprintf("byte 0x%02x", c)
	}
	return strconv.QuoteRune(rune(c))
}

func (s *scanner) object(depth int) error {
	s.pos++ // {
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return nil
	}
	// Objects are small (a descriptor node has two to four keys): the keys seen are compared
	// as a list, without copying them, and kept in a map only past smallObject keys.
	const smallObject = 16
	var small [smallObject][]byte
	seen := small[:0]
	var keys map[string]struct{}
	for {
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != '"' {
			return s.fail("invalid JSON: want an object key at byte %d", s.pos)
		}
		start := s.pos
		raw, escaped, err := s.str()
		if err != nil {
			return err
		}
		key := raw
		if escaped {
			var k string
			if err := json.Unmarshal(s.data[start:s.pos], &k); err != nil {
				return s.failAt(start, "invalid JSON: %v", err)
			}
			key = []byte(k)
		}
		dup := false
		if keys == nil {
			for _, k := range seen {
				dup = dup || string(k) == string(key)
			}
			if seen = append(seen, key); len(seen) > smallObject {
				keys = make(map[string]struct{}, 2*smallObject)
				for _, k := range seen[:len(seen)-1] {
					keys[string(k)] = struct{}{}
				}
			}
		}
		if keys != nil {
			_, dup = keys[string(key)]
			keys[string(key)] = struct{}{}
		}
		if s.key != nil && s.key(key) {
			s.sum.Flag = true
		}
		s.path = append(s.path, segment{raw: key, object: true})
		if dup {
			return s.failAt(start, "duplicate key %q in one object; send each field once", key)
		}
		s.space()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return s.fail("invalid JSON: want ':' after the key at byte %d", s.pos)
		}
		s.pos++
		s.space()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.space()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == '}' {
			s.pos++
			return nil
		}
		return s.fail("invalid JSON: want ',' or '}' at byte %d", s.pos)
	}
}

func (s *scanner) array(depth int) error {
	s.pos++ // [
	s.space()
	if s.pos < len(s.data) && s.data[s.pos] == ']' {
		s.pos++
		return nil
	}
	for i := 0; ; i++ {
		s.space()
		s.path = append(s.path, segment{index: i})
		if err := s.value(depth + 1); err != nil {
			return err
		}
		s.path = s.path[:len(s.path)-1]
		s.space()
		if s.pos < len(s.data) && s.data[s.pos] == ',' {
			s.pos++
			continue
		}
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			if depth == 1 { // callers bound decoding by it
				s.sum.MaxArray = max(s.sum.MaxArray, i+1)
			}
			return nil
		}
		return s.fail("invalid JSON: want ',' or ']' at byte %d", s.pos)
	}
}

// str scans a string literal at s.pos and returns its raw contents (between the quotes) and
// whether it holds escapes.
func (s *scanner) str() (raw []byte, escaped bool, err error) {
	s.pos++ // "
	start := s.pos
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			raw = s.data[start:s.pos]
			s.pos++
			return raw, escaped, nil
		case c == '\\':
			escaped = true
			if err := s.escape(); err != nil {
				return nil, false, err
			}
		case c < 0x20:
			return nil, false, s.fail("invalid JSON: control character 0x%02x in a string at byte %d; escape it", c, s.pos)
		case c < utf8.RuneSelf:
			s.pos++
		default:
			r, n := utf8.DecodeRune(s.data[s.pos:])
			if r == utf8.RuneError && n <= 1 {
				return nil, false, s.fail("invalid UTF-8 at byte %d", s.pos)
			}
			s.pos += n
		}
	}
	return nil, false, s.fail("invalid JSON: unterminated string")
}

// escape checks one escape sequence at s.pos (the backslash) and moves past it. A \u escape
// of a UTF-16 high surrogate must be followed by one of a low surrogate.
func (s *scanner) escape() error {
	if s.pos+1 >= len(s.data) {
		return s.fail("invalid JSON: unterminated escape")
	}
	switch s.data[s.pos+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		s.pos += 2
		return nil
	case 'u':
	default:
		return s.fail("invalid JSON: unknown escape \\%c at byte %d", s.data[s.pos+1], s.pos)
	}
	r, ok := s.hex4(s.pos + 2)
	if !ok {
		return s.fail("invalid JSON: \\u needs four hex digits at byte %d", s.pos)
	}
	switch {
	case r >= 0xDC00 && r <= 0xDFFF:
		return s.fail("lone UTF-16 surrogate \\u%04x at byte %d; it is not a character", r, s.pos)
	case r >= 0xD800 && r <= 0xDBFF:
		lo, ok := rune(0), false
		if s.pos+8 <= len(s.data) && s.data[s.pos+6] == '\\' && s.data[s.pos+7] == 'u' {
			lo, ok = s.hex4(s.pos + 8)
		}
		if !ok || lo < 0xDC00 || lo > 0xDFFF {
			return s.fail("lone UTF-16 surrogate \\u%04x at byte %d; it is not a character", r, s.pos)
		}
		s.pos += 12
		return nil
	}
	s.pos += 6
	return nil
}

func (s *scanner) hex4(at int) (rune, bool) {
	if at+4 > len(s.data) {
		return 0, false
	}
	var r rune
	for _, c := range s.data[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

func (s *scanner) number() error {
	start := s.pos
	if s.data[s.pos] == '-' {
		s.pos++
	}
	digits := func() int {
		n := 0
		for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
			s.pos++
			n++
		}
		return n
	}
	if s.pos < len(s.data) && s.data[s.pos] == '0' {
		s.pos++
	} else if digits() == 0 {
		return s.fail("invalid JSON: bad number at byte %d", start)
	}
	if s.pos < len(s.data) && s.data[s.pos] == '.' {
		s.pos++
		if digits() == 0 {
			return s.fail("invalid JSON: bad number at byte %d", start)
		}
	}
	if s.pos < len(s.data) && (s.data[s.pos] == 'e' || s.data[s.pos] == 'E') {
		s.pos++
		if s.pos < len(s.data) && (s.data[s.pos] == '+' || s.data[s.pos] == '-') {
			s.pos++
		}
		if digits() == 0 {
			return s.fail("invalid JSON: bad number at byte %d", start)
		}
	}
	return nil
}
