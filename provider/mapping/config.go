// Package mapping is the one home of each resource's mapping — inputs ⇄ API calls ⇄ state,
// validation and normalisation for diffs — shared by the Pulumi and Terraform front ends, which
// stay thin. Nothing here knows either framework.
package mapping

import (
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/iamref/iam/client"
)

// Environment variables read when a setting is not given explicitly.
const (
	EnvAPIURL       = "IAM_API_URL"
	EnvAccessToken  = "IAM_ACCESS_TOKEN"
	EnvPulumiToken  = "PULUMI_ACCESS_TOKEN"
	EnvOrganization = "IAM_ORGANIZATION"
	DefaultAPIURL   = "http://127.0.0.1:8080"
)

// Config is the provider configuration of both front ends.
type Config struct {
	APIURL       string
	AccessToken  string
	Organization string
}

// WithEnv fills unset settings from the environment: IAM_API_URL (default
// http://127.0.0.1:8080), IAM_ACCESS_TOKEN then PULUMI_ACCESS_TOKEN, IAM_ORGANIZATION.
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
	return c
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
func New(cfg Config, log *slog.Logger) (*Provider, error) {
	if !strings.HasPrefix(cfg.APIURL, "http://") && !strings.HasPrefix(cfg.APIURL, "https://") {
		return nil, errorf(nil, "%s %q must be an http:// or https:// URL (set it, or %s)", SettingAPIURL, cfg.APIURL, EnvAPIURL)
	}
	c, err := client.New(client.Config{
		BaseURL: strings.TrimRight(cfg.APIURL, "/"), Token: cfg.AccessToken, Logger: log,
		UserAgent: "iamref-provider/1", RetryWaitMax: 2 * time.Second,
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
