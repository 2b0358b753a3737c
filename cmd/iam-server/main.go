// Command iam-server runs the iamref reference IAM server.
//
//	iam-server serve --addr 127.0.0.1:8080 --db ./iam.db --org acme
//	iam-server admin-token --db ./iam.db --org acme      # break-glass, offline
//	iam-server revoke-bootstrap --db ./iam.db --org acme # offline
//	iam-server version
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamref/iam/internal/version"
	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/backend"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/store/postgres"
	"github.com/iamref/iam/server/store/sqlite"
)

func main() {
	if err := rootCmd().Execute(); err != nil {
		os.Exit(1)
	}
}

func rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "iam-server",
		Short:         "Reference IAM server speaking Pulumi Cloud's IAM API",
		Version:       version.String("iam-server"),
		SilenceUsage:  true,
		SilenceErrors: false,
		// Every flag can be set from the environment: IAM_ + the flag's name in upper snake
		// case (--admin-token-file: IAM_ADMIN_TOKEN_FILE); a flag on the command line wins.
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error { return applyEnv(cmd) },
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.AddCommand(serveCmd(), adminTokenCmd(), revokeBootstrapCmd(), versionCmd())
	documentEnv(root)
	return root
}

func versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version and the commit it was built from",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), version.String("iam-server"))
		},
	}
}

// serveOptions are serve's settings besides the server's Config.
type serveOptions struct {
	addr, db        string
	bootstrap       string // IAM_BOOTSTRAP_TOKEN
	adminTokenFile  string // where a first start writes its admin token ("" = standard output)
	tlsCert, tlsKey string
	secretsKeyFile  string // the master key of the service secrets provider ("" = <db>.secrets-key)
	out             io.Writer
}

