package testpg

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// Launch starts a new cluster outside a test (the load program): the caller stops it with
// Close. It fails when PostgreSQL is not installed (see FindBin). Unlike Start's, the cluster
// is durable as in production (fsync, synchronous commit and full-page writes on, PostgreSQL's
// defaults), so that writes are measured at their real cost.
func Launch() (*Server, error) {
	bin, err := FindBin()
	if err != nil {
		return nil, err
	}
	return start(bin, true)
}

// Close stops the cluster and removes its folder.
func (s *Server) Close() error {
	err := s.Stop()
	if rerr := os.RemoveAll(s.Dir); err == nil {
		err = rerr
	}
	return err
}

// CreateDatabase creates an empty database named name and returns its URL.
func (s *Server) CreateDatabase(ctx context.Context, name string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return "", fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return s.URL(name), nil
}

// PID is the postmaster's process ID (the first line of postmaster.pid): the parent of every
// other process of the cluster (backends, checkpointer, WAL writer, autovacuum…).
func (s *Server) PID() (int, error) {
	f, err := os.Open(filepath.Join(s.data, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	if !sc.Scan() {
		return 0, fmt.Errorf("%s: empty", f.Name())
	}
	pid, err := strconv.Atoi(strings.TrimSpace(sc.Text()))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: first line %q is not a process ID", f.Name(), sc.Text())
	}
	return pid, nil
}

// Version is what `postgres --version` prints, e.g. "postgres (PostgreSQL) 15.14".
func (s *Server) Version() string {
	out, err := exec.Command(filepath.Join(s.bin, "postgres"), "--version").Output()
	if err != nil {
		return "PostgreSQL (version unknown)"
	}
	return strings.TrimSpace(string(out))
}
