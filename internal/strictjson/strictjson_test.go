package strictjson

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	for _, c := range []struct {
		in, path, msg string // msg "" = accepted
	}{
		{in: `{"a":1,"b":[true,false,null,"x",-1.5e3,{}],"c":{"d":"\u00e9\ud83d\ude00\n"}}`},
		{in: ` [] `},
		{in: `{"a":1,"a":2}`, path: ".a", msg: "duplicate key"},
		{in: `{"a":1,"\u0061":2}`, path: ".a", msg: "duplicate key"},
		{in: `{"a":{"b":1,"c":2,"b":3}}`, path: ".a.b", msg: "duplicate key"},
		{in: `{"a":[{"x":1},{"x":1,"x":2}]}`, path: ".a[1].x", msg: "duplicate key"},
		{in: `{"a":1,"A":2}`}, // keys are case-sensitive here; callers check field names
		{in: manyKeys(20, "k3"), path: ".k3", msg: "duplicate key"},
		{in: manyKeys(20, "k19"), path: ".k19", msg: "duplicate key"},
		{in: manyKeys(40, "")},
		{in: "{\"a\":\"\xff\"}", path: ".a", msg: "invalid UTF-8"},
		{in: "{\"\xc3\x28\":1}", msg: "invalid UTF-8"},
		{in: `{"a":"\ud800"}`, path: ".a", msg: "lone UTF-16 surrogate"},
		{in: `{"a":"\udc00x"}`, path: ".a", msg: "lone UTF-16 surrogate"},
		{in: `{"a":"\ud800\u0041"}`, path: ".a", msg: "lone UTF-16 surrogate"},
		{in: `{"a":"x\ud800"}`, path: ".a", msg: "lone UTF-16 surrogate"},
		{in: `{"a":1} {}`, msg: "trailing data"},
		{in: `{"a":1}x`, msg: "trailing data"},
		{in: `{"a":1,}`, msg: "invalid JSON"},
		{in: `{"a" 1}`, path: ".a", msg: "invalid JSON"},
		{in: `[1 2]`, msg: "invalid JSON"},
		{in: `01`, msg: "trailing data"},
		{in: `nul`, msg: "invalid JSON"},
		{in: "\"a\tb\"", msg: "control character"},
		{in: ``, msg: "no JSON value"},
		{in: strings.Repeat("[", MaxDepth+2) + strings.Repeat("]", MaxDepth+2), path: "*", msg: "nested"},
	} {
		err := Check([]byte(c.in))
		if c.msg == "" {
			if err != nil {
				t.Errorf("%q: %v", c.in, err)
			}
			continue
		}
		e, ok := err.(*Error)
		if !ok || !strings.Contains(e.Msg, c.msg) || e.Path != c.path && c.path != "*" {
			t.Errorf("%q: got %#v, want path %q and %q", c.in, err, c.path, c.msg)
		}
	}
}

// FuzzCheck: whatever Check accepts, encoding/json accepts too.
func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":[1,2,{"b":null}]}`, `"\ud83d\ude00"`, `-0.5e+7`, `{"a":1,"a":2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if Check(data) == nil && !json.Valid(data) {
			t.Fatalf("Check accepted invalid JSON %q", data)
		}
	})
}

// manyKeys is an object with n distinct keys, then dup again when set.
func manyKeys(n int, dup string) string {
	var b strings.Builder
	b.WriteString("{")
	for i := range n {
		fmt.Fprintf(&b, `"k%d":%d,`, i, i)
	}
	if dup != "" {
		fmt.Fprintf(&b, `%q:0,`, dup)
	}
	b.WriteString(`"last":true}`)
	return b.String()
}

func TestScanMaxArray(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want int
	}{
		{`{}`, 0},
		{`[]`, 0},
		{`[1]`, 0}, // the value itself is not counted
		{`{"a":[1]}`, 1},
		{`{"a":[1],"b":[[1,2,3,4],[]]}`, 2}, // deeper arrays are not counted
		{`{"a":[1,2,3],"b":[[],[]]}`, 3},
		{`[[1,2,3],[4]]`, 3},
		{`[1,2,3,[4]]`, 1},
		{`{"a":{"b":[1,2,3]}}`, 0},
		{`{"checks":[{},{},{}]}`, 3},
		{`{"a":["[1,2,3,4,5]"]}`, 1}, // brackets in a string are not elements
	} {
		sum, err := Scan([]byte(tt.in), nil)
		if err != nil || sum.MaxArray != tt.want {
			t.Errorf("Scan(%s) = %d, %v; want %d", tt.in, sum.MaxArray, err, tt.want)
		}
	}
}
