package mapping_test

import (
	"strings"
	"testing"

	"github.com/iamref/iam/provider/mapping"
)

// The token goes over plain HTTP only to this machine, unless the user opts in; request
// settings are checked, from settings and from the environment.
func TestNewChecksURLAndRequestSettings(t *testing.T) {
	for _, k := range []string{mapping.EnvRequestTimeout, mapping.EnvMaxRetries, mapping.EnvInsecure} {
		t.Setenv(k, "")
	}
	neg := -1
	for _, c := range []struct {
		cfg  mapping.Config
		env  map[string]string
		want string // "" = accepted
	}{
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080"}},
		{cfg: mapping.Config{APIURL: "http://localhost:8080"}},
		{cfg: mapping.Config{APIURL: "http://[::1]:8080"}},
		{cfg: mapping.Config{APIURL: "https://iam.example.com"}},
		{cfg: mapping.Config{APIURL: "http://iam.example.com:8080"}, want: `apiUrl "http://iam.example.com:8080" is plain HTTP to another machine, which would send the access token unencrypted: use https://, or set insecure to true (or IAM_INSECURE=true)`},
		{cfg: mapping.Config{APIURL: "http://10.0.0.5:8080"}, want: "set insecure to true"},
		{cfg: mapping.Config{APIURL: "http://10.0.0.5:8080", Insecure: true}},
		{cfg: mapping.Config{APIURL: "http://10.0.0.5:8080"}, env: map[string]string{mapping.EnvInsecure: "true"}},
		{cfg: mapping.Config{APIURL: "http://10.0.0.5:8080"}, env: map[string]string{mapping.EnvInsecure: "yes please"}, want: `IAM_INSECURE="yes please": want true or false`},
		{cfg: mapping.Config{APIURL: "ftp://x"}, want: `apiUrl "ftp://x" must be an http:// or https:// URL`},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080", RequestTimeout: "5s"}},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080"}, env: map[string]string{mapping.EnvRequestTimeout: "2m"}},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080", RequestTimeout: "soon"}, want: `requestTimeout "soon": want a positive duration such as "30s"`},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080", RequestTimeout: "0s"}, want: `requestTimeout "0s"`},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080", MaxRetries: &neg}, want: "maxRetries -1: want 0 or more"},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080"}, env: map[string]string{mapping.EnvMaxRetries: "3"}},
		{cfg: mapping.Config{APIURL: "http://127.0.0.1:8080"}, env: map[string]string{mapping.EnvMaxRetries: "many"}, want: `IAM_MAX_RETRIES="many": want a whole number`},
	} {
		for k, v := range c.env {
			t.Setenv(k, v)
		}
		_, err := mapping.New(c.cfg.WithEnv(), nil)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%+v %v: %v", c.cfg, c.env, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%+v %v: %v\nwant %q", c.cfg, c.env, err, c.want)
		}
		for k := range c.env {
			t.Setenv(k, "")
		}
	}
}
