package server_test

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// proc is an iam-server process started by a test.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	url            string
	done           chan struct{}
	err            error // from Wait, once done is closed
}

// runBinary starts `iam-server serve` on a free port with the database db. bootstrap, when not
// empty, is passed as IAM_BOOTSTRAP_TOKEN (which is removed from the environment otherwise).
func runBinary(t *testing.T, bin, db, bootstrap string) *proc {
	t.Helper()
	addr := testserver.FreeAddr(t)
	p := &proc{stdout: &syncBuffer{}, stderr: &syncBuffer{}, url: "http://" + addr, done: make(chan struct{})}
	p.cmd = exec.Command(bin, "serve", "--addr", addr, "--db", db, "--org", org, "--log-level", "debug")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IAM_BOOTSTRAP_TOKEN=") {
			p.cmd.Env = append(p.cmd.Env, kv)
		}
	}
	if bootstrap != "" {
		p.cmd.Env = append(p.cmd.Env, "IAM_BOOTSTRAP_TOKEN="+bootstrap)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("iam-server exited early: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout, p.stderr)
		default:
		}
		resp, err := http.Get(p.url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("iam-server not healthy after 20s: %v\n%s", err, p.stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// stop sends SIGTERM and waits for the exit; it fails the test unless the exit code is 0.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("iam-server did not exit within 20s of SIGTERM\n%s", p.stderr)
	}
	if p.err != nil { // an *exec.ExitError for a non-zero code
		t.Fatalf("iam-server exited with %v after SIGTERM\n%s", p.err, p.stderr)
	}
}

func binClient(t *testing.T, url, token string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: url, Token: token, RetryMax: -1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestBinaryGracefulShutdown: the built iam-server serves, exits 0 on SIGTERM after flushing
// the audit log and token usage, and never writes a token value to its log.
func TestBinaryGracefulShutdown(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	db := filepath.Join(dir, "iam.db")
	p := runBinary(t, bin, db, testserver.AdminToken)
	c := ctx(t)
	admin := binClient(t, p.url, testserver.AdminToken)
	tok, err := admin.CreateToken(c, org, apitype.CreateOrgTokenRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	user := binClient(t, p.url, tok.TokenValue)
	if u, err := user.GetCurrentUser(c); err != nil || u.TokenInfo == nil || u.TokenInfo.Name != "ci" {
		t.Fatalf("GET /api/user with the new token: %+v, %v", u, err)
	}
	if _, err := admin.CreateStack(c, org, "p", apitype.CreateStackRequest{StackName: "last"}); err != nil {
		t.Fatal(err)
	}
	// A denial is queued (not written with a mutation): SIGTERM must flush it.
	req, _ := http.NewRequest("GET", p.url+"/api/orgs/acme/roles/flushed-on-shutdown", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 401 {
		t.Fatalf("unauthenticated request: %v, %v", resp, err)
	} else {
		resp.Body.Close()
	}
	p.stop(t)
	log := p.stdout.String() + p.stderr.String()
	for _, want := range []string{"shutting down", "stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, testserver.AdminToken) || strings.Contains(log, tok.TokenValue) || tokenRE.MatchString(log) {
		t.Errorf("log contains a token value:\n%s", log)
	}

	// What was pending at SIGTERM was flushed: a restart sees the last audit event and the use.
	p2 := runBinary(t, bin, db, testserver.AdminToken)
	admin2 := binClient(t, p2.url, testserver.AdminToken)
	page, err := admin2.ListAuditLogs(c, org, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(page.AuditLogEvents) < 2 || page.AuditLogEvents[1].Action != "stack:create" ||
		page.AuditLogEvents[0].Status != 401 || !strings.Contains(page.AuditLogEvents[0].Description, "flushed-on-shutdown") {
		t.Errorf("newest audit events after restart: %+v, want the 401 and the stack create", page.AuditLogEvents)
	}
	toks, err := admin2.ListTokens(c, org, "all")
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range toks {
		if tk.Name == "ci" && tk.LastUsed == 0 {
			t.Error("token use before SIGTERM was not flushed: lastUsed is 0 after restart")
		}
	}
	if _, err := binClient(t, p2.url, tok.TokenValue).GetCurrentUser(c); err != nil {
		t.Errorf("token does not survive a restart: %v", err)
	}
	p2.stop(t)
}

// TestBinaryBootstrapToken: without IAM_BOOTSTRAP_TOKEN the first start prints an admin token
// once on stdout (and not in the log); a second start on the same database prints none.
func TestBinaryBootstrapToken(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	db := filepath.Join(t.TempDir(), "iam.db")
	c := ctx(t)

	p := runBinary(t, bin, db, "")
	found := tokenRE.FindAllString(p.stdout.String(), -1)
	if len(found) != 1 {
		t.Fatalf("first start printed %d token values on stdout, want 1:\n%s", len(found), p.stdout)
	}
	value := found[0]
	u, err := binClient(t, p.url, value).GetCurrentUser(c)
	if err != nil || u.Organizations[0].Role != "admin" {
		t.Fatalf("printed token: %+v, %v", u, err)
	}
	p.stop(t)
	if strings.Contains(p.stderr.String(), value) {
		t.Errorf("the bootstrap token is in the log:\n%s", p.stderr)
	}

	p2 := runBinary(t, bin, db, "")
	if tokenRE.MatchString(p2.stdout.String()) || tokenRE.MatchString(p2.stderr.String()) {
		t.Errorf("second start printed a token:\nstdout:\n%s\nstderr:\n%s", p2.stdout, p2.stderr)
	}
	if _, err := binClient(t, p2.url, value).GetCurrentUser(c); err != nil {
		t.Errorf("first token after restart: %v", err)
	}
	p2.stop(t)
}

// TestBinaryViaTestserver: testserver.StartBinary's server answers the client, and the log it
// keeps has no token values once the server has stopped.
func TestBinaryViaTestserver(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	var created string
	t.Cleanup(func() { // runs after StartBinary's cleanup has stopped the server
		log, err := os.ReadFile(filepath.Join(dir, "server.log"))
		if err != nil {
			t.Error(err)
			return
		}
		if !strings.Contains(string(log), "stopped") {
			t.Errorf("server did not stop cleanly:\n%s", log)
		}
		if tokenRE.Match(log) || (created != "" && strings.Contains(string(log), created)) {
			t.Errorf("server log contains a token value:\n%s", log)
		}
	})
	s := testserver.StartBinary(t, bin, dir)
	tok, err := s.Client.CreateToken(ctx(t), org, apitype.CreateOrgTokenRequest{Name: "smoke"})
	if err != nil {
		t.Fatal(err)
	}
	created = tok.TokenValue
	if _, err := s.NewClient(t, tok.TokenValue).GetCurrentUser(ctx(t)); err != nil {
		t.Fatal(err)
	}
}
