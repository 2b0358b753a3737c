package bench

import (
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/cedar-policy/cedar-go"
	"github.com/iamref/iam/authz"
)

// TestEnginesAgree checks that every engine gives the naive oracle's answer on every
// request, that the oracle matches the role definitions, and that the workload is roughly
// half allow, half deny.
func TestEnginesAgree(t *testing.T) {
	e := engines(t)
	w := e.Workload
	n := len(w.Requests)

	oracle := make([]bool, n)
	allow := 0
	for i, q := range w.Requests {
		oracle[i] = e.Naive.Decide(&e.Naive.Reqs[i])
		if want := w.Expected(q); oracle[i] != want {
			t.Fatalf("request %d %+v: naive says %v, the role definitions say %v", i, q, oracle[i], want)
		}
		if oracle[i] {
			allow++
		}
	}
	t.Logf("%d requests: %d allow, %d deny", n, allow, n-allow)
	if allow*10 <= n*3 || (n-allow)*10 <= n*3 {
		t.Errorf("unbalanced workload: %d allow, %d deny of %d", allow, n-allow, n)
	}

	// The scanning engines (cedar-global, casbin) cost 1–3 ms a request, about 12 s and 18 s
	// for all 8,192 on a 2-vCPU VM (run in parallel: ~18 s in all); -short checks every 8th request (1,024) instead.
	cases := []struct {
		name   string
		slow   bool
		decide func(i int) (bool, error)
	}{
		{"iamref", false, func(i int) (bool, error) { return e.Iamref.Decide(&e.Iamref.Reqs[i]), nil }},
		{"iamref-by-token", false, func(i int) (bool, error) { return e.Iamref.DecideByToken(&e.Iamref.Reqs[i]), nil }},
		{"iamref-explain", false, func(i int) (bool, error) { return explained(e.Iamref.Reqs[i], e.Iamref.Explain(&e.Iamref.Reqs[i])) }},
		{"cedar-sliced", false, func(i int) (bool, error) { return cedarResult(e.Cedar.DecideSliced(&e.Cedar.Reqs[i])) }},
		{"cedar-global", true, func(i int) (bool, error) { return cedarResult(e.Cedar.DecideGlobal(&e.Cedar.Reqs[i])) }},
		{"casbin", true, func(i int) (bool, error) { return e.Casbin.Decide(e.Casbin.Reqs[i]) }},
		{"naive", false, func(i int) (bool, error) { return e.Naive.Decide(&e.Naive.Reqs[i]), nil }},
		{"naive-by-token", false, func(i int) (bool, error) { return e.Naive.DecideByToken(&e.Naive.Reqs[i]), nil }},
	}
	for _, eng := range cases {
		t.Run(eng.name, func(t *testing.T) {
			t.Parallel() // the engines are read-only; each subtest uses its own engine
			step := 1
			if eng.slow && testing.Short() {
				step = 8
			}
			start, bad, checked := time.Now(), 0, 0
			for i := 0; i < n; i += step {
				checked++
				got, err := eng.decide(i)
				if err != nil {
					t.Fatalf("request %d %+v: %v", i, w.Requests[i], err)
				}
				if got != oracle[i] {
					bad++
					if bad <= 5 {
						t.Errorf("request %d %+v: got %v, oracle says %v", i, w.Requests[i], got, oracle[i])
					}
				}
			}
			if bad > 0 {
				t.Errorf("%d of %d requests disagree with the oracle", bad, checked)
			}
			t.Logf("%d requests checked in %v", checked, time.Since(start).Round(time.Millisecond))
		})
	}
}

// explained turns an explanation into a decision, failing when the grants it cites do not
// support it: an allow must cite at least one grant holding the scope on the entity, a deny
// none.
func explained(q IamrefRequest, x authz.Explanation) (bool, error) {
	allowed := x.Decision == authz.Allowed
	if allowed != (len(x.Grants) > 0) {
		return false, fmt.Errorf("decision %v with %d grants", x.Decision, len(x.Grants))
	}
	for _, g := range x.Grants {
		if !g.Scopes.Has(q.Action) {
			return false, fmt.Errorf("cited grant %s lacks %s", g, authz.ScopeByID(q.Action).Name)
		}
		if g.Entities != nil && !slices.Contains(g.Entities, q.Entity.ID) {
			return false, fmt.Errorf("cited grant %s does not cover %s", g, q.Entity)
		}
	}
	return allowed, nil
}

// cedarResult fails on evaluation errors and on allows without a deciding policy.
func cedarResult(allowed bool, d cedar.Diagnostic) (bool, error) {
	if len(d.Errors) > 0 {
		return false, fmt.Errorf("cedar errors: %v", d.Errors)
	}
	if allowed && len(d.Reasons) == 0 {
		return false, fmt.Errorf("cedar allowed without reasons")
	}
	return allowed, nil
}

// TestWorkloadSizes pins the workload's shape so that the reported sizes stay true.
func TestWorkloadSizes(t *testing.T) {
	e := engines(t)
	w := e.Workload
	audit := 0
	for _, r := range w.Roles {
		if r.Audit {
			audit++
		}
	}
	for _, c := range []struct {
		name      string
		got, want int
	}{
		{"roles", len(w.Roles), 1000},
		{"stacks", len(w.Stacks), 10000},
		{"environments", len(w.Environments), 100},
		{"requests", len(w.Requests), 8192},
		{"audit roles", audit, 20},
		{"cedar policies", e.Cedar.Policies, 5*1000 + 20},
		{"cedar entities", len(e.Cedar.Entities), 1 + 100 + 10000 + 100 + 2*1000},
		{"casbin p rules", e.Casbin.PRules, 8*1000 + 20},
		{"casbin g rules", e.Casbin.GRules, 1000},
	} {
		if c.got != c.want {
			t.Errorf("%s: got %d, want %d", c.name, c.got, c.want)
		}
	}
	grants := 0
	for _, r := range w.Roles {
		grants += len(w.RoleGrants(&r))
	}
	t.Logf("iamref: %d roles, %d grants; cedar: %d policies over %d entities; casbin: %d p + %d g rules",
		len(w.Roles), grants, e.Cedar.Policies, len(e.Cedar.Entities), e.Casbin.PRules, e.Casbin.GRules)
}

// TestGenerateDeterministic checks that one seed yields one workload.
func TestGenerateDeterministic(t *testing.T) {
	c := DefaultConfig
	c.Roles, c.Requests = 20, 64
	a, b := Generate(c), Generate(c)
	if !reflect.DeepEqual(a, b) {
		t.Fatal("Generate is not deterministic")
	}
	c.Seed++
	if reflect.DeepEqual(a.Requests, Generate(c).Requests) {
		t.Fatal("another seed yields the same requests")
	}
}
