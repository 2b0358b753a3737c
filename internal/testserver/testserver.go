// Package testserver starts the real iamref server for tests: the real handler over HTTP on
// loopback (Start) or the real iam-server binary (StartBinary), each with a SQLite database in
// a temporary folder and an admin token.
package testserver

import (
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/client"
	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/backend"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/sqlite"
)

// AdminToken is the bootstrap admin token every test server gets.
const AdminToken = "pul-0123456789abcdef0123456789abcdef01234567"

// Server is a running test server.
type Server struct {
	URL        string
	Org        string
	AdminToken string
	DBPath     string
	Client     *client.Client // authenticated with AdminToken
	API        *server.Server // nil for StartBinary
	LogPath    string         // the binary's log (StartBinary)
	// Process is the iam-server process (StartBinary only): a test may kill it (kill -9) and
	// start another on the same folder and address with StartBinaryAt.
	Process *os.Process
	kill    func()
}

// Options adjust Start.
type Options struct {
	Org      string
	Logger   *slog.Logger
	Now      func() time.Time
	Wrap     func(http.Handler) http.Handler // e.g. fault injection in front of the server
	DBPath   string                          // reuse a database (restart tests)
	TokenTTL time.Duration
	// AdminToken is the bootstrap token to ensure; the package's AdminToken when "". A second
	// org in the same database needs a value of its own (a token belongs to one org).
	AdminToken string
	// WrapStore, when set, wraps the store the server uses (fault or delay injection).
	WrapStore func(store.Store) store.Store
	// Config, when set, adjusts the server configuration before New.
	Config func(*server.Config)
	// Quotas (server.Config's); 0 keeps the server's defaults.
	MaxRoles, MaxTokens, MaxEntities int
}

// Start serves the real handler with a fresh SQLite database until the test ends.
func Start(t testing.TB, opts ...Options) *Server {
	t.Helper()
	var o Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Org == "" {
		o.Org = "acme"
	}
	if o.DBPath == "" {
		o.DBPath = filepath.Join(t.TempDir(), "iam.db")
	}
	st, err := sqlite.Open(o.DBPath)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	if o.AdminToken == "" {
		o.AdminToken = AdminToken
	}
	var use store.Store = st
	if o.WrapStore != nil {
		use = o.WrapStore(st)
	}
	ctx := context.Background()
	var raw [32]byte
	_, _ = rand.Read(raw[:])
	key, err := backend.NewMasterKey(raw[:])
	if err != nil {
		t.Fatal(err)
	}
	cfg := server.Config{Org: o.Org, Store: use, Logger: o.Logger, Now: o.Now, TokenTTL: o.TokenTTL,
		MaxRoles: o.MaxRoles, MaxTokens: o.MaxTokens, MaxEntities: o.MaxEntities, SecretsKey: key,
		// Test issuers listen on loopback; a test of the refusal turns this off in o.Config.
		OIDCAllowPrivateIssuers: true}
	if o.Config != nil {
		o.Config(&cfg)
	}
	api, err := server.New(ctx, cfg)
	if err != nil {
		t.Fatalf("server: %v", err)
	}
	if _, err := api.EnsureToken(ctx, o.AdminToken, "admin"); err != nil {
		t.Fatalf("bootstrap token: %v", err)
	}
	var h http.Handler = api.Handler()
	if o.Wrap != nil {
		h = o.Wrap(h)
	}
	hs := httptest.NewServer(h)
	t.Cleanup(func() {
		hs.Close()
		_ = api.Close(context.Background())
		_ = st.Close()
	})
	return finish(t, &Server{URL: hs.URL, Org: o.Org, AdminToken: o.AdminToken, DBPath: o.DBPath, API: api})
}

