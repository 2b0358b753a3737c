// Package mapping is the one home of each resource's mapping — inputs ⇄ API calls ⇄ state,
// validation and normalisation for diffs — shared by the Pulumi and Terraform front ends, which
// stay thin. Nothing here knows either framework.
package mapping

import (
	"errors"
	"fmt"
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

	mu       sync.Mutex
	builtins map[string]map[string]string // org → defaultIdentifier → record ID
}

// New validates cfg (after WithEnv) and builds the client. The token is only required when
// an API call is made, so that offline validation works without credentials.
func New(cfg Config, log *slog.Logger) (*Provider, error) {
	if !strings.HasPrefix(cfg.APIURL, "http://") && !strings.HasPrefix(cfg.APIURL, "https://") {
		return nil, fmt.Errorf("apiUrl %q must be an http:// or https:// URL (setting iam:apiUrl / api_url, or %s)", cfg.APIURL, EnvAPIURL)
	}
	c, err := client.New(client.Config{
		BaseURL: strings.TrimRight(cfg.APIURL, "/"), Token: cfg.AccessToken, Logger: log,
		UserAgent: "iamref-provider/1", RetryWaitMax: 2 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	return &Provider{cfg: cfg, client: c, builtins: map[string]map[string]string{}}, nil
}

// Client is the provider's API client.
func (p *Provider) Client() *client.Client { return p.client }

// Config is the provider's effective configuration.
func (p *Provider) Config() Config { return p.cfg }

// ErrNoToken is returned by API operations when no access token is configured.
var ErrNoToken = errors.New("no access token: set iam:accessToken (Pulumi) or access_token (Terraform), or IAM_ACCESS_TOKEN / PULUMI_ACCESS_TOKEN")

// Org is the organization of a resource: its own override, else the provider's.
func (p *Provider) Org(override string) (string, error) {
	if override != "" {
		return override, nil
	}
	if p.cfg.Organization != "" {
		return p.cfg.Organization, nil
	}
	return "", errors.New("no organization: set the resource's organization, the provider's organization setting, or IAM_ORGANIZATION")
}

func (p *Provider) ready() error {
	if p.cfg.AccessToken == "" {
		return ErrNoToken
	}
	return nil
}

// Problem is a validation failure of one input field, with the fix in Msg.
type Problem struct {
	Field string // e.g. "scopes[1]" or "grants[0].stacks[2]"
	Msg   string
}

func (p Problem) Error() string { return p.Field + ": " + p.Msg }

// Problems is a list of validation failures; it is an error when non-empty.
type Problems []Problem

func (ps Problems) Error() string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = p.Error()
	}
	return strings.Join(parts, "; ")
}

// Err is ps as an error, or nil when empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}
