package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/internal/testserver"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlite"
)

// TestBinaryAuditSurvivesCrash runs the real iam-server, drives concurrent token creates and
// role updates at it for about three seconds, kills it with SIGKILL mid-load and restarts it on
// the same database. Every acknowledged (2xx) mutation must have its audit record, and a
// mutation and its record commit together: the audit log holds exactly one allow record per
// token and per role version stored.
func TestBinaryAuditSurvivesCrash(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	db := filepath.Join(t.TempDir(), "iam.db")
	p := runBinary(t, bin, db, testserver.AdminToken)

	const roles = 4
	roleIDs := make([]string, roles)
	for i := range roleIDs {
		var out apitype.Role
		if err := postJSON(p.url, "POST", "/api/orgs/acme/roles", apitype.CreateRoleRequest{
			Name: fmt.Sprintf("crash-role-%d", i), UXPurpose: apitype.UXPurposeRole,
			Details: json.RawMessage(`{"__type":"PermissionDescriptorAllow","permissions":["stack:read"]}`),
		}, &out); err != nil {
			t.Fatalf("create role: %v", err)
		}
		roleIDs[i] = out.ID
	}

	var (
		mu         sync.Mutex
		ackedToks  = map[string]bool{}
		ackedRoles = map[string]int{}
		sent       atomic.Int64
	)
	killAt := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				if time.Now().After(killAt.Add(time.Second)) {
					return
				}
				sent.Add(1)
				if w%2 == 0 {
					name := fmt.Sprintf("crash-%d-%d", w, i)
					err := postJSON(p.url, "POST", "/api/orgs/acme/tokens", apitype.CreateOrgTokenRequest{Name: name, RoleID: roleIDs[i%roles]}, nil)
					if err != nil {
						if isConnErr(err) {
							return
						}
						continue
					}
					mu.Lock()
					ackedToks[name] = true
					mu.Unlock()
				} else {
					id := roleIDs[(w/2+i)%roles]
					err := postJSON(p.url, "PATCH", "/api/orgs/acme/roles/"+id, apitype.UpdateRoleRequest{Description: ptr(fmt.Sprintf("w%d i%d", w, i))}, nil)
					if err != nil {
						if isConnErr(err) {
							return
						}
						continue
					}
					mu.Lock()
					ackedRoles[id]++
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(time.Until(killAt))
	if err := p.cmd.Process.Kill(); err != nil { // SIGKILL: no shutdown, no flush
		t.Fatal(err)
	}
	<-p.done
	wg.Wait()

	p2 := runBinary(t, bin, db, testserver.AdminToken) // recovers the database
	defer p2.stop(t)
	st, err := sqlite.Open(db)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	c := context.Background()
	evs, err := st.ListAudit(c, store.AuditQuery{Org: org})
	if err != nil {
		t.Fatal(err)
	}
	tokenAudits, roleAudits := 0, map[string]int{}
	for _, e := range evs {
		if e.Decision != "allow" || e.Status/100 != 2 {
			continue
		}
		switch {
		case e.Method == "POST" && e.Path == "/api/orgs/acme/tokens":
			tokenAudits++
		case e.Method == "PATCH" && strings.HasPrefix(e.Path, "/api/orgs/acme/roles/"):
			roleAudits[strings.TrimPrefix(e.Path, "/api/orgs/acme/roles/")]++
		}
	}
	toks, err := st.ListTokens(c, org, store.TokensAll, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	storedToks := 0
	for _, tk := range toks {
		if strings.HasPrefix(tk.Name, "crash-") {
			storedToks++
		}
	}
	for name := range ackedToks {
		if _, err := findStoredToken(toks, name); err != nil {
			t.Errorf("acknowledged token create %s: %v", name, err)
		}
	}
	ackedUpdates := 0
	for _, id := range roleIDs {
		rec, err := st.GetRecord(c, org, id)
		if err != nil {
			t.Fatal(err)
		}
		ackedUpdates += ackedRoles[id]
		if roleAudits[id] < ackedRoles[id] {
			t.Errorf("role %s: %d acknowledged updates, %d audit records", id, ackedRoles[id], roleAudits[id])
		}
		if roleAudits[id] != rec.Version-1 {
			t.Errorf("role %s: version %d (%d updates stored), %d audit records", id, rec.Version, rec.Version-1, roleAudits[id])
		}
	}
	if tokenAudits < len(ackedToks) {
		t.Errorf("%d acknowledged token creates, %d audit records", len(ackedToks), tokenAudits)
	}
	if tokenAudits != storedToks {
		t.Errorf("%d tokens stored, %d token-create audit records", storedToks, tokenAudits)
	}
	t.Logf("sent %d requests; acknowledged %d token creates (stored %d, audited %d) and %d role updates (audited %d)",
		sent.Load(), len(ackedToks), storedToks, tokenAudits, ackedUpdates, sum(roleAudits))
	if len(ackedToks) < 50 || ackedUpdates < 50 {
		t.Errorf("too little load before the kill to mean anything: %d creates, %d updates", len(ackedToks), ackedUpdates)
	}
}

func findStoredToken(toks []store.Token, name string) (store.Token, error) {
	for _, tk := range toks {
		if tk.Name == name {
			return tk, nil
		}
	}
	return store.Token{}, fmt.Errorf("not in the database after the restart")
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

var crashClient = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Second}

// postJSON sends body as admin and decodes a 2xx answer into out; a non-2xx is an error.
func postJSON(url, method, path string, body, out any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequest(method, url+path, bytes.NewReader(data))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "token "+testserver.AdminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := crashClient.Do(req)
	if err != nil {
		return connErr{err}
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	if out != nil {
		return json.NewDecoder(resp.Body).Decode(out)
	}
	return nil
}

type connErr struct{ error }

func isConnErr(err error) bool { _, ok := err.(connErr); return ok }
