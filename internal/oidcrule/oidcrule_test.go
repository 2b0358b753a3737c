package oidcrule

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseClaimPath(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    Path
		wantErr string
	}{
		{in: "sub", want: Path{"sub"}},
		{in: "job_workflow_ref", want: Path{"job_workflow_ref"}},
		{in: `"kubernetes.io".pod.name`, want: Path{"kubernetes.io", "pod", "name"}},
		{in: `a."b.c"`, want: Path{"a", "b.c"}},
		{in: `"with \"quote\""`, want: Path{`with "quote"`}},
		{in: strings.Repeat("a.", 9) + "a", want: Path{"a", "a", "a", "a", "a", "a", "a", "a", "a", "a"}},
		{in: "", wantErr: "empty claim path"},
		{in: "a..b", wantErr: "empty key"},
		{in: ".a", wantErr: "empty key"},
		{in: "a.", wantErr: "trailing dot"},
		{in: `"open`, wantErr: "unbalanced quote"},
		{in: `""`, wantErr: "empty quoted key"},
		{in: `"a"b`, wantErr: "must be followed by a dot"},
		{in: `a"b"`, wantErr: "a quote may only open a quoted key"},
		{in: "a\x07b", wantErr: "control character"},
		{in: strings.Repeat("a.", 10) + "a", wantErr: "more than 10 keys"},
		{in: strings.Repeat("a", 300), wantErr: "at most 256"},
	} {
		got, err := ParsePath(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("ParsePath(%q) = %v, %v; want error containing %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestGlobMatch(t *testing.T) {
	for _, tc := range []struct {
		pattern, value string
		want           bool
	}{
		{"repo:acme/payments:ref:refs/heads/main", "repo:acme/payments:ref:refs/heads/main", true},
		{"repo:acme/payments:ref:refs/heads/main", "repo:acme/payments:ref:refs/heads/mainx", false},
		{"repo:acme/*", "repo:acme/payments:ref:refs/heads/main", true},
		{"repo:acme/*", "repo:acmex/payments", false},
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/main", true},
		{"repo:acme/*:ref:refs/heads/main", "repo:acme/web:ref:refs/heads/dev", false},
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "x", false},
		{"v?", "v", true},  // ? matches zero characters
		{"v?", "v1", true}, // or one
		{"v?", "v12", false},
		{"a?c", "ac", true},
		{"a?c", "abc", true},
		{"a?c", "abbc", false},
		{"a.c", "abc", false}, // '.' is literal
		{"a.c", "a.c", true},
		{"é*", "été", true},
		{"**a", "bba", true},
		{"*a*b*c*", "xaybzc", true},
		{"*a*b*c*", "xaycz", false},
		{"*", strings.Repeat("x", MaxClaimValue+1), false}, // too long to match anything
	} {
		if got := Match(tc.pattern, tc.value); got != tc.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tc.pattern, tc.value, got, tc.want)
		}
	}
}

func TestMatchRules(t *testing.T) {
	var claims map[string]any
	dec := json.NewDecoder(strings.NewReader(`{"sub":"repo:acme/payments:ref:refs/heads/main","aud":["urn:pulumi:org:acme","other"],
		"run_attempt":2,"private":false,"kubernetes.io":{"pod":{"name":"ci-7"}},"obj":{"a":1},"nothing":null}`))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		rules map[string]string
		want  bool
	}{
		{"no rules match everything", map[string]string{}, true},
		{"exact sub", map[string]string{"sub": "repo:acme/payments:ref:refs/heads/main"}, true},
		{"wrong sub", map[string]string{"sub": "repo:acme/web:*"}, false},
		{"array claim, one element", map[string]string{"aud": "urn:pulumi:org:acme"}, true},
		{"array claim, no element", map[string]string{"aud": "urn:pulumi:org:globex"}, false},
		{"number", map[string]string{"run_attempt": "2"}, true},
		{"boolean", map[string]string{"private": "false"}, true},
		{"quoted dotted key", map[string]string{`"kubernetes.io".pod.name`: "ci-*"}, true},
		{"unquoted dotted key is a path", map[string]string{"kubernetes.io.pod.name": "*"}, false},
		{"object is no string", map[string]string{"obj": "*"}, false},
		{"null is no string", map[string]string{"nothing": "*"}, false},
		{"missing claim", map[string]string{"environment": "*"}, false},
		{"all must match", map[string]string{"sub": "repo:acme/*", "aud": "nope"}, false},
	} {
		rules, err := Compile(tc.rules)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got, why := MatchAll(rules, claims); got != tc.want {
			t.Errorf("%s: match = %v (%s), want %v", tc.name, got, why, tc.want)
		}
	}
}

// FuzzGlobMatch compares Match with the same pattern as a regular expression (`*` → `.*`,
// `?` → `.?`, everything else literal).
func FuzzGlobMatch(f *testing.F) {
	for _, seed := range [][2]string{{"repo:acme/*", "repo:acme/x"}, {"a?c", "ac"}, {"*a*b", "xaxb"}, {"é?", "éé"}, {"", ""}, {"?*?", "ab"}} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, pattern, value string) {
		if len(pattern) > 64 || len(value) > 128 || !utf8.ValidString(pattern) || !utf8.ValidString(value) {
			return
		}
		var b strings.Builder
		b.WriteString(`(?s)\A`)
		for _, r := range pattern {
			switch r {
			case '*':
				b.WriteString(".*")
			case '?':
				b.WriteString(".?")
			default:
				b.WriteString(regexp.QuoteMeta(string(r)))
			}
		}
		b.WriteString(`\z`)
		want := regexp.MustCompile(b.String()).MatchString(value)
		if got := Match(pattern, value); got != want {
			t.Errorf("Match(%q, %q) = %v, regexp says %v", pattern, value, got, want)
		}
	})
}

// FuzzParseClaimPath: any input either fails or gives keys that are all non-empty.
func FuzzParseClaimPath(f *testing.F) {
	for _, seed := range []string{"sub", `"a.b".c`, `a."b\"c"`, "..", `"`, "a.b.c"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, p string) {
		cp, err := ParsePath(p)
		if err != nil {
			return
		}
		if len(cp) == 0 || len(cp) > MaxPathKeys {
			t.Fatalf("ParsePath(%q) = %q", p, cp)
		}
		for _, k := range cp {
			if k == "" {
				t.Fatalf("ParsePath(%q) has an empty key: %q", p, cp)
			}
		}
	})
}
