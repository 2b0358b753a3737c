// Package client is the Go client of the iamref API (the Pulumi Cloud IAM wire format). It is
// used by both providers, the end-to-end tests and the command-line tools.
//
// Every request carries `Authorization: token <Token>` and `Accept: application/vnd.pulumi+8`.
// Requests are retried on connection errors, 429 and 5xx (except 501) with exponential backoff,
// honouring Retry-After. Creates carry an Idempotency-Key that stays the same across the retries
// of one call, so a retry never creates a second object. Each attempt is bounded by a request
// timeout (30 s) and each call, retries included, by a retry budget (2 min). Non-2xx answers
// become *APIError (IsRecordNotFound tells "this record does not exist" from other 404s); no
// answer at all becomes *TransportError, which names the server.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/hashicorp/go-retryablehttp"

	"github.com/iamref/iam/apitype"
)

// Defaults for the zero values of Config.
const (
	DefaultRetryMax     = 4
	DefaultRetryWaitMin = 100 * time.Millisecond
	DefaultRetryWaitMax = 2 * time.Second
	DefaultUserAgent    = "iamref-go-client/1"
	// DefaultRequestTimeout bounds one attempt: connecting, sending and reading the answer.
	DefaultRequestTimeout = 30 * time.Second
	// DefaultRetryBudget bounds one call, all attempts and the waits between them included.
	DefaultRetryBudget = 2 * time.Minute
)

// Config configures a Client. Only BaseURL is required.
type Config struct {
	// BaseURL is the server's absolute http(s) URL, e.g. "http://127.0.0.1:8080"; a path prefix
	// is kept.
	BaseURL string
	// Token is the access token sent as "Authorization: token <Token>"; empty sends none.
	Token string
	// HTTPClient performs the requests; nil uses a client with its own transport. Its Timeout
	// is replaced by RequestTimeout when that is set, and is RequestTimeout's default when nil.
	HTTPClient *http.Client
	// RequestTimeout bounds each attempt (connect, send, read the answer); 0 means
	// DefaultRequestTimeout (or HTTPClient's own Timeout when one is given) and a negative
	// value none.
	RequestTimeout time.Duration
	// RetryBudget bounds each call, its retries and the waits between them included; 0 means
	// DefaultRetryBudget and a negative value none. A call that runs out of it fails with a
	// *TransportError that names the server.
	RetryBudget time.Duration
	// RetryMax is the number of retries after the first attempt; 0 means DefaultRetryMax and a
	// negative value disables retries.
	RetryMax int
	// RetryWaitMin and RetryWaitMax bound the exponential backoff between attempts; 0 means
	// DefaultRetryWaitMin and DefaultRetryWaitMax. A Retry-After answer is honoured up to
	// 4×RetryWaitMax.
	RetryWaitMin, RetryWaitMax time.Duration
	// UserAgent is sent as User-Agent; empty means DefaultUserAgent.
	UserAgent string
	// Logger receives debug records of requests and retries (never headers or token values);
	// nil is silent.
	Logger *slog.Logger
}

// Client calls the iamref API. It is safe for concurrent use.
type Client struct {
	base      string // BaseURL without a trailing slash
	server    string // scheme://host of BaseURL, for messages
	timeout   time.Duration
	budget    time.Duration
	token     string
	userAgent string
	logger    *slog.Logger
	http      *retryablehttp.Client
	now       func() time.Time // for Retry-After dates; replaced in tests
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("client: Config.BaseURL must be an absolute http(s) URL without query, got %q", cfg.BaseURL)
	}
	if cfg.RetryWaitMin < 0 || cfg.RetryWaitMax < 0 {
		return nil, errors.New("client: Config.RetryWaitMin and Config.RetryWaitMax must not be negative")
	}
	c := &Client{
		base:      strings.TrimRight(cfg.BaseURL, "/"),
		server:    (&url.URL{Scheme: u.Scheme, Host: u.Host, Path: strings.TrimRight(u.Path, "/")}).String(),
		budget:    orDefault(cfg.RetryBudget, DefaultRetryBudget),
		token:     cfg.Token,
		userAgent: orDefault(cfg.UserAgent, DefaultUserAgent),
		logger:    cfg.Logger,
		now:       time.Now,
	}
	hc := cfg.HTTPClient
	switch {
	case hc == nil:
		hc = &http.Client{Timeout: orDefault(cfg.RequestTimeout, DefaultRequestTimeout), Transport: http.DefaultTransport.(*http.Transport).Clone()}
	case cfg.RequestTimeout != 0:
		copied := *hc
		hc = &copied
		hc.Timeout = cfg.RequestTimeout
	}
	if hc.Timeout < 0 {
		hc.Timeout = 0
	}
	c.timeout = hc.Timeout
	rc := &retryablehttp.Client{
		HTTPClient:   hc,
		RetryMax:     cfg.RetryMax,
		RetryWaitMin: orDefault(cfg.RetryWaitMin, DefaultRetryWaitMin),
		RetryWaitMax: orDefault(cfg.RetryWaitMax, DefaultRetryWaitMax),
		CheckRetry:   checkRetry,
		Backoff:      c.backoff,
		ErrorHandler: errorHandler,
		RequestLogHook: func(_ retryablehttp.Logger, r *http.Request, _ int) {
			if n, ok := r.Context().Value(attemptsKey{}).(*int); ok {
				*n++
			}
		},
	}
	switch {
	case cfg.RetryMax == 0:
		rc.RetryMax = DefaultRetryMax
	case cfg.RetryMax < 0:
		rc.RetryMax = 0
	}
	if rc.RetryWaitMax < rc.RetryWaitMin {
		rc.RetryWaitMax = rc.RetryWaitMin
	}
	if cfg.Logger != nil {
		rc.Logger = &logAdapter{logger: cfg.Logger, secret: cfg.Token}
	}
	c.http = rc
	return c, nil
}

