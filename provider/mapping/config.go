// Package mapping is the one home of each resource's mapping — inputs ⇄ API calls ⇄ state,
// validation and normalisation for diffs — shared by the Pulumi and Terraform front ends, which
// stay thin. Nothing here knows either framework.
package mapping

import (
	"context"
	"log/slog"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/client"
)

// Environment variables read when a setting is not given explicitly.
const (
	EnvAPIURL         = "IAM_API_URL"
	EnvAccessToken    = "IAM_ACCESS_TOKEN"
	EnvPulumiToken    = "PULUMI_ACCESS_TOKEN"
	EnvOrganization   = "IAM_ORGANIZATION"
	EnvRequestTimeout = "IAM_REQUEST_TIMEOUT"
	EnvMaxRetries     = "IAM_MAX_RETRIES"
	EnvInsecure       = "IAM_INSECURE"
	DefaultAPIURL     = "http://127.0.0.1:8080"
	// DefaultRequestTimeout bounds each API request; DefaultMaxRetries is how often a request
	// that got no answer, a 429 or a 5xx is retried. Whatever they are, one request with its
	// retries gives up after client.DefaultRetryBudget (2 minutes).
	DefaultRequestTimeout = client.DefaultRequestTimeout
	DefaultMaxRetries     = client.DefaultRetryMax
)

// Config is the provider configuration of both front ends.
type Config struct {
	APIURL       string
	AccessToken  string
	Organization string
	// RequestTimeout bounds each API request, as a duration such as "30s"; "" means
	// DefaultRequestTimeout.
	RequestTimeout string
	// MaxRetries is how often a request is retried; nil means DefaultMaxRetries.
	MaxRetries *int
	// Insecure allows plain http:// to a host other than this machine, which sends the access
	// token unencrypted.
	Insecure bool

	envErr error // a malformed environment variable, reported by New
}

// WithEnv fills unset settings from the environment: IAM_API_URL (default
// http://127.0.0.1:8080), IAM_ACCESS_TOKEN then PULUMI_ACCESS_TOKEN, IAM_ORGANIZATION,
// IAM_REQUEST_TIMEOUT, IAM_MAX_RETRIES and IAM_INSECURE (a malformed value is New's error).
func (c Config) WithEnv() Config {
	if c.APIURL == "" {
		c.APIURL = os.Getenv(EnvAPIURL)
	}
	if c.APIURL == "" {
		c.APIURL = DefaultAPIURL
	}
	if c.AccessToken == "" {
		c.AccessToken = os.Getenv(EnvAccessToken)
	}
	if c.AccessToken == "" {
		c.AccessToken = os.Getenv(EnvPulumiToken)
	}
	if c.Organization == "" {
		c.Organization = os.Getenv(EnvOrganization)
	}
	if c.RequestTimeout == "" {
		c.RequestTimeout = os.Getenv(EnvRequestTimeout)
	}
	if v := os.Getenv(EnvMaxRetries); c.MaxRetries == nil && v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			c.envErr = errorf(nil, "%s=%q: want a whole number of retries such as 4 (0 disables retries)", EnvMaxRetries, v)
		}
		c.MaxRetries = &n
	}
	if v := os.Getenv(EnvInsecure); !c.Insecure && v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			c.envErr = errorf(nil, "%s=%q: want true or false", EnvInsecure, v)
		}
		c.Insecure = b
	}
	return c
}

