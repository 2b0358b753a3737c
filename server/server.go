// Package server is the reference IAM server: Pulumi Cloud's IAM API (roles, permission sets,
// org tokens) plus the stacks, environments and insights accounts that grants name, with every
// route authorized through package authz and every mutation and denial audited.
package server

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/backend"
	"github.com/iamref/iam/server/store"
	"github.com/iamref/iam/server/ui"
)

// Config configures a Server.
type Config struct {
	Org          string      // the organization this server serves
	Store        store.Store // persistence
	Logger       *slog.Logger
	Now          func() time.Time     // clock; time.Now when nil
	Registry     *prometheus.Registry // metrics; a new registry when nil
	MaxBodyBytes int64                // request body limit; 2 MiB when 0
	// TokenTTL bounds how long tokens, compiled roles and entities are cached; 30 s when 0. A
	// change made through this server applies at once; one made through another replica sharing
	// the database applies when the store reports it (store.ChangeNotifier: PostgreSQL's
	// NOTIFY, within milliseconds), and within TokenTTL in any case.
	TokenTTL time.Duration
	// AuditRetention is how long audit events are kept; housekeeping deletes older ones every
	// hour. 0 keeps them forever (the default: an audit log should not shrink unless its
	// operator says so; the per-request limits bound its growth).
	AuditRetention time.Duration
	// DenialBurst is how many denials (401s, 403s) of one client (source IP and token) per
	// minute are recorded one by one; the rest of that minute's are recorded as one summary
	// event with their count. 0 means 10; a negative value records every denial.
	DenialBurst int
	// Per-org quotas; a create past one is a 409 that names the quota, the limit and the
	// setting that raises it. MaxRoles counts custom roles, permission sets and policies
	// (built-ins excluded; 10,000 when 0), MaxTokens tokens not deleted (expired included;
	// 100,000 when 0), MaxEntities stacks, environments and insights accounts together
	// (1,000,000 when 0).
	MaxRoles, MaxTokens, MaxEntities int
	// SecretsKey seals each stack's secrets key (the Pulumi backend's service secrets
	// provider). Without one, encrypt and decrypt answer 503 and only passphrase stacks work.
	SecretsKey *backend.MasterKey
	// MaxCheckpointBytes bounds a stack checkpoint, an import and a batch of engine events or
	// secrets (64 MiB when 0).
	MaxCheckpointBytes int64
	// LeaseDuration is how long an update's lease lasts until the CLI renews it (5 min when 0).
	LeaseDuration time.Duration
	// OIDCRootCAs are the certificate authorities trusted when an OIDC issuer is registered
	// without thumbprints, or its thumbprints are regenerated (the server then pins the
	// certificate it saw); nil trusts the system's. Issuers with thumbprints trust only those.
	OIDCRootCAs *x509.CertPool
	// OIDCAllowPrivateIssuers lets the server fetch OIDC discovery documents and JWKS from
	// loopback, private, link-local and other internal addresses. Off (the default), whoever may
	// register an issuer cannot make the server reach its internal network (cloud metadata
	// included); turn it on only for an issuer inside that network, or for tests.
	OIDCAllowPrivateIssuers bool
}

// Quota defaults: far above any real org (Pulumi's Enterprise edition allows 25 custom roles),
// low enough that one tenant cannot make every listing and compile slow for the rest.
const (
	DefaultMaxRoles    = 10_000
	DefaultMaxTokens   = 100_000
	DefaultMaxEntities = 1_000_000
)