// orDefault returns v, or def when v is the zero value.
func orDefault[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// Do sends one API request and decodes the answer. path is the escaped path, with any query
// string, e.g. "/api/orgs/acme/roles?uxPurpose=role". in, when not nil, is sent as the JSON body;
// out, when not nil, receives the JSON answer (an empty answer leaves it unchanged). A non-2xx
// answer is returned as *APIError. Do sends an Idempotency-Key only when ctx carries one (see
// WithIdempotencyKey); the typed create methods add one themselves.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	key, _ := IdempotencyKey(ctx)
	return c.do(ctx, method, path, in, out, key)
}

func (c *Client) get(ctx context.Context, path string, out any) error {
	return c.do(ctx, http.MethodGet, path, nil, out, "")
}

// create POSTs a create request with an idempotency key: the caller's (WithIdempotencyKey) or a
// new random one, the same for every retry of this call.
func (c *Client) create(ctx context.Context, path string, in, out any) error {
	key, ok := IdempotencyKey(ctx)
	if !ok {
		key = newUUID()
	}
	return c.do(ctx, http.MethodPost, path, in, out, key)
}

func (c *Client) do(ctx context.Context, method, path string, in, out any, idempotencyKey string) error {
	if !strings.HasPrefix(path, "/") {
		return fmt.Errorf("client: path %q must start with /", path)
	}
	var body any // an untyped nil sends no body
	if in != nil {
		data, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("%s %s: encoding request: %w", method, trimQuery(path), err)
		}
		body = data
	}
	req, err := retryablehttp.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, trimQuery(path), err)
	}
	h := req.Header
	if c.token != "" {
		h.Set("Authorization", "token "+c.token)
	}
	h.Set("Accept", apitype.AcceptV8)
	h.Set("User-Agent", c.userAgent)
	if in != nil {
		h.Set("Content-Type", "application/json")
	}
	if idempotencyKey != "" {
		h.Set("Idempotency-Key", idempotencyKey)
	}

	start := time.Now()
	attempts := new(int)
	callCtx := context.WithValue(ctx, attemptsKey{}, attempts)
	if c.budget > 0 {
		var cancel context.CancelFunc
		callCtx, cancel = context.WithTimeout(callCtx, c.budget)
		defer cancel()
	}
	resp, err := c.http.Do(req.WithContext(callCtx))
	if err != nil {
		c.log(ctx, slog.LevelDebug, "request failed", method, path, 0, start)
		if ctx.Err() != nil { // the caller's own cancellation or deadline
			return fmt.Errorf("%s %s: %w", method, trimQuery(path), err)
		}
		return &TransportError{Method: method, Path: trimQuery(path), Server: c.server, Attempts: *attempts,
			Elapsed: time.Since(start), RequestTimeout: c.timeout, Budget: c.budget, Err: err}
	}
	defer func() {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		_ = resp.Body.Close()
	}()
	c.log(ctx, slog.LevelDebug, "request", method, path, resp.StatusCode, start)

	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return newAPIError(method, trimQuery(path), resp)
	}
	if out == nil || resp.StatusCode == http.StatusNoContent {
		return nil
	}
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("%s %s: reading response: %w", method, trimQuery(path), err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("%s %s: decoding response: %w", method, trimQuery(path), err)
	}
	return nil
}

func (c *Client) log(ctx context.Context, level slog.Level, msg, method, path string, status int, start time.Time) {
	if c.logger == nil {
		return
	}
	attrs := []slog.Attr{slog.String("method", method), slog.String("path", trimQuery(path)), slog.Duration("elapsed", time.Since(start))}
	if status != 0 {
		attrs = append(attrs, slog.Int("status", status))
	}
	c.logger.LogAttrs(ctx, level, msg, attrs...)
}

// apiPath joins segments into an absolute path, escaping each one with url.PathEscape, so that
// a name such as "ci/deploy" stays one segment ("ci%2Fdeploy").
func apiPath(segments ...string) string {
	var b strings.Builder
	for _, s := range segments {
		b.WriteByte('/')
		b.WriteString(url.PathEscape(s))
	}
	return b.String()
}

// withQuery appends the non-empty values of q to path, in key order.
func withQuery(path string, q url.Values) string {
	clean := url.Values{}
	for k, vs := range q {
		for _, v := range vs {
			if v != "" {
				clean.Add(k, v)
			}
		}
	}
	if len(clean) == 0 {
		return path
	}
	return path + "?" + clean.Encode()
}

func trimQuery(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

// required fails when one of the name/value pairs has an empty value, or a value that a server
// would take as a dot segment, so that a bad identifier never turns into a request for a
// different route.
func required(nameValues ...string) error {
	for i := 0; i+1 < len(nameValues); i += 2 {
		switch name, v := nameValues[i], nameValues[i+1]; v {
		case "":
			return fmt.Errorf("client: %s must not be empty", name)
		case ".", "..":
			return fmt.Errorf("client: %s %q is not a valid name", name, v)
		}
	}
	return nil
}
