package replicas

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
)

// TestExactAcrossReplicas fires creates at replicas A and B at the same moment: role names
// that differ only by case ("Deploy" on A, "deploy" on B) and token creates against
// --max-tokens, stack creates against --max-entities. The checks are decided in the store's transaction, so exactly one of each
// pair of names is created (the other is a 409 naming the first) and the tokens never pass
// the limit. Servers that check in process (a mutex and an index or estimate per replica) let
// both names and more tokens through.
func TestExactAcrossReplicas(t *testing.T) {
	const maxTokens = 6 // the bootstrap admin token counts: 5 more fit
	const maxEntities = 5
	c := startCluster(t, 2, "--max-tokens", fmt.Sprint(maxTokens), "--max-entities", fmt.Sprint(maxEntities))
	a, b := c.replicas[0], c.replicas[1]

	createRole := func(s *testserver.Server, name string) func() (int, []byte) {
		return func() (int, []byte) {
			return status(t, "POST", s.URL+"/api/orgs/"+org+"/roles", s.AdminToken,
				apitype.CreateRoleRequest{Name: name, UXPurpose: "role", Details: allow("stack:read")})
		}
	}

	const rounds = 20
	for i := range rounds {
		names := []string{fmt.Sprint("Deploy ", i), fmt.Sprint("deploy ", i)}
		codes, bodies := together(createRole(a, names[0]), createRole(b, names[1]))
		won := -1
		for j, code := range codes {
			if code == http.StatusOK || code == http.StatusCreated {
				won = j
			}
		}
		if won < 0 || codes[1-won] != http.StatusConflict {
			t.Errorf("round %d: %s → %d, %s → %d; want one created and one 409\n%s\n%s", i, names[0], codes[0], names[1], codes[1], bodies[0], bodies[1])
			continue
		}
		var role apitype.Role
		if err := json.Unmarshal(bodies[won], &role); err != nil {
			t.Fatalf("round %d: %v: %s", i, err, bodies[won])
		}
		var e apitype.ErrorResponse
		if err := json.Unmarshal(bodies[1-won], &e); err != nil {
			t.Fatalf("round %d: %v: %s", i, err, bodies[1-won])
		}
		if len(e.Errors) == 0 || e.Errors[0].Attribute != "name" || !strings.Contains(e.Message, fmt.Sprintf("%q", names[won])) ||
			!strings.Contains(e.Message, role.ID) {
			t.Errorf("round %d: the 409 does not name the field and the record %q (%s): %s", i, names[won], role.ID, bodies[1-won])
		}
	}

	// Tokens: 8 creates on each replica at once against 5 free slots.
	var reqs []func() (int, []byte)
	for i := range 16 {
		s := []*testserver.Server{a, b}[i%2]
		reqs = append(reqs, func() (int, []byte) {
			return status(t, "POST", s.URL+"/api/orgs/"+org+"/tokens", s.AdminToken,
				apitype.CreateOrgTokenRequest{Name: fmt.Sprint("quota-", i), Admin: true})
		})
	}
	created := createdUnder(t, "token", "--max-tokens", reqs)
	if n := len(tokenNames(t, a.Client, "")); n > maxTokens || created != maxTokens-1 {
		t.Errorf("%d token creates succeeded and %d tokens are stored, want %d and %d (--max-tokens %d)",
			created, n, maxTokens-1, maxTokens, maxTokens)
	}

	// Stacks: 8 creates on each replica at once against --max-entities 5.
	reqs = nil
	for i := range 16 {
		s := []*testserver.Server{a, b}[i%2]
		reqs = append(reqs, func() (int, []byte) {
			return status(t, "POST", s.URL+"/api/stacks/"+org+"/quota", s.AdminToken, apitype.CreateStackRequest{StackName: fmt.Sprint("s", i)})
		})
	}
	if created := createdUnder(t, "stack", "--max-entities", reqs); created != maxEntities {
		t.Errorf("%d stack creates succeeded, want %d (--max-entities %d)", created, maxEntities, maxEntities)
	}
}

// together sends the requests at the same moment and returns the answers.
func together(reqs ...func() (int, []byte)) ([]int, [][]byte) {
	codes, bodies := make([]int, len(reqs)), make([][]byte, len(reqs))
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, req := range reqs {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			codes[i], bodies[i] = req()
		})
	}
	ready.Wait()
	close(start)
	done.Wait()
	return codes, bodies
}

// createdUnder sends the creates together and counts those that succeeded; each other must be
// the 409 naming the quota's flag.
func createdUnder(t *testing.T, what, flag string, reqs []func() (int, []byte)) int {
	t.Helper()
	codes, bodies := together(reqs...)
	created := 0
	for i, code := range codes {
		switch {
		case code == http.StatusOK || code == http.StatusCreated:
			created++
		case code == http.StatusConflict && strings.Contains(string(bodies[i]), flag):
		default:
			t.Errorf("%s create %d: %d %s, want a create or the 409 naming %s", what, i, code, bodies[i], flag)
		}
	}
	return created
}