// isLoopback reports whether host (a URL's host, without the port) is this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// clientSettings checks the API URL and the request settings and turns them into the client's.
func (c Config) clientSettings() (timeout time.Duration, retries int, err error) {
	if c.envErr != nil {
		return 0, 0, c.envErr
	}
	u, perr := url.Parse(c.APIURL)
	if perr != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, 0, errorf(nil, "%s %q must be an http:// or https:// URL, such as %s (set it, or %s)", SettingAPIURL, c.APIURL, DefaultAPIURL, EnvAPIURL)
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) && !c.Insecure {
		return 0, 0, errorf(nil, "%s %q is plain HTTP to another machine, which would send the access token unencrypted: use https://, "+
			"or set %s to true (or %s=true) if the network between here and the server is trusted", SettingAPIURL, c.APIURL, SettingInsecure, EnvInsecure)
	}
	timeout = DefaultRequestTimeout
	if c.RequestTimeout != "" {
		timeout, perr = ParseDuration(c.RequestTimeout)
		if perr != nil || timeout <= 0 {
			return 0, 0, errorf(nil, "%s %q: want a positive duration such as \"30s\" or \"2m\" (set it, or %s)", SettingRequestTimeout, c.RequestTimeout, EnvRequestTimeout)
		}
	}
	retries = DefaultMaxRetries
	if c.MaxRetries != nil {
		if *c.MaxRetries < 0 {
			return 0, 0, errorf(nil, "%s %d: want 0 or more (0 disables retries)", SettingMaxRetries, *c.MaxRetries)
		}
		retries = *c.MaxRetries
	}
	return timeout, retries, nil
}

// Provider is a configured provider: the API client plus caches of lookups that do not change
// during one run (built-in set IDs, entity IDs).
type Provider struct {
	cfg    Config
	client *client.Client

	now func() time.Time // the clock for token expiry and early renewal

	mu       sync.Mutex
	builtins map[string]map[string]string // org → defaultIdentifier → record ID
}

// New validates cfg (after WithEnv) and builds the client. The token is only required when
// an API call is made, so that offline validation works without credentials.
//
// Plain http:// is refused for any host but this machine unless cfg.Insecure is set, so that
// the token never crosses a network unencrypted by accident.
func New(cfg Config, log *slog.Logger) (*Provider, error) {
	timeout, retries, err := cfg.clientSettings()
	if err != nil {
		return nil, err
	}
	if retries == 0 {
		retries = -1 // the client's "no retries"
	}
	c, err := client.New(client.Config{
		BaseURL: strings.TrimRight(cfg.APIURL, "/"), Token: cfg.AccessToken, Logger: log,
		UserAgent: "iamref-provider/1", RetryWaitMax: 2 * time.Second,
		RequestTimeout: timeout, RetryMax: retries,
	})
	if err != nil {
		return nil, err
	}
	return &Provider{cfg: cfg, client: c, now: time.Now, builtins: map[string]map[string]string{}}, nil
}

// SetClock makes now the provider's clock (tests move it); nil keeps the current one.
func (p *Provider) SetClock(now func() time.Time) {
	if now != nil {
		p.now = now
	}
}

// Now is the time on the provider's clock.
func (p *Provider) Now() time.Time { return p.now() }

// Client is the provider's API client.
func (p *Provider) Client() *client.Client { return p.client }

// Config is the provider's effective configuration.
func (p *Provider) Config() Config { return p.cfg }

// ErrNoToken is returned by API operations when no access token is configured.
var ErrNoToken error = errorf(nil, "no access token: set %s, or %s / %s", SettingAccessToken, EnvAccessToken, EnvPulumiToken)

// Org is the organization of a resource: its own override, else the provider's.
func (p *Provider) Org(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	if p.cfg.Organization != "" {
		return p.cfg.Organization, nil
	}
	return "", errorf(nil, "no organization: set the resource's %s, the provider's %s, or %s", FieldOrganization, SettingOrganization, EnvOrganization)
}

// apiOrg is Org for an operation that calls the API, which needs an access token.
func (p *Provider) apiOrg(override string) (string, error) {
	org, err := p.Org(override)
	if err != nil {
		return "", err
	}
	return org, p.ready()
}

func (p *Provider) ready() error {
	if p.cfg.AccessToken == "" {
		return ErrNoToken
	}
	return nil
}

// CheckOrgExists asks the server, read-only, whether it serves organization org. A resource
// moved to another organization is replaced; where the replacement deletes first (Terraform's
// default), a mistyped organization would delete the live resource and then fail to create
// it, so the plan checks the target first. Any answer but "the organization exists" (a 403 on
// the probe still says it does) is an error.
func (p *Provider) CheckOrgExists(ctx context.Context, org string) error {
	if err := p.ready(); err != nil {
		return err
	}
	_, err := p.client.ListScopes(ctx, org)
	if err == nil || client.IsForbidden(err) {
		return nil
	}
	return apiErr("check that organization "+org+" exists before moving a resource to it", err)
}