func finish(t testing.TB, s *Server) *Server {
	c, err := client.New(client.Config{BaseURL: s.URL, Token: s.AdminToken, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	s.Client = c
	return s
}

// NewClient returns a client for this server with another token.
func (s *Server) NewClient(t testing.TB, token string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{BaseURL: s.URL, Token: token, RetryWaitMin: 10 * time.Millisecond, RetryWaitMax: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// FreeAddr returns a loopback address with a free port.
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// StartBinary runs the iam-server binary at bin (see BinaryPath) until the test ends, with
// IAM_BOOTSTRAP_TOKEN set to AdminToken. Its stderr is kept in dir/server.log.
func StartBinary(t testing.TB, bin, dir string) *Server {
	t.Helper()
	return StartBinaryWith(t, bin, dir, BinaryOptions{})
}

// StartBinaryAt is StartBinary on a given address (a restart on the address of a server that
// was killed, so that clients that stored its URL find it again).
func StartBinaryAt(t testing.TB, bin, dir, addr string) *Server {
	t.Helper()
	return StartBinaryWith(t, bin, dir, BinaryOptions{Addr: addr})
}

// BinaryOptions adjust StartBinaryWith.
type BinaryOptions struct {
	// Addr is the address to listen on; a free loopback port when "".
	Addr string
	// DB is --db: a SQLite file (dir/iam.db when "") or a PostgreSQL URL (replicas share one).
	DB string
	// Log is the log file's name in dir (appended to); server.log when "".
	Log string
	// FileSizeLimit, when > 0, is the largest file the process may write, in bytes (RLIMIT_FSIZE,
	// set through the shell's ulimit): writes past it fail with EFBIG, as on a full disk.
	FileSizeLimit int64
	// Args are more flags for `iam-server serve` (such as --max-tokens 5).
	Args []string
}

// StartBinaryWith is StartBinary with options. The returned Server's Kill ends the process
// with SIGKILL.
func StartBinaryWith(t testing.TB, bin, dir string, o BinaryOptions) *Server {
	t.Helper()
	addr := o.Addr
	if addr == "" {
		addr = FreeAddr(t)
	}
	db := o.DB
	if db == "" {
		db = filepath.Join(dir, "iam.db")
	}
	if o.Log == "" {
		o.Log = "server.log"
	}
	logPath := filepath.Join(dir, o.Log)
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	// Test issuers listen on loopback.
	args := []string{"serve", "--addr", addr, "--db", db, "--org", "acme", "--oidc-allow-private-issuers"}
	args = append(args, o.Args...)
	cmd := exec.Command(bin, args...)
	if o.FileSizeLimit > 0 {
		// ulimit -f counts 512-byte blocks.
		script := fmt.Sprintf(`ulimit -f %d && exec "$0" "$@"`, (o.FileSizeLimit+511)/512)
		cmd = exec.Command("sh", append([]string{"-c", script, bin}, args...)...)
	}
	cmd.Env = append(os.Environ(), "IAM_BOOTSTRAP_TOKEN="+AdminToken)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	waited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(waited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
		}
		logf.Close()
	})
	url := "http://" + addr
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(url + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				break
			}
		}
		select {
		case <-waited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("iam-server exited before becoming healthy:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("iam-server did not become healthy: %v\n%s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
	s := finish(t, &Server{URL: url, Org: "acme", AdminToken: AdminToken, DBPath: db, LogPath: logPath, Process: cmd.Process})
	s.kill = func() {
		_ = cmd.Process.Kill()
		<-waited
	}
	return s
}

// Kill ends a server started by StartBinaryWith at once (SIGKILL, as a crash) and waits for it.
func (s *Server) Kill() {
	if s.kill == nil {
		panic("testserver: Kill of a server not started by StartBinaryWith")
	}
	s.kill()
}

// BinaryPath finds a built binary: $IAMREF_BIN/<name>, else <repo>/bin/<name>. Tests that
// need one are end-to-end tests: skipped under -short (make test-unit), and skipped with a
// hint when the binary is missing, unless IAMREF_REQUIRE_BINARIES is set (as in CI), in which
// case they fail.
func BinaryPath(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("end-to-end test (needs " + name + "): skipped under -short")
	}
	dir := os.Getenv("IAMREF_BIN")
	if dir == "" {
		root, err := repoRoot()
		if err != nil {
			t.Fatal(err)
		}
		dir = filepath.Join(root, "bin")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		msg := fmt.Sprintf("%s not found; run `make build` first", p)
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return p
}

// repoRoot walks up from the working directory to the folder holding go.mod of the module.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && strings.Contains(string(b), "module github.com/iamref/iam\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("not inside the iamref repository")
		}
		dir = parent
	}
}

// RepoRoot is the repository's top folder.
func RepoRoot(t testing.TB) string {
	t.Helper()
	r, err := repoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Silent starts a listener on loopback that accepts connections and never answers, until the
// test ends, and returns its http:// URL: a server that hangs.
func Silent(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		var conns []net.Conn
		defer func() {
			for _, c := range conns {
				_ = c.Close()
			}
		}()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns = append(conns, c) // held open, read by nobody
			select {
			case <-done:
				return
			default:
			}
		}
	}()
	t.Cleanup(func() {
		close(done)
		_ = ln.Close()
	})
	return "http://" + ln.Addr().String()
}

// SeedExample registers the entities the examples and provider tests grant on: stacks
// myapp/<name> for each of stacks (tagged env=<name>) and environment myapp/prod.
func (s *Server) SeedExample(t testing.TB, stacks ...string) {
	t.Helper()
	ctx := context.Background()
	for _, name := range stacks {
		if _, err := s.Client.CreateStack(ctx, s.Org, "myapp", apitype.CreateStackRequest{StackName: name, Tags: map[string]string{"env": name}}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Client.CreateEnvironment(ctx, s.Org, apitype.CreateEnvironmentRequest{Project: "myapp", Name: "prod"}); err != nil {
		t.Fatal(err)
	}
}
