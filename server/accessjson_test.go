package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/iamref/iam/apitype"
)

// encodingJSON is what writeJSON sends for v (a response's strings are escaped by its
// MarshalJSON, which calls json.Marshal).
func encodingJSON(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Every string encodes as encoding/json encodes it.
func FuzzAccessJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "\"\\", "\x00\x1f\x7f", "\xff", "\u2028\u2029", "é🙂", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("appendString(%q) = %s, encoding/json %s", s, got, want)
		}
	})
}

// The fast decoder decides only bodies decodeJSON accepts, with the same value; it declines
// every other body (which decodeJSON then refuses or decodes).
func TestAccessCheckFastDecode(t *testing.T) {
	tests := []struct {
		body string
		fast bool // decided by the fast path
	}{
		{`{"checks":[{"principal":"t1","action":"stack:read","entity":{"kind":"stack","project":"p","name":"s"}}]}`, true},
		{` { "checks" : [ { "action" : "org:read" } , {"entity":{"kind":"stack","id":"s-1"},"action":"stack:read"} ] } `, true},
		{`{"checks":[]}`, true},
		{`{}`, true},
		{`{"checks":[{}]}`, true},
		{`{"checks":[{"action":"stack:read","entity":{}}]}`, true},
		{`{"checks":[{"action":"é 🙂 <&>"}]}`, true},
		// Left to decodeJSON: it accepts these…
		{`{"checks":[{"action":"stack\u003aread"}]}`, false},
		{`{"checks":[{"action":"a\"b"}]}`, false},
		// …and refuses these.
		{``, false},
		{`   `, false},
		{`{"checks":null}`, false},
		{`{"checks":[{"action":null}]}`, false},
		{`{"Checks":[]}`, false},
		{`{"checks":[{"Action":"org:read"}]}`, false},
		{`{"checks":[{"action":"org:read","extra":1}]}`, false},
		{`{"checks":[{"action":"org:read","entity":{"kind":"stack","nam":"x"}}]}`, false},
		{`{"checks":[{"action":1}]}`, false},
		{`{"checks":[{"action":"org:read","action":"stack:read"}]}`, false},
		{`{"checks":{}}`, false},
		{`{"checks":[1]}`, false},
		{`{"checks":[{"action":"org:read"}]} {}`, false},
		{`{"checks":[{"action":"org:read"}`, false},
		{"{\"checks\":[{\"action\":\"\xff\"}]}", false},
		{`[]`, false},
		{`"checks"`, false},
		{`{"checks":[{"principal":true}]}`, false},
		// What the strict scanner refused before the fast path ran, the fast path now refuses
		// itself (the strict decoder then names the problem).
		{`{"checks":[{"action":"stack:read"}]} {}`, false},
		{`{"checks":[{"action":"stack:read"}]}x`, false},
		{`{"checks":[{"action":"stack:read","action":"org:read"}]}`, false},
		{`{"checks":[{"entity":{"id":"a","id":"b"},"action":"stack:read"}]}`, false},
		{`{"checks":[],"checks":[{"action":"stack:read"}]}`, false},
		{"{\"checks\":[{\"action\":\"stack:read\x01\"}]}", false},
		{"{\"checks\":[{\"action\":\"stack:read\xed\xa0\x80\"}]}", false},
		{"{\"checks\":[{\"action\":\"é🙂\x7f\"}]}", true},
		{` {"checks":[{"action":"stack:read"}]} ` + "\n\t\r", true},
		{`{"checks":[{"action":"stack:read"},]}`, false},
		{`{"checks":[{"entity":{"kind":"stack","project":"p","name":"n","id":"i"},"principal":"t","action":"stack:read"}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.body, func(t *testing.T) {
			var fast apitype.AccessCheckRequest
			decided := decodeAccessCheckFast([]byte(tt.body), &fast)
			if decided != tt.fast {
				t.Fatalf("decided by the fast path: %v, want %v", decided, tt.fast)
			}
			checkFastAgainstSlow(t, []byte(tt.body), decided, fast)
		})
	}
}

func checkFastAgainstSlow(t *testing.T, body []byte, decided bool, fast apitype.AccessCheckRequest) {
	t.Helper()
	var slow apitype.AccessCheckRequest
	err := decodeJSON(body, "accessCheck", &slow)
	if !decided {
		return // decodeJSON alone answers, as before
	}
	if err != nil {
		t.Fatalf("the fast path accepted a body decodeJSON refuses (%v): %q", err, body)
	}
	if len(fast.Checks) == 0 && len(slow.Checks) == 0 {
		return // nil and [] are both "no checks" (refused as required)
	}
	if !reflect.DeepEqual(fast, slow) {
		t.Fatalf("fast %+v, decodeJSON %+v for %q", fast, slow, body)
	}
}

func FuzzAccessCheckDecode(f *testing.F) {
	for _, s := range []string{
		`{"checks":[{"principal":"t1","action":"stack:read","entity":{"kind":"stack","project":"p","name":"s"}}]}`,
		`{"checks":[{"action":"org:read"},{"entity":{"kind":"stack","id":"s-1"},"action":"stack:read"}]}`,
		`{"checks":[{"Action":"org:read"}]}`, `{"checks":null}`, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var fast apitype.AccessCheckRequest
		decided := decodeAccessCheckFast(body, &fast)
		checkFastAgainstSlow(t, body, decided, fast)
	})
}

func firstDiff(a, b []byte) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

// A body of many tiny checks (2 MB of `{},` is ~700k of them) is refused with the count and
// the limit, and neither decoder allocates a value per check on the way: the fast path stops
// at maxChecks+1 and the strict path counts the array during its allocation-free scan.
func TestAccessCheckDecodeStopsAtLimit(t *testing.T) {
	many := func(elem string, n int) []byte {
		return []byte(`{"checks":[` + strings.TrimSuffix(strings.Repeat(elem+",", n), ",") + `]}`)
	}
	n := (2<<20 - 64) / 3
	tests := []struct {
		name string
		body []byte
		want int // the count the error names
	}{
		{"empty objects", many(`{}`, n), n},
		{"plain checks", many(`{"action":"org:read"}`, 60_000), 60_000},
		{"escaped (strict path only)", many(`{"action":"org\u003aread"}`, 60_000), 60_000},
		{"one over", many(`{"action":"org:read"}`, maxChecks+1), maxChecks + 1},
	}
	// A long array deeper in a check is not a count of checks: its own field is named.
	deep := `{"checks":[{"action":"org:read","entity":{"kind":[` + strings.Repeat(`1,`, 5000) + `1]}}]}`
	var req apitype.AccessCheckRequest
	if err := decodeJSONItems([]byte(deep), "accessCheck", &req, "checks", maxChecks); err == nil || !strings.Contains(err.Error(), "entity.kind") {
		t.Fatalf("a long array in entity.kind: %v", err)
	}
	if err := decodeJSONItems([]byte(`[`+strings.Repeat(`{},`, 5000)+`{}]`), "accessCheck", &req, "checks", maxChecks); err == nil || strings.Contains(err.Error(), "checks") {
		t.Fatalf("a long array as the body: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ms0, ms1 runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&ms0)
			var req apitype.AccessCheckRequest
			if decodeAccessCheckFast(tt.body, &req) {
				t.Fatalf("the fast path decided a body of more than %d checks (%d decoded)", maxChecks, len(req.Checks))
			}
			err := decodeJSONItems(tt.body, "accessCheck", &req, "checks", maxChecks)
			runtime.ReadMemStats(&ms1)
			want := fmt.Sprintf("%d checks; at most %d per request", tt.want, maxChecks)
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v, want one naming %q", err, want)
			}
			// The fast path copies the body once; a value per check would be ~100 bytes each.
			if alloc := ms1.TotalAlloc - ms0.TotalAlloc; alloc > 2*uint64(len(tt.body))+1<<20 {
				t.Fatalf("decoding a refused body of %d bytes allocated %d bytes", len(tt.body), alloc)
			}
		})
	}
}

// BenchmarkAccessCheckDecodeFast is the fast decoder alone on a batch of 100 checks of the
// load program's shape, per check.
func BenchmarkAccessCheckDecodeFast(b *testing.B) {
	var sb strings.Builder
	sb.WriteString(`{"checks":[`)
	for i := range 100 {
		if i > 0 {
			sb.WriteByte(',')
		}
		if i%2 == 0 {
			fmt.Fprintf(&sb, `{"principal":"0192f3a4-5b6c-7d8e-9f01-23456789ab%02d","action":"stack:read","entity":{"kind":"stack","id":"0192f3a4-5b6c-7d8e-9f01-23456789cd%02d"}}`, i, i)
		} else {
			fmt.Fprintf(&sb, `{"principal":"0192f3a4-5b6c-7d8e-9f01-23456789ab%02d","action":"stack:write","entity":{"kind":"stack","project":"p%02d","name":"s%05d"}}`, i, i, i)
		}
	}
	sb.WriteString(`]}`)
	body := []byte(sb.String())
	req := apitype.AccessCheckRequest{Checks: make([]apitype.AccessCheck, 0, 100)}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		req.Checks = req.Checks[:0]
		if !decodeAccessCheckFast(body, &req) || len(req.Checks) != 100 {
			b.Fatal("not decided")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/100, "ns/check")
}
