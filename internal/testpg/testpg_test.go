package testpg

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestStart starts a cluster, creates a database, writes and reads a row, and restarts it.
func TestStart(t *testing.T) {
	s := Start(t)
	url := s.NewDatabase(t)
	ctx := context.Background()
	query := func() {
		t.Helper()
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			t.Fatalf("connect: %v\n%s", err, s.Log())
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS t (v int); INSERT INTO t VALUES (1)`); err != nil {
			t.Fatal(err)
		}
	}
	query()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := pgx.Connect(ctx, url); err == nil {
		t.Fatal("connected to a stopped cluster")
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	query()
}
