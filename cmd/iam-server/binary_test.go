package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/internal/testserver"
)

// The tests here run the built binaries (bin/, `make build`); they are named TestBinary… so that
// `make test-e2e` runs them, and skip under -short.

var tokenRE = regexp.MustCompile(`pul-[0-9a-f]{40}`)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// proc is an iam-server process started by a test.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr *syncBuffer
	done           chan struct{}
	err            error
}

// command returns `iam-server args…` with an environment free of IAM_ variables plus env.
func command(bin string, env []string, args ...string) *exec.Cmd {
	cmd := exec.Command(bin, args...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IAM_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	return cmd
}

// start starts iam-server; it does not wait for it to be ready (see waitHealthy).
func start(t *testing.T, bin string, env []string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: command(bin, env, args...), stdout: &syncBuffer{}, stderr: &syncBuffer{}, done: make(chan struct{})}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
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
	return p
}

// serveOn starts `iam-server serve` on a free port with the database db and org acme, and
// waits until it answers /healthz over url's scheme with hc.
func serveOn(t *testing.T, bin, db string, env []string, hc *http.Client, scheme string, extra ...string) (*proc, string) {
	t.Helper()
	addr := testserver.FreeAddr(t)
	p := start(t, bin, env, append([]string{"serve", "--addr", addr, "--db", db, "--org", "acme"}, extra...)...)
	url := scheme + "://" + addr
	p.waitHealthy(t, hc, url)
	return p, url
}

func (p *proc) waitHealthy(t *testing.T, hc *http.Client, url string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("iam-server exited early: %v\nstdout:\n%s\nstderr:\n%s", p.err, p.stdout, p.stderr)
		default:
		}
		resp, err := hc.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("iam-server not healthy after 20s: %v\n%s", err, p.stderr)
		}
		time.Sleep(25 * time.Millisecond)
	}
}

// wait waits for the process to exit by itself and returns its exit code.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("iam-server still running after 20s\n%s", p.stderr)
	}
	if ee, ok := p.err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

func (p *proc) stop(t *testing.T) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t); code != 0 {
		t.Fatalf("iam-server exited %d after SIGTERM\n%s", code, p.stderr)
	}
}

// run runs a short iam-server command to its end and returns its output and exit code.
func run(t *testing.T, bin string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	p := start(t, bin, env, args...)
	code = p.wait(t)
	return p.stdout.String(), p.stderr.String(), code
}

func apiClient(t *testing.T, url, token string, hc *http.Client) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: url, Token: token, RetryMax: -1, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func tctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return c
}

// TestBinaryVersion: every binary prints its version and the commit it was built from with
// --version and with `version`, and exits 0 without serving.
func TestBinaryVersion(t *testing.T) {
	t.Parallel()
	// make build stamps the commit when it builds in a git checkout.
	inGit := exec.Command("git", "-C", testserver.RepoRoot(t), "rev-parse", "HEAD").Run() == nil
	for _, name := range []string{"iam-server", "pulumi-resource-iam", "terraform-provider-iam"} {
		bin := testserver.BinaryPath(t, name)
		for _, arg := range []string{"--version", "version"} {
			cmd := exec.Command(bin, arg)
			out, err := cmd.Output()
			if err != nil {
				t.Errorf("%s %s: %v", name, arg, err)
				continue
			}
			got := strings.TrimSpace(string(out))
			re := regexp.MustCompile(`^` + regexp.QuoteMeta(name) + ` \S+ \(commit ([0-9a-f]{7,}(-dirty)?|unknown), go\S+ \w+/\w+\)$`)
			if !re.MatchString(got) {
				t.Errorf("%s %s = %q, want %s", name, arg, got, re)
			}
			if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" && strings.Contains(got, "commit unknown") && inGit {
				t.Errorf("%s %s = %q: built without the commit (make build sets it)", name, arg, got)
			}
		}
	}
}

// TestBinaryHelpFlags: --help of every subcommand names each flag's default and environment
// variable.
func TestBinaryHelpFlags(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	flagLine := regexp.MustCompile(`^\s+(?:-\w, )?--([a-z-]+)`)
	for _, sub := range []string{"serve", "admin-token", "revoke-bootstrap"} {
		out, stderr, code := run(t, bin, nil, sub, "--help")
		if code != 0 {
			t.Fatalf("%s --help: exit %d\n%s", sub, code, stderr)
		}
		n := 0
		for _, line := range strings.Split(out, "\n") {
			m := flagLine.FindStringSubmatch(line)
			if m == nil || m[1] == "help" {
				continue
			}
			n++
			if env := envName(m[1]); !strings.Contains(line, "(env "+env+")") {
				t.Errorf("%s --help: --%s does not name %s: %q", sub, m[1], env, line)
			}
			if !strings.Contains(line, "(default") {
				t.Errorf("%s --help: --%s does not say its default: %q", sub, m[1], line)
			}
		}
		if n < 2 {
			t.Errorf("%s --help lists %d flags:\n%s", sub, n, out)
		}
	}
}