// Server serves the API. Create it with New, serve Handler, and Close it to flush the audit
// log and token usage.
type Server struct {
	cfg     Config
	org     store.Org
	st      store.Store
	log     *slog.Logger
	now     func() time.Time
	routes  []*route
	mux     *http.ServeMux
	tokens  *tokenCache
	indexes *indexCache
	// principals is token ID → compiled rights in one probe, valid while neither tokens.ids nor
	// indexes.roles has been invalidated (access checks).
	principals *principalCache
	usage      *usageTracker
	scopes     *scopeUsage // per-day counts of the scopes authorized requests used
	audit      *auditWriter
	denials    *denialAggregator
	handler    http.Handler
	ents       *entityCache
	fetch      *fetcher  // OIDC discovery and JWKS requests
	keys       *keyCache // OIDC issuers' verification keys
	idem       keyedMutex
	metrics    *metrics
	secretKeys stackKeys // opened stack secrets keys (stackstate.go)

	firstStart bool // the org was created by this start
	// unsubscribe stops the listener of other replicas' changes (store.ChangeNotifier); nil
	// when the store has none.
	unsubscribe func()

	stop      chan struct{}
	hkDone    chan struct{} // closed when housekeeping has returned
	bg        sync.WaitGroup
	closeOnce sync.Once
}

// New prepares the org (built-in sets and roles included) and the routes.
func New(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.Org == "" || cfg.Store == nil {
		return nil, errors.New("server: Org and Store are required")
	}
	if err := validName("organization", cfg.Org, 40); err != nil {
		return nil, fmt.Errorf("server: %w", err)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Registry == nil {
		cfg.Registry = prometheus.NewRegistry()
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 2 << 20
	}
	if cfg.MaxCheckpointBytes == 0 {
		cfg.MaxCheckpointBytes = DefaultMaxCheckpointBytes
	}
	if cfg.LeaseDuration == 0 {
		cfg.LeaseDuration = defaultLeaseDuration
	}
	if cfg.TokenTTL == 0 {
		cfg.TokenTTL = 30 * time.Second
	}
	if cfg.MaxRoles == 0 {
		cfg.MaxRoles = DefaultMaxRoles
	}
	if cfg.MaxTokens == 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.MaxEntities == 0 {
		cfg.MaxEntities = DefaultMaxEntities
	}
	if cfg.MaxRoles < 0 || cfg.MaxTokens < 0 || cfg.MaxEntities < 0 {
		return nil, errors.New("server: quotas (MaxRoles, MaxTokens, MaxEntities) cannot be negative")
	}
	s := &Server{
		cfg: cfg, st: cfg.Store, log: cfg.Logger, now: cfg.Now,
		stop: make(chan struct{}), hkDone: make(chan struct{}),
	}
	org, err := s.ensureOrg(ctx)
	if err != nil {
		return nil, err
	}
	s.org = org
	s.tokens = newTokenCache(org.Name, s.st, cfg.TokenTTL, s.now)
	s.indexes = newIndexCache(s.st, org.Name, s.log, cfg.TokenTTL, s.now)
	s.principals = newPrincipalCache(s.tokens.ids, s.indexes.roles, cfg.TokenTTL)
	s.usage = &usageTracker{st: s.st, pending: map[string]int64{}, seen: map[string]int64{}}
	s.scopes = newScopeUsage(s.st, org.Name)
	s.ents = newEntityCache(s.st, org.Name, cfg.TokenTTL, s.now)
	s.fetch = newFetcher(cfg.OIDCRootCAs, cfg.OIDCAllowPrivateIssuers, s.log)
	s.keys = newKeyCache(s.fetch, s.now)
	s.metrics = newMetrics(cfg.Registry)
	s.audit = newAuditWriter(s.st, s.log, s.metrics)
	s.denials = newDenialAggregator(s.audit.record, cfg.DenialBurst)
	s.routes = s.routeTable()
	s.mux = http.NewServeMux()
	for _, rt := range s.routes {
		s.mux.Handle(rt.method+" "+rt.pattern, s.dispatch(rt))
	}
	ui.Mount(s.mux)
	s.mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errorf(http.StatusNotFound, "no route for %s %s", r.Method, truncate(r.URL.Path, maxAuditPath)))
	}))
	s.handler = s.limitRequestURI(s.mux)
	s.bg.Add(2)
	go s.audit.run(&s.bg)
	go s.housekeeping()
	if n, ok := s.st.(store.ChangeNotifier); ok {
		ctx, cancel := context.WithCancel(context.Background())
		s.unsubscribe = cancel
		n.Subscribe(ctx, org.Name, s.dropCaches)
	}
	return s, nil
}

