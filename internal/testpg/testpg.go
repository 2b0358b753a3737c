// Package testpg starts a throw-away PostgreSQL server for tests from the machine's binaries
// (initdb, pg_ctl and postgres found on PATH or under /usr/lib/postgresql/*/bin): a new cluster
// in a temporary folder, listening on a free loopback port and on a unix socket inside that
// folder, stopped and removed when the test ends.
//
// initdb refuses to run as root, so as root (CI) the cluster is created and run as the
// `postgres` user (else `nobody`) through setpriv, and the folder is handed to that user.
//
// Tests needing PostgreSQL skip under -short, and when no PostgreSQL is installed, unless
// IAMREF_REQUIRE_BINARIES is set (end-to-end runs, CI), which turns a missing PostgreSQL into
// a failure.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a running PostgreSQL cluster.
type Server struct {
	Dir     string // the cluster's folder (data, socket, log)
	Port    int
	bin     string // folder of initdb, pg_ctl, postgres
	data    string
	cred    *syscall.Credential // nil: run as the current user
	durable bool                // fsync and synchronous commits on (Launch); off for tests
	dbCount atomic.Int64
}

// Start starts a new cluster for the test and stops it at the end. It skips (or fails, see the
// package comment) when PostgreSQL is not installed.
func Start(t testing.TB) *Server {
	t.Helper()
	if testing.Short() {
		t.Skip("needs PostgreSQL: skipped under -short")
	}
	bin, err := FindBin()
	if err != nil {
		if os.Getenv("IAMREF_REQUIRE_BINARIES") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	s, err := start(bin, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Stop(); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
		os.RemoveAll(s.Dir)
	})
	return s
}

// FindBin returns the folder holding initdb, pg_ctl and postgres: the one of initdb on PATH,
// else the newest /usr/lib/postgresql/<version>/bin.
func FindBin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return version(dirs[i]) > version(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d, nil
		}
	}
	return "", errors.New("PostgreSQL not found: no initdb on PATH or under /usr/lib/postgresql/*/bin (install it, e.g. apt-get install postgresql)")
}

func version(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

// runAs is the account the cluster runs as: the current user, or when that is root (initdb
// refuses root), postgres or else nobody.
func runAs() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			continue
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
	}
	return nil, errors.New("running as root and neither a postgres nor a nobody user exists to run PostgreSQL as")
}

func start(bin string, durable bool) (*Server, error) {
	cred, err := runAs()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "iamref-pg-")
	if err != nil {
		return nil, err
	}
	s := &Server{Dir: dir, bin: bin, data: filepath.Join(dir, "data"), cred: cred, durable: durable}
	if cred != nil {
		if err := os.Chown(dir, int(cred.Uid), int(cred.Gid)); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	if out, err := s.run("initdb", "-D", s.data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	// A free port can be taken between the probe and postgres's bind: try a few.
	for attempt := 0; ; attempt++ {
		s.Port = freePort()
		if err = s.pgStart(); err == nil {
			return s, nil
		}
		if attempt == 4 {
			os.RemoveAll(dir)
			return nil, err
		}
	}
}

// pgStart starts postgres on s.Port and waits until it accepts connections. Unless durable,
// fsync is off: the cluster is thrown away, and the tests that kill processes kill the server,
// not PostgreSQL.
func (s *Server) pgStart() error {
	opts := fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k %s -c max_connections=200", s.Port, s.Dir)
	if !s.durable {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	out, err := s.run("pg_ctl", "-D", s.data, "-l", filepath.Join(s.Dir, "postgres.log"), "-o", opts, "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
		return fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop stops the cluster (fast shutdown: open connections are closed).
func (s *Server) Stop() error {
	out, err := s.run("pg_ctl", "-D", s.data, "-m", "fast", "-w", "-t", "60", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	return nil
}

// Restart starts a stopped cluster again on the same port.
func (s *Server) Restart() error { return s.pgStart() }

func (s *Server) run(name string, args ...string) ([]byte, error) {
	cmd := exec.Command(filepath.Join(s.bin, name), args...)
	cmd.Dir = s.Dir
	cmd.Env = append(os.Environ(), "LC_ALL=C")
	if s.cred != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	}
	return cmd.CombinedOutput()
}

func freePort() int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// URL is the connection URL of database db (over TCP on loopback, user postgres).
func (s *Server) URL(db string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, db)
}

// NewDatabase creates an empty database and returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	return s.NewDatabaseWith(t, "")
}

// NewDatabaseWith creates an empty database with extra CREATE DATABASE options (such as
// "TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'", a collation other than the
// cluster's C) and returns its URL.
func (s *Server) NewDatabaseWith(t testing.TB, options string) string {
	t.Helper()
	name := fmt.Sprintf("t%d_%d", os.Getpid(), s.dbCount.Add(1))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		t.Fatalf("connect to PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" "+options); err != nil {
		t.Fatalf("create database: %v", err)
	}
	return s.URL(name)
}

// Log returns the server's log (for failure messages).
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.Dir, "postgres.log"))
	return strings.TrimSpace(string(b))
}