func serveCmd() *cobra.Command {
	var o serveOptions
	var org, logFormat, logLevel, auditRetention string
	var gcPercent, maxRoles, maxTokens, maxEntities int
	var maxCheckpoint int64
	var oidcPrivate bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API",
		Long: `Serve the API on --addr (HTTPS with --tls-cert and --tls-key), storing state in the
SQLite database --db, for the organization --org.

The first start on a new database creates an admin token and prints it once on standard output,
or writes it to --admin-token-file (created with mode 0600) and prints only the file's name.
IAM_BOOTSTRAP_TOKEN, when set, is instead an admin token ("pul-" + 40 hex) ensured at every start.
A lost admin token is replaced offline with "iam-server admin-token".

The server is also a Pulumi state backend ("pulumi login http://<addr>"). Its service secrets
provider seals each stack's key under a master key read from --secrets-key-file (64 hex digits,
mode 0600). Without the flag, the key is <db>.secrets-key, created on the first start; a file
named by the flag must exist. Back it up with the database: without it, no secret in any
stack's state or config can be decrypted.

The server refuses to start when the database holds another organization than --org, or when
another process is serving it (the lock file <db>.lock).

With --db postgres://user:password@host:port/database (or IAM_DB), state is kept in PostgreSQL
instead, and several servers (replicas) may serve the same organization from it: a change made
through one applies on the others within milliseconds (LISTEN/NOTIFY).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			log, err := newLogger(logFormat, logLevel)
			if err != nil {
				return err
			}
			if os.Getenv("GOGC") == "" {
				// The live heap is small (compiled roles, caches) and requests allocate mostly
				// short-lived JSON: collecting less often keeps GC pauses out of the latency tail
				// (measured: batch p99 at 30k decisions/s roughly halves). GOGC overrides this.
				debug.SetGCPercent(gcPercent)
			}
			retention, err := parseRetention(auditRetention)
			if err != nil {
				return fmt.Errorf("--audit-retention: %w", err)
			}
			ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			o.bootstrap, o.out = os.Getenv("IAM_BOOTSTRAP_TOKEN"), cmd.OutOrStdout()
			return serve(ctx, log, server.Config{Org: org, Logger: log, AuditRetention: retention,
				MaxRoles: maxRoles, MaxTokens: maxTokens, MaxEntities: maxEntities, MaxCheckpointBytes: maxCheckpoint,
				OIDCAllowPrivateIssuers: oidcPrivate}, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.db, "db", "./iam.db", "SQLite database file (created if missing), or a PostgreSQL URL postgres://user:password@host:port/db shared by several replicas")
	f.StringVar(&org, "org", "acme", "organization this server serves (must be the database's)")
	f.StringVar(&o.adminTokenFile, "admin-token-file", "",
		"file the first start writes its admin token to, mode 0600 (default: printed on standard output)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (PEM, chain included); with --tls-key, serves HTTPS (default: plain HTTP)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS private key file (PEM) of --tls-cert (default: plain HTTP)")
	f.StringVar(&logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.IntVar(&gcPercent, "gc-percent", 400, "Go GC target percentage when GOGC is unset")
	f.StringVar(&auditRetention, "audit-retention", "0",
		`how long audit events are kept, e.g. 90d or 720h; older ones are deleted hourly ("0" keeps them forever)`)
	f.IntVar(&maxRoles, "max-roles", server.DefaultMaxRoles, "quota: custom roles, permission sets and policies per org")
	f.IntVar(&maxTokens, "max-tokens", server.DefaultMaxTokens, "quota: access tokens per org (not deleted)")
	f.IntVar(&maxEntities, "max-entities", server.DefaultMaxEntities, "quota: stacks, environments and insights accounts per org")
	f.StringVar(&o.secretsKeyFile, "secrets-key-file", "",
		"master key of the Pulumi backend's service secrets provider: 64 hex digits in a file of mode 0600 that must exist (default: <db>.secrets-key, created on the first start)")
	f.Int64Var(&maxCheckpoint, "max-checkpoint-bytes", server.DefaultMaxCheckpointBytes, "largest stack checkpoint (state) the Pulumi backend stores, in bytes")
	f.BoolVar(&oidcPrivate, "oidc-allow-private-issuers", false,
		"let OIDC issuers be fetched from loopback, private, link-local and other internal addresses (default: refused, so that registering an issuer cannot reach the internal network)")
	return cmd
}

func newLogger(format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format: %q is not text or json", format)
}

// parseRetention reads a retention: a Go duration ("720h") or a number of days ("90d");
// "0", "" and "forever" keep events forever.
func parseRetention(v string) (time.Duration, error) {
	switch v {
	case "", "0", "forever":
		return 0, nil
	}
	if days, ok := strings.CutSuffix(v, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 || n > 100*365 {
			return 0, fmt.Errorf("%q: want a number of days from 1 to 36500, e.g. 90d", v)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("%q: want days (90d), a duration of at least 1h (720h), or 0 to keep events forever", v)
	}
	return d, nil
}

func serve(ctx context.Context, log *slog.Logger, cfg server.Config, o serveOptions) error {
	org := cfg.Org
	tlsConfig, err := loadTLS(o.tlsCert, o.tlsKey)
	if err != nil {
		return err
	}
	st, unlock, err := openDB(ctx, o.db, org, true)
	if err != nil {
		return err
	}
	defer unlock()
	// A first start writing its token to --admin-token-file opens the file before the org is
	// created: a path it cannot write fails the start while the next one is still a first start.
	var tokenFile *os.File
	if o.bootstrap == "" && o.adminTokenFile != "" {
		names, err := st.OrgNames(ctx)
		if err != nil {
			return err
		}
		if !slices.Contains(names, org) {
			if tokenFile, err = createSecretFile(o.adminTokenFile); err != nil {
				return fmt.Errorf("--admin-token-file: %w", err)
			}
			defer tokenFile.Close() // after writeSecretFile's Close: an error ignored
		}
	}
	keyFile, create := o.secretsKeyFile, false
	if keyFile == "" && !isPostgres(o.db) {
		keyFile, create = o.db+".secrets-key", true
	}
	if keyFile == "" {
		// Replicas must share one master key, so none is made up beside a PostgreSQL URL.
		log.Warn("no --secrets-key-file with a PostgreSQL database: the Pulumi backend's service secrets provider answers 503 (passphrase stacks work); give every replica the same key file")
	} else {
		key, created, err := backend.LoadMasterKey(keyFile, create)
		if err != nil {
			return fmt.Errorf("--secrets-key-file: %w", err)
		}
		if created {
			log.Info("created the secrets master key; back it up with the database", "file", keyFile)
		}
		cfg.SecretsKey = key
	}
	cfg.Store = st
	srv, err := server.New(ctx, cfg)
	if err != nil {
		return err
	}
	switch {
	case o.bootstrap != "":
		created, err := srv.EnsureToken(ctx, o.bootstrap, "bootstrap")
		if err != nil {
			return fmt.Errorf("IAM_BOOTSTRAP_TOKEN: %w", err)
		}
		log.Info("bootstrap token ensured", "created", created)
	case srv.FirstStart():
		if err := firstStartToken(ctx, srv, org, o, tokenFile); err != nil {
			return err
		}
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		TLSConfig:         tlsConfig,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	scheme := "http"
	if tlsConfig != nil {
		scheme = "https"
		go func() { errc <- hs.ServeTLS(ln, "", "") }()
	} else {
		go func() { errc <- hs.Serve(ln) }()
	}
	log.Info("serving", "addr", ln.Addr().String(), "scheme", scheme, "org", org, "db", dbName(o.db), "version", version.Version,
		"commit", version.Revision(), "audit_retention", retentionString(cfg.AuditRetention))
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err = hs.Shutdown(sctx)
	if cerr := srv.Close(sctx); cerr != nil {
		log.Error("flushing on shutdown failed", "err", cerr)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("stopped")
	return nil
}

// firstStartToken creates the admin token of a new database and hands it to the operator once:
// written to f (--admin-token-file, opened by the caller) or printed.
func firstStartToken(ctx context.Context, srv *server.Server, org string, o serveOptions, f *os.File) error {
	value, err := srv.NewBootstrapToken(ctx)
	if err != nil {
		return err
	}
	if f == nil {
		fmt.Fprintf(o.out, "Created an admin token for org %q. It is shown only once; store it now:\n\n  %s\n\n", org, value)
		return nil
	}
	if err := writeSecretFile(f, value); err != nil {
		return fmt.Errorf("--admin-token-file: %w (the token was created; mint another with `iam-server admin-token`)", err)
	}
	fmt.Fprintf(o.out, "Created an admin token for org %q and wrote it to %s (mode 0600).\n", org, o.adminTokenFile)
	return nil
}

// createSecretFile creates (or truncates) a file only its owner may read.
func createSecretFile(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil && runtime.GOOS != "windows" { // an existing file keeps its mode otherwise
		f.Close()
		return nil, err
	}
	return f, nil
}

func writeSecretFile(f *os.File, value string) error {
	_, err := f.WriteString(value + "\n")
	if err == nil {
		err = f.Sync()
	}
	return errors.Join(err, f.Close())
}

// openDB locks the database at path for this process (see lockDB) and opens it, refusing an
// org the database does not hold when it holds another (or, unless create, any org it does
// not hold). unlock closes the store and releases the lock.
//
// A PostgreSQL URL (postgres://… or postgresql://…) is opened without a lock: several servers
// (replicas) serve one PostgreSQL database.
func openDB(ctx context.Context, path, org string, create bool) (st database, unlock func(), err error) {
	if isPostgres(path) {
		pg, err := postgres.Open(path)
		if err != nil {
			return nil, nil, err
		}
		if err := checkOrg(ctx, pg, postgres.Describe(path), org, create); err != nil {
			pg.Close()
			return nil, nil, err
		}
		return pg, func() { pg.Close() }, nil
	}
	if !create {
		if _, err := os.Stat(path); err != nil {
			return nil, nil, fmt.Errorf("database %s: %w", path, err)
		}
	}
	lock, err := lockDB(path)
	if err != nil {
		return nil, nil, err
	}
	sq, err := sqlite.Open(path)
	if err != nil {
		lock.unlock()
		return nil, nil, err
	}
	if err := checkOrg(ctx, sq, path, org, create); err != nil {
		sq.Close()
		lock.unlock()
		return nil, nil, err
	}
	return sq, func() { sq.Close(); lock.unlock() }, nil
}

// database is a store the commands can open: the Store and the organizations it holds.
type database interface {
	store.Store
	OrgNames(ctx context.Context) ([]string, error)
}

// isPostgres reports whether --db names a PostgreSQL database rather than a SQLite file.
func isPostgres(db string) bool {
	return strings.HasPrefix(db, "postgres://") || strings.HasPrefix(db, "postgresql://")
}

// dbName is --db as logs and messages show it: a PostgreSQL URL without its password.
func dbName(db string) string {
	if isPostgres(db) {
		return postgres.Describe(db)
	}
	return db
}

// checkOrg refuses an org that the database does not hold when it holds others: serving it
// would create a second, empty organization beside the real one (and a new admin token), which
// is never what a typo in --org or IAM_ORG means.
func checkOrg(ctx context.Context, st database, path, org string, create bool) error {
	names, err := st.OrgNames(ctx)
	if err != nil {
		return err
	}
	if slices.Contains(names, org) || (create && len(names) == 0) {
		return nil
	}
	if len(names) == 0 {
		return fmt.Errorf("database %s holds no organization yet: start the server on it first (iam-server serve --db %s --org %s)", path, path, org)
	}
	holds := fmt.Sprintf("organization %q", names[0])
	if len(names) > 1 {
		holds = "organizations " + quoteAll(names)
	}
	return fmt.Errorf("database %s holds %s, not %q (--org/IAM_ORG): give --org %s, or another --db for a new organization", path, holds, org, names[0])
}

func quoteAll(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// loadTLS reads the certificate and key for HTTPS; both or neither must be given.
func loadTLS(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("--tls-cert and --tls-key go together: give both to serve HTTPS, or neither")
	}
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("--tls-cert/--tls-key: %w", err)
	}
	return &tls.Config{MinVersion: tls.VersionTLS12, Certificates: []tls.Certificate{cert}}, nil
}

func retentionString(d time.Duration) string {
	if d == 0 {
		return "forever"
	}
	return d.String()
}