// dropCaches empties every cache of the server (tokens, compiled roles, entities): another
// replica committed a change to the org's data. Writes are rare next to reads, so one rule
// for every change beats knowing which cache entries each change touches.
func (s *Server) dropCaches() {
	s.tokens.hashes.Clear()
	s.tokens.ids.Clear()
	s.indexes.roles.Clear()
	s.ents.entries.Clear()
	s.metrics.remoteChanges.Inc()
}

// Handler is the HTTP handler of the API.
func (s *Server) Handler() http.Handler { return s.handler }

// Close flushes pending audit events and token usage. It does not close the store. Requests
// still running afterwards have their audit events logged instead of stored.
func (s *Server) Close(ctx context.Context) error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stop)
		if s.unsubscribe != nil {
			s.unsubscribe()
		}
		<-s.hkDone                   // housekeeping has stopped
		s.denials.flush(time.Time{}) // the summaries of denial windows still open
		s.audit.close()
		s.bg.Wait()
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err = errors.Join(s.usage.flush(fctx), s.scopes.flush(fctx))
	})
	return err
}

// housekeeping writes token last-use times and records the summaries of ended denial windows
// every 10 s, and every hour prunes idempotency records older than their replay window (they
// hold sealed create responses), tokens exchanged for OIDC ID tokens a day after they expired,
// previews older than a day, and audit events older than the retention.
func (s *Server) housekeeping() {
	defer s.bg.Done()
	defer close(s.hkDone)
	t := time.NewTicker(10 * time.Second)
	defer t.Stop()
	var lastPrune time.Time
	for {
		s.housekeep(context.Background(), &lastPrune)
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// Housekeep runs one round of housekeeping now, pruning included (tests and operators; the
// server also runs it on its own).
func (s *Server) Housekeep(ctx context.Context) {
	var never time.Time
	s.housekeep(ctx, &never)
}

func (s *Server) housekeep(ctx context.Context, lastPrune *time.Time) {
	now := s.now()
	s.denials.flush(now)
	if err := s.usage.flush(ctx); err != nil {
		s.log.Warn("recording token last-use times failed", "err", err)
	}
	if err := s.scopes.flush(ctx); err != nil {
		s.log.Warn("recording scope usage failed", "err", err)
	}
	if now.Sub(*lastPrune) <= time.Hour {
		return
	}
	*lastPrune = now
	if err := s.st.PruneIdempotent(ctx, now.Add(-idempotencyWindow)); err != nil {
		s.log.Warn("pruning idempotency records failed", "err", err)
	}
	if n, err := s.st.PruneExchangedTokens(ctx, s.org.Name, now.Add(-exchangedRetention), s.stamp()); err != nil {
		s.log.Warn("pruning expired exchanged tokens failed", "err", err)
	} else if n > 0 {
		s.log.Info("deleted exchanged tokens expired for a day", "tokens", n)
	}
	// Previews and never-started updates are kept a day (the CLI polls an update's status
	// while it runs, never later); updates that wrote state are the stacks' history.
	if n, err := s.st.PruneUpdates(ctx, now.Add(-24*time.Hour)); err != nil {
		s.log.Warn("pruning previews failed", "err", err)
	} else if n > 0 {
		s.log.Info("pruned previews and never-started updates older than a day", "updates", n)
	}
	if s.cfg.AuditRetention > 0 {
		n, err := s.st.PruneAudit(ctx, s.org.Name, now.Add(-s.cfg.AuditRetention))
		if err != nil {
			s.log.Warn("pruning audit events failed", "err", err)
		} else if n > 0 {
			s.log.Info("pruned audit events past retention", "events", n, "retention", s.cfg.AuditRetention.String())
		}
	}
}

// ensureOrg creates the org and its built-in sets and roles when missing.
func (s *Server) ensureOrg(ctx context.Context) (store.Org, error) {
	org, created, err := s.st.EnsureOrg(ctx, s.cfg.Org)
	if err != nil {
		return store.Org{}, fmt.Errorf("ensure org: %w", err)
	}
	s.firstStart = created
	existing := map[string]bool{}
	for _, purpose := range []string{"set", "role"} {
		recs, err := s.st.ListRecords(ctx, org.Name, purpose)
		if err != nil {
			return store.Org{}, err
		}
		for _, r := range recs {
			existing[r.DefaultIdentifier] = true
		}
	}
	now := s.stamp()
	for _, b := range authz.Builtins() {
		if existing[b.Identifier] {
			continue
		}
		rec := store.Record{
			ID: builtinID(org.Name, b.Identifier), Org: org.Name, Name: b.Name, Description: b.Description,
			ResourceType: b.Kind.ResourceType(), UXPurpose: b.UXPurpose, Details: authz.Format(b.Details),
			Version: 1, Created: now, Modified: now, DefaultIdentifier: b.Identifier,
			IsOrgDefault: b.Identifier == "member",
		}
		if err := s.st.CreateRecord(ctx, rec); err != nil && !errors.Is(err, store.ErrConflict) {
			return store.Org{}, fmt.Errorf("create built-in %s: %w", b.Identifier, err)
		}
	}
	if org.DefaultRoleID == "" {
		org.DefaultRoleID = builtinID(org.Name, "member")
		if err := s.st.SetDefaultRole(ctx, org.Name, org.DefaultRoleID); err != nil {
			return store.Org{}, err
		}
	}
	return org, nil
}

// stamp is the time recorded on stored objects, at the store's microsecond precision, so that a
// create's answer and a later read agree exactly.
func (s *Server) stamp() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// builtinID is the per-org ID of a built-in record: stable, so restarts and replicas agree.
func builtinID(org, identifier string) string {
	return uuidFrom("builtin/" + org + "/" + identifier)
}

// EnsureToken makes sure an admin token with this value exists (IAM_BOOTSTRAP_TOKEN). It is
// bound to the built-in admin role, so it may do everything, including minting tokens.
func (s *Server) EnsureToken(ctx context.Context, value, name string) (created bool, err error) {
	if !tokenPattern.MatchString(value) {
		return false, errors.New("bootstrap token must be \"pul-\" followed by 40 lowercase hex digits")
	}
	if why := weakTokenValue(value); why != "" {
		return false, fmt.Errorf("bootstrap token refused: %s, so it is guessable; generate one with `openssl rand -hex 20` (prefixed with \"pul-\")", why)
	}
	tok, err := s.st.TokenByHash(ctx, hashToken(value))
	switch {
	case err == nil && tok.Org != s.org.Name:
		return false, fmt.Errorf("the bootstrap token is a token of another organization (%q), not of %q; choose a value of its own for each org", tok.Org, s.org.Name)
	case err == nil && !tok.Deleted:
		return false, nil
	case err == nil:
		return false, errors.New("the bootstrap token was deleted; choose a new value")
	case !errors.Is(err, store.ErrNotFound):
		return false, err
	}
	for i := 0; ; i++ {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d", name, i+1) // names stay reserved after deletion
		}
		err = s.st.CreateToken(ctx, store.Token{
			ID: newID(), Org: s.org.Name, Name: n, Description: "bootstrap admin token",
			Hash: hashToken(value), RoleID: builtinID(s.org.Name, "admin"),
			Created: s.stamp(), CreatedBy: "iam-server",
		})
		if errors.Is(err, store.ErrConflict) {
			// Another replica starting on the same database may have just created it.
			if t, e := s.st.TokenByHash(ctx, hashToken(value)); e == nil && t.Org == s.org.Name && !t.Deleted {
				return false, nil
			}
		}
		if !errors.Is(err, store.ErrConflict) || i > 20 {
			return err == nil, err
		}
	}
}

// FirstStart reports whether this start created the organization (a new database), which is
// when the CLI mints and prints a bootstrap token if none was given.
func (s *Server) FirstStart() bool { return s.firstStart }

// NewBootstrapToken creates an admin token and returns its value (printed once by the CLI).
func (s *Server) NewBootstrapToken(ctx context.Context) (string, error) {
	value, err := newTokenValue()
	for err == nil && weakTokenValue(value) != "" { // about one start in ten million
		value, err = newTokenValue()
	}
	if err != nil {
		return "", err
	}
	_, err = s.EnsureToken(ctx, value, "bootstrap")
	return value, err
}
