package condition

import (
	"testing"

	"github.com/iamref/iam/authz"
)

// FuzzRoundTrip: whatever Compile accepts prints, and the printed text compiles to the same
// tree and prints the same text again (print → parse → same tree). Compile never panics and
// reports every refusal as an *Error with a position. The seed corpus is in testdata/fuzz.
func FuzzRoundTrip(f *testing.F) {
	for _, s := range []string{
		`stack.tags.env == "dev"`,
		`stack.tags.env == "dev" && stack.tags.team in ["payments", "billing"] || !has(stack.tags.owner)`,
		`environment.id in ["a", "b"] && environment.tags["cost-center"] != "x\ty"`,
		`"a b" in insights_account.tags || !(!true)`,
		`(stack.tags.a == stack.tags.b) && ("x" == stack.id)`,
		`stack.project == "x"`, `1 + 2 == 3`, `"`, `!!!!!false`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		x, err := Compile(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("%q: error %T is not an *Error: %v", src, err, err)
			}
			return
		}
		printed, err := Print(x)
		if err != nil {
			t.Fatalf("%q compiles to %s, which does not print: %v", src, authz.FormatExpr(x), err)
		}
		y, err := Compile(printed)
		if err != nil {
			t.Fatalf("%q prints as %q, which does not compile: %v", src, printed, err)
		}
		if string(authz.FormatExpr(x)) != string(authz.FormatExpr(y)) {
			t.Fatalf("%q prints as %q, which compiles to another tree:\n%s\n%s", src, printed, authz.FormatExpr(x), authz.FormatExpr(y))
		}
		if again, _ := Print(y); again != printed {
			t.Fatalf("printing is not stable: %q then %q", printed, again)
		}
	})
}
