package server

import (
	"net/http"
	"slices"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

// The access check is the one hot route: its batches are decoded and encoded here without
// reflection. Neither side loosens anything. The decoder accepts only bodies that the strict
// scanner passes and that have exactly the API's shape (known keys in the API's case, strings
// without escapes, no null); anything else goes to decodeJSON, which then accepts the same
// value or names the problem. The encoder writes the bytes encoding/json writes
// (TestAccessAnswerMatchesReference, FuzzAccessAnswer, FuzzAccessJSONString and
// FuzzAccessCheckDecode hold both to that).

// decodeAccessCheckFast decodes body into req when it is a well-formed request of the plain
// shape; false means "not decided here" (not "invalid"): the caller then uses decodeJSON.
func decodeAccessCheckFast(body []byte, req *apitype.AccessCheckRequest) bool {
	p := fastParser{s: string(body)} // one copy; every decoded string is a slice of it
	checks, ok := p.request(req.Checks[:0])
	if !ok {
		return false
	}
	if p.space(); p.pos != len(p.s) {
		return false // something after the value
	}
	req.Checks = checks
	return true
}

// fastParser reads the API's shape and nothing else, and checks as it goes what the strict
// scanner would (strictjson): valid JSON (strings without control bytes or escapes, only
// structure and white space between them), valid UTF-8, no key twice in an object, nothing
// after the value. No number, literal or null can occur in the shape, and its depth is fixed.
type fastParser struct {
	s   string
	pos int
}

func (p *fastParser) space() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// next skips white space and consumes c when it comes next.
func (p *fastParser) next(c byte) bool {
	p.space()
	if p.pos < len(p.s) && p.s[p.pos] == c {
		p.pos++
		return true
	}
	return false
}

// str reads a string without escapes (one with escapes is left to encoding/json) and of
// valid UTF-8 (the rest is left to the strict scanner, which names the problem). The common
// bytes are skipped by one table probe each.
func (p *fastParser) str() (string, bool) {
	if !p.next('"') {
		return "", false
	}
	s, start, ascii := p.s, p.pos, true
	for i := start; i < len(s); i++ {
		c := s[i]
		if strPlain[c] {
			continue
		}
		switch {
		case c == '"':
			p.pos = i + 1
			v := s[start:i]
			return v, ascii || utf8.ValidString(v)
		case c == '\\' || c < 0x20: // an escape, or a control byte (invalid JSON)
			p.pos = i
			return "", false
		default: // c >= utf8.RuneSelf: checked as a whole at the end
			ascii = false
		}
	}
	p.pos = len(s)
	return "", false
}

// strPlain marks the bytes str passes over without a second look: ASCII other than '"', '\\'
// and control bytes.
var strPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// object reads {"key": value, …}, handing each key to field, which reads its value. A key
// seen twice is not decided here (objects of the shape have at most 4 keys).
func (p *fastParser) object(field func(key string) bool) bool {
	if !p.next('{') {
		return false
	}
	if p.next('}') {
		return true
	}
	var seen [4]string
	n := 0
	for {
		key, ok := p.str()
		if !ok || n == len(seen) || slices.Contains(seen[:n], key) {
			return false
		}
		seen[n] = key
		n++
		if !p.next(':') || !field(key) {
			return false
		}
		if p.next('}') {
			return true
		}
		if !p.next(',') {
			return false
		}
	}
}

// request reads the body's checks, appending them to into (a pooled slice, possibly nil).
func (p *fastParser) request(into []apitype.AccessCheck) (checks []apitype.AccessCheck, ok bool) {
	ok = p.object(func(key string) bool {
		if key != "checks" || !p.next('[') {
			return false
		}
		checks = into
		if checks == nil { // about 100 bytes of JSON per check; append grows past that
			checks = make([]apitype.AccessCheck, 0, min(maxChecks+1, 1+len(p.s)/100))
		}
		if p.next(']') {
			return true
		}
		for {
			var c apitype.AccessCheck
			if !p.check(&c) {
				return false
			}
			if checks = append(checks, c); len(checks) > maxChecks {
				return false // too many: the strict path counts them without decoding them
			}
			if p.next(']') {
				return true
			}
			if !p.next(',') {
				return false
			}
		}
	})
	return checks, ok
}

func (p *fastParser) check(c *apitype.AccessCheck) bool {
	return p.object(func(key string) (ok bool) {
		switch key {
		case "principal":
			c.Principal, ok = p.str()
		case "action":
			c.Action, ok = p.str()
		case "entity":
			ok = p.object(func(key string) (ok bool) {
				switch key {
				case "kind":
					c.Entity.Kind, ok = p.str()
				case "project":
					c.Entity.Project, ok = p.str()
				case "name":
					c.Entity.Name, ok = p.str()
				case "id":
					c.Entity.ID, ok = p.str()
				}
				return ok
			})
		}
		return ok
	})
}

var accessBufs = sync.Pool{New: func() any { b := make([]byte, 0, 32<<10); return &b }}

// writeAnswer writes the answer of a batch straight from its explanations: the bytes
// encoding/json writes for the apitype results of the same checks (accessResult with the via
// names and the blind reason; TestAccessAnswerMatchesReference), without building them. The
// answer is built whole in a pooled buffer (about 230 bytes per check) and sent with its length
// in one write: fewer system calls and no chunked framing than streaming it.
func (ac *accessChecker) writeAnswer(w http.ResponseWriter, outs []accessOutcome) {
	bp := accessBufs.Get().(*[]byte)
	b := append(ac.appendAnswer((*bp)[:0], outs), '\n')
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	if cap(b) <= 1<<20 { // a rare huge answer is not kept
		*bp = b[:0]
		accessBufs.Put(bp)
	}
}

// jsonContentType is the Content-Type header's value, shared by every answer (net/http only
// reads it).
var jsonContentType = []string{"application/json"}

// appendAnswer appends the answer to b, without its final newline.
func (ac *accessChecker) appendAnswer(b []byte, outs []accessOutcome) []byte {
	b = append(b, `{"results":[`...)
	for i := range outs {
		if i > 0 {
			b = append(b, ',')
		}
		b = ac.appendOutcome(b, &outs[i])
	}
	return append(b, "]}"...)
}

// blindReasons is blindReason for each kind, built once.
var blindReasons = func() (out [authz.KindInsightsAccount + 1]string) {
	for k := range out {
		out[k] = blindReason(authz.EntityKind(k))
	}
	return out
}()

func (ac *accessChecker) appendOutcome(b []byte, o *accessOutcome) []byte {
	if o.failed {
		b = append(b, `{"allowed":false,"reasons":[],"error":`...)
		return append(appendString(b, o.err), '}')
	}
	ex := &o.ex
	var d authz.Denial
	if !ex.Decision {
		d = ex.Denial() // once: it reads the index
	}
	b = append(b, `{"allowed":`...)
	b = strconv.AppendBool(b, bool(ex.Decision))
	b = append(b, `,"reasons":[`...)
	n := ex.ReasonCount()
	for i := range n {
		if i > 0 {
			b = append(b, ',')
		}
		b = ac.appendReason(b, ex, &d, i)
	}
	if o.blind {
		if n > 0 {
			b = append(b, ',')
		}
		if k := ex.Entity.Kind; int(k) < len(blindReasons) {
			b = appendString(b, blindReasons[k])
		} else {
			b = appendString(b, blindReason(k))
		}
	}
	b = append(b, ']')
	if ex.Decision && len(ex.Grants) > 0 {
		b = append(b, `,"grounds":[`...)
		for i := range ex.Grants {
			if i > 0 {
				b = append(b, ',')
			}
			g := ex.Ground(i)
			b = append(b, `{"record":`...)
			b = appendString(b, g.Record)
			b = append(b, `,"path":`...)
			b = appendString(b, g.Path)
			if len(g.Via) > 0 {
				b = append(b, `,"via":`...)
				b = appendStrings(b, g.Via)
				b = append(b, `,"viaNames":[`...)
				for j, id := range g.Via {
					if j > 0 {
						b = append(b, ',')
					}
					b = appendString(b, ac.names[id])
				}
				b = append(b, ']')
			}
			b = append(b, `,"entity":`...)
			b = appendString(b, g.Entity)
			if g.Condition != "" {
				b = append(b, `,"condition":`...)
				b = appendString(b, g.Condition)
			}
			b = append(b, `,"scopes":`...)
			b = appendStrings(b, g.Scopes)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if !ex.Decision {
		b = appendDenial(b, d.Reason.String(), int64(d.Conditional), int64(d.Elsewhere), d.Guardrail, d.GuardrailName, int64(d.Overridden))
	}
	return append(b, '}')
}

// appendReason appends reason line i of ex as a JSON string: "via <names> → …: " for a grant
// reached through records or teams, then authz's text (d is the denial of a denied request). The text is written in place and
// escaped afterwards only when it needs it (a condition's quotes, unusual characters).
func (ac *accessChecker) appendReason(b []byte, ex *authz.Explanation, d *authz.Denial, i int) []byte {
	start := len(b)
	b = append(b, '"')
	if ex.Decision {
		if via := ex.Grants[i].Via; len(via) > 0 {
			b = append(b, "via "...)
			for j, id := range via {
				if j > 0 {
					b = append(b, " → "...)
				}
				b = append(b, ac.names[id]...)
			}
			b = append(b, ": "...)
		}
	}
	if ex.Decision {
		b = ex.AppendReason(b, i)
	} else {
		b = ex.AppendDenialText(b, *d)
	}
	if !jsonPlain(b[start+1:]) {
		return appendString(b[:start], string(b[start+1:]))
	}
	return append(b, '"')
}

// plainASCII says which ASCII bytes appendString writes as they are.
var plainASCII = func() (t [utf8.RuneSelf]bool) {
	for c := range t {
		t[c] = c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// jsonPlain reports whether appendString would write t unchanged between its quotes.
func jsonPlain(t []byte) bool {
	for i := 0; i < len(t); {
		c := t[i]
		if c < utf8.RuneSelf {
			if !plainASCII[c] {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(t[i:])
		if r == utf8.RuneError && size == 1 || r == '\u2028' || r == '\u2029' {
			return false
		}
		i += size
	}
	return true
}

func appendStrings(b []byte, ss []string) []byte {
	if ss == nil {
		return append(b, "null"...)
	}
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	return append(b, ']')
}

// appendString quotes s as json.Marshal does (apitype.AccessCheckResponse.MarshalJSON has
// always sent the batch answer so): short escapes for \b \f \n \r \t, \u00XX for other control
// bytes and for < > &, U+FFFD for invalid UTF-8, and \u2028 \u2029.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if plainASCII[c] {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// appendDenial appends an answer's `"denial"` member (apitype.AccessDenial's fields, zero
// values omitted).
func appendDenial(b []byte, reason string, conditional, elsewhere int64, guardrail, guardrailName string, overridden int64) []byte {
	b = append(b, `,"denial":{"reason":`...)
	b = appendString(b, reason)
	if conditional != 0 {
		b = append(b, `,"conditional":`...)
		b = strconv.AppendInt(b, conditional, 10)
	}
	if elsewhere != 0 {
		b = append(b, `,"elsewhere":`...)
		b = strconv.AppendInt(b, elsewhere, 10)
	}
	if guardrail != "" {
		b = append(b, `,"guardrail":`...)
		b = appendString(b, guardrail)
	}
	if guardrailName != "" {
		b = append(b, `,"guardrailName":`...)
		b = appendString(b, guardrailName)
	}
	if overridden != 0 {
		b = append(b, `,"overridden":`...)
		b = strconv.AppendInt(b, overridden, 10)
	}
	return append(b, '}')
}