// TestBinaryEnvFlags: a server configured only through IAM_ variables (address, database, org,
// token file, log format) serves as the flags would make it; a flag given too wins over its
// variable; a bad value fails naming the variable.
func TestBinaryEnvFlags(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	addr := testserver.FreeAddr(t)
	tokFile := filepath.Join(dir, "admin-token")
	env := []string{"IAM_ADDR=" + addr, "IAM_DB=" + filepath.Join(dir, "env.db"), "IAM_ORG=envorg",
		"IAM_ADMIN_TOKEN_FILE=" + tokFile, "IAM_LOG_FORMAT=json"}
	p := start(t, bin, env, "serve")
	p.waitHealthy(t, http.DefaultClient, "http://"+addr)
	b, err := os.ReadFile(tokFile)
	if err != nil {
		t.Fatal(err)
	}
	u, err := apiClient(t, "http://"+addr, strings.TrimSpace(string(b)), nil).GetCurrentUser(tctx(t))
	if err != nil || u.GitHubLogin != "envorg" {
		t.Fatalf("GET /api/user with the token of IAM_ADMIN_TOKEN_FILE: %+v, %v", u, err)
	}
	if !strings.Contains(p.stderr.String(), `"msg":"serving"`) {
		t.Errorf("IAM_LOG_FORMAT=json: log is not JSON:\n%s", p.stderr)
	}
	p.stop(t)

	// A flag wins over the environment: --org acme on a new database, IAM_ORG says envorg.
	addr2 := testserver.FreeAddr(t)
	p2 := start(t, bin, []string{"IAM_ADDR=" + addr2, "IAM_ORG=envorg"}, "serve", "--db", filepath.Join(dir, "flag.db"), "--org", "acme")
	p2.waitHealthy(t, http.DefaultClient, "http://"+addr2)
	if v := tokenRE.FindString(p2.stdout.String()); v == "" {
		t.Errorf("first start printed no token:\n%s", p2.stdout)
	} else if u, err := apiClient(t, "http://"+addr2, v, nil).GetCurrentUser(tctx(t)); err != nil || u.GitHubLogin != "acme" {
		t.Errorf("--org acme with IAM_ORG=envorg serves %+v, %v; want acme", u, err)
	}
	p2.stop(t)

	_, stderr, code := run(t, bin, []string{"IAM_GC_PERCENT=lots"}, "serve", "--db", filepath.Join(dir, "bad.db"))
	if code == 0 || !strings.Contains(stderr, "IAM_GC_PERCENT") {
		t.Errorf("IAM_GC_PERCENT=lots: exit %d, stderr %q; want a failure naming the variable", code, stderr)
	}
}

// TestBinaryOrgMismatch: a server started with another --org than the database's refuses to
// start, naming both, and creates nothing.
func TestBinaryOrgMismatch(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	db := filepath.Join(t.TempDir(), "iam.db")
	p, _ := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	p.stop(t)

	stdout, stderr, code := run(t, bin, nil, "serve", "--addr", testserver.FreeAddr(t), "--db", db, "--org", "acne")
	if code == 0 {
		t.Fatalf("serve --org acne on acme's database exited 0\n%s", stderr)
	}
	for _, want := range []string{`holds organization "acme", not "acne"`, db} {
		if !strings.Contains(stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, stderr)
		}
	}
	if tokenRE.MatchString(stdout) {
		t.Errorf("the refused start printed a token:\n%s", stdout)
	}
	// The right org still starts.
	p2, _ := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	p2.stop(t)
}

