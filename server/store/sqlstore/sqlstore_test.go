package sqlstore

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/iamref/iam/server/store"
)

func TestBind(t *testing.T) {
	for _, tc := range []struct {
		engine      Engine
		query, want string
	}{
		{SQLite, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = ? AND c = ?`},
		{PostgreSQL, `SELECT a FROM t WHERE b = ? AND c = ?`, `SELECT a FROM t WHERE b = $1 AND c = $2`},
		{PostgreSQL, `SELECT 1`, `SELECT 1`},
		{PostgreSQL, `VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, `VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`},
		{PostgreSQL, `SELECT 'é' || ?`, `SELECT 'é' || $1`},
	} {
		d := Dialect{Engine: tc.engine}
		for range 2 { // the second time from the cache
			if got := d.bind(tc.query); got != tc.want {
				t.Errorf("engine %d: bind(%q) = %q, want %q", tc.engine, tc.query, got, tc.want)
			}
		}
	}
}

var errDown = errors.New("connection refused")

func TestClassify(t *testing.T) {
	d := Dialect{Unavailable: func(err error) bool { return errors.Is(err, errDown) }}
	wrapped := fmt.Errorf("%w: %v", store.ErrUnavailable, errDown)
	for _, tc := range []struct {
		name        string
		err         error
		unavailable bool
	}{
		{"nil", nil, false},
		{"no rows", sql.ErrNoRows, false},
		{"other", errors.New("syntax error"), false},
		{"down", errDown, true},
		{"down, wrapped", fmt.Errorf("insert: %w", errDown), true},
		{"already classified", wrapped, true},
	} {
		got := d.Classify(tc.err)
		if errors.Is(got, store.ErrUnavailable) != tc.unavailable {
			t.Errorf("%s: Classify(%v) = %v, want unavailable %v", tc.name, tc.err, got, tc.unavailable)
		}
		if !tc.unavailable && got != tc.err {
			t.Errorf("%s: Classify changed an error it does not classify: %v", tc.name, got)
		}
		if tc.err == wrapped && got != wrapped {
			t.Errorf("%s: wrapped again: %v", tc.name, got)
		}
	}
}

func TestReadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	for _, tc := range []struct {
		name    string
		files   fstest.MapFS
		want    []int
		wantErr string
	}{
		{"in order", fstest.MapFS{"m/0002_b.sql": file("B"), "m/0001_a.sql": file("A")}, []int{1, 2}, ""},
		{"gap", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0003_c.sql": file("C")}, nil, `"0003_c.sql": want a name starting with 0002_`},
		{"no number", fstest.MapFS{"m/init.sql": file("A")}, nil, `"init.sql": want a name starting with 0001_`},
		{"twice", fstest.MapFS{"m/0001_a.sql": file("A"), "m/0001_b.sql": file("B")}, nil, `"0001_b.sql": want a name starting with 0002_`},
		{"missing directory", fstest.MapFS{}, nil, "does not exist"},
	} {
		ms, err := ReadMigrations(tc.files, "m")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: err = %v, want one containing %q", tc.name, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var got []int
		for _, m := range ms {
			got = append(got, m.Version)
			if want := tc.files["m/"+m.Name]; want == nil || string(want.Data) != m.SQL {
				t.Errorf("%s: migration %d %q holds %q", tc.name, m.Version, m.Name, m.SQL)
			}
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.want) {
			t.Errorf("%s: versions %v, want %v", tc.name, got, tc.want)
		}
	}
}