// TestBinarySecondProcess: a second server on the same database (another port) refuses to
// start, naming the database and the first one's pid, and the first keeps serving; once the
// first has stopped the second starts.
func TestBinarySecondProcess(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	db := filepath.Join(t.TempDir(), "iam.db")
	p1, url := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	token := tokenRE.FindString(p1.stdout.String())

	_, stderr, code := run(t, bin, nil, "serve", "--addr", testserver.FreeAddr(t), "--db", db, "--org", "acme")
	if code == 0 {
		t.Fatal("a second server on the same database exited 0")
	}
	pid := p1.cmd.Process.Pid
	for _, want := range []string{"database " + db + " is in use", "pid " + strconv.Itoa(pid)} {
		if !strings.Contains(stderr, want) {
			t.Errorf("refusal lacks %q:\n%s", want, stderr)
		}
	}
	// The offline commands refuse too while the server runs.
	if _, stderr, code := run(t, bin, nil, "admin-token", "--db", db, "--org", "acme"); code == 0 || !strings.Contains(stderr, "is in use") {
		t.Errorf("admin-token on a served database: exit %d, %q", code, stderr)
	}
	if _, err := apiClient(t, url, token, nil).GetCurrentUser(tctx(t)); err != nil {
		t.Errorf("first server after the refused second: %v", err)
	}
	p1.stop(t)
	p2, _ := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	p2.stop(t)
}

// TestBinaryTLS: with --tls-cert and --tls-key (a certificate made here for 127.0.0.1), the
// server answers HTTPS to a client that trusts the certificate, and a plain HTTP request gets
// no API answer; one of the two flags alone is refused.
func TestBinaryTLS(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	certFile, keyFile, pool := selfSigned(t, dir)
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	p, url := serveOn(t, bin, filepath.Join(dir, "iam.db"), []string{"IAM_BOOTSTRAP_TOKEN=" + testserver.AdminToken},
		hc, "https", "--tls-cert", certFile, "--tls-key", keyFile)
	u, err := apiClient(t, url, testserver.AdminToken, hc).GetCurrentUser(tctx(t))
	if err != nil || u.GitHubLogin != "acme" {
		t.Fatalf("GET /api/user over HTTPS: %+v, %v", u, err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Error("a client without the certificate in its roots was answered")
	}
	if resp, err := http.Get("http://" + strings.TrimPrefix(url, "https://") + "/healthz"); err == nil {
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP answered 200 on the HTTPS port")
		}
		resp.Body.Close()
	}
	if !strings.Contains(p.stderr.String(), "scheme=https") {
		t.Errorf("log does not say https:\n%s", p.stderr)
	}
	p.stop(t)

	_, stderr, code := run(t, bin, nil, "serve", "--db", filepath.Join(dir, "iam.db"), "--tls-cert", certFile)
	if code == 0 || !strings.Contains(stderr, "--tls-cert and --tls-key go together") {
		t.Errorf("--tls-cert alone: exit %d, %q", code, stderr)
	}
}

// selfSigned writes a self-signed certificate for 127.0.0.1 and its key, and returns the pool
// that trusts it.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "iam-server test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestBinaryAdminTokenFile: the first start with --admin-token-file writes the admin token to
// a 0600 file and prints only the file's name (after a start that could not write it failed
// without using up the first start); a restart leaves the file alone.
func TestBinaryAdminTokenFile(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	dir := t.TempDir()
	db, file := filepath.Join(dir, "iam.db"), filepath.Join(dir, "admin-token")
	// An unwritable path fails the first start before the org exists: the next start is still
	// a first start.
	bad := filepath.Join(dir, "no-such-dir", "admin-token")
	if _, stderr, code := run(t, bin, nil, "serve", "--addr", testserver.FreeAddr(t), "--db", db, "--admin-token-file", bad); code == 0 || !strings.Contains(stderr, "--admin-token-file") {
		t.Fatalf("first start with an unwritable --admin-token-file: exit %d, %q", code, stderr)
	}
	p, url := serveOn(t, bin, db, nil, http.DefaultClient, "http", "--admin-token-file", file)
	if tokenRE.MatchString(p.stdout.String()+p.stderr.String()) || !strings.Contains(p.stdout.String(), file) {
		t.Errorf("stdout should name the file and hold no token:\nstdout:\n%s\nstderr:\n%s", p.stdout, p.stderr)
	}
	fi, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", file, fi.Mode().Perm())
	}
	b, _ := os.ReadFile(file)
	value := strings.TrimSpace(string(b))
	u, err := apiClient(t, url, value, nil).GetCurrentUser(tctx(t))
	if err != nil || u.Organizations[0].Role != "admin" {
		t.Fatalf("token from the file: %+v, %v", u, err)
	}
	p.stop(t)
	p2, _ := serveOn(t, bin, db, nil, http.DefaultClient, "http", "--admin-token-file", file)
	p2.stop(t)
	if b2, _ := os.ReadFile(file); !bytes.Equal(b, b2) {
		t.Errorf("a restart rewrote the token file: %q, was %q", b2, b)
	}
}

// TestBinaryBreakGlass: with the server stopped and every admin token lost, `admin-token` mints
// a working admin token on the database (printed once, audited with actor break-glass);
// `revoke-bootstrap` then revokes the first start's token (refused on the next request) but
// keeps what --keep names and the tokens made through the API; a wrong org or missing database
// is refused.
func TestBinaryBreakGlass(t *testing.T) {
	t.Parallel()
	bin := testserver.BinaryPath(t, "iam-server")
	db := filepath.Join(t.TempDir(), "iam.db")
	p, url := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	first := tokenRE.FindString(p.stdout.String())
	c := tctx(t)
	api, err := apiClient(t, url, first, nil).CreateToken(c, "acme", apitype.CreateOrgTokenRequest{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	p.stop(t)

	if _, stderr, code := run(t, bin, nil, "admin-token", "--db", db, "--org", "other"); code == 0 || !strings.Contains(stderr, `holds organization "acme", not "other"`) {
		t.Errorf("admin-token --org other: exit %d, %q", code, stderr)
	}
	missing := filepath.Join(t.TempDir(), "missing.db")
	if _, stderr, code := run(t, bin, nil, "admin-token", "--db", missing); code == 0 || !strings.Contains(stderr, "missing.db") {
		t.Errorf("admin-token on a missing database: exit %d, %q", code, stderr)
	}
	if _, err := os.Stat(missing); err == nil {
		t.Error("admin-token created the missing database")
	}

	stdout, stderr, code := run(t, bin, nil, "admin-token", "--db", db, "--org", "acme")
	if code != 0 {
		t.Fatalf("admin-token: exit %d\n%s", code, stderr)
	}
	found := tokenRE.FindAllString(stdout, -1)
	if len(found) != 1 || found[0] == first {
		t.Fatalf("admin-token printed %v, want one new token:\n%s", found, stdout)
	}
	glass := found[0]
	// A second one gets a name of its own (names stay reserved), with the file option.
	file := filepath.Join(t.TempDir(), "glass2")
	if stdout, stderr, code := run(t, bin, []string{"IAM_DB=" + db, "IAM_ADMIN_TOKEN_FILE=" + file}, "admin-token"); code != 0 ||
		!strings.Contains(stdout, `"break-glass-2"`) || tokenRE.MatchString(stdout) {
		t.Fatalf("second admin-token: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	b, _ := os.ReadFile(file)
	glass2 := strings.TrimSpace(string(b))

	p2, url2 := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	admin := apiClient(t, url2, glass, nil)
	if u, err := admin.GetCurrentUser(c); err != nil || u.Organizations[0].Role != "admin" {
		t.Fatalf("break-glass token: %+v, %v", u, err)
	}
	if _, err := admin.CreateToken(c, "acme", apitype.CreateOrgTokenRequest{Name: "after-glass"}); err != nil {
		t.Errorf("break-glass token cannot mint tokens: %v", err)
	}
	page, err := admin.ListAuditLogs(c, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	var audited int
	for _, e := range page.AuditLogEvents {
		if e.User.Name == "break-glass" && e.Action == "org_token:create" {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("audit log has %d break-glass org_token:create events, want 2: %+v", audited, page.AuditLogEvents)
	}
	p2.stop(t)

	stdout, stderr, code = run(t, bin, nil, "revoke-bootstrap", "--db", db, "--org", "acme", "--keep", "break-glass")
	if code != 0 {
		t.Fatalf("revoke-bootstrap: exit %d\n%s", code, stderr)
	}
	if !strings.Contains(stdout, `Revoked token "bootstrap"`) || !strings.Contains(stdout, `Revoked token "break-glass-2"`) ||
		strings.Contains(stdout, `"break-glass"`) || strings.Contains(stdout, `"ci"`) {
		t.Errorf("revoke-bootstrap --keep break-glass said:\n%s", stdout)
	}
	p3, url3 := serveOn(t, bin, db, nil, http.DefaultClient, "http")
	for tok, want := range map[string]bool{first: false, glass2: false, glass: true, api.TokenValue: true} {
		_, err := apiClient(t, url3, tok, nil).GetCurrentUser(c)
		if (err == nil) != want {
			t.Errorf("after revoke-bootstrap, token valid = %v, want %v (%v)", err == nil, want, err)
		}
	}
	page, err = apiClient(t, url3, glass, nil).ListAuditLogs(c, "acme", "")
	if err != nil {
		t.Fatal(err)
	}
	audited = 0
	for _, e := range page.AuditLogEvents {
		if e.User.Name == "break-glass" && e.Action == "org_token:delete" {
			audited++
		}
	}
	if audited != 2 {
		t.Errorf("audit log has %d break-glass org_token:delete events, want 2", audited)
	}
	p3.stop(t)
}
