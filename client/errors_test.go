package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
)

func TestAPIErrorDecoding(t *testing.T) {
	long := strings.Repeat("é", 2000) // 4000 bytes
	tests := []struct {
		name        string
		status      int
		body        string
		wantCode    int
		wantMessage string
		wantErrors  int
		wantString  string
	}{
		{
			name:   "error response with field error",
			status: 400,
			body: `{"code":400,"message":"unknown scope \"stack:delet\": did you mean \"stack:delete\"?",` +
				`"errors":[{"resource":"role","attribute":"details.permissions[0]","errorType":"invalid","customMessage":"unknown scope \"stack:delet\": did you mean \"stack:delete\"?"}]}`,
			wantCode:    400,
			wantMessage: `unknown scope "stack:delet": did you mean "stack:delete"?`,
			wantErrors:  1,
			wantString:  `POST /api/orgs/acme/roles: 400 Bad Request: unknown scope "stack:delet": did you mean "stack:delete"? (details.permissions[0])`,
		},
		{
			name:        "several field errors",
			status:      400,
			body:        `{"code":400,"message":"invalid role","errors":[{"resource":"role","attribute":"name","errorType":"required"},{"resource":"role","attribute":"resourceType","errorType":"invalid","customMessage":"must be global or stack"}]}`,
			wantCode:    400,
			wantMessage: "invalid role",
			wantErrors:  2,
			wantString:  `POST /api/orgs/acme/roles: 400 Bad Request: invalid role (name required; resourceType: must be global or stack)`,
		},
		{
			name:        "conflict",
			status:      409,
			body:        `{"code":409,"message":"role \"ops\" already exists"}`,
			wantCode:    409,
			wantMessage: `role "ops" already exists`,
			wantString:  `POST /api/orgs/acme/roles: 409 Conflict: role "ops" already exists`,
		},
		{
			name:        "RFC 6749 error body",
			status:      400,
			body:        `{"error":"invalid_grant","error_description":"the subject token was refused; the server's audit log says why"}`,
			wantCode:    400,
			wantMessage: `invalid_grant: the subject token was refused; the server's audit log says why`,
			wantString:  `POST /api/orgs/acme/roles: 400 Bad Request: invalid_grant: the subject token was refused; the server's audit log says why`,
		},
		{
			name:        "plain text body",
			status:      502,
			body:        "bad gateway\n",
			wantCode:    502,
			wantMessage: "bad gateway",
			wantString:  "POST /api/orgs/acme/roles: 502 Bad Gateway: bad gateway",
		},
		{
			name:        "JSON that is not an error response",
			status:      500,
			body:        `{"error":"boom"}`,
			wantCode:    500,
			wantMessage: `{"error":"boom"}`,
			wantString:  `POST /api/orgs/acme/roles: 500 Internal Server Error: {"error":"boom"}`,
		},
		{
			name:       "empty body",
			status:     404,
			wantCode:   404,
			wantString: "POST /api/orgs/acme/roles: 404 Not Found",
		},
		{
			name:        "long body truncated to 1 KiB",
			status:      500,
			body:        long,
			wantCode:    500,
			wantMessage: long[:1020] + "…",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := newRecorder(t, func(_ int, w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			c := newTestClient(t, rec, func(cfg *Config) { cfg.RetryMax = -1 })
			_, err := c.CreateRole(context.Background(), "acme", apitype.CreateRoleRequest{Name: "ops"})
			var e *APIError
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *APIError", err)
			}
			if e.StatusCode != tt.status || e.Code != tt.wantCode || e.Message != tt.wantMessage || len(e.Errors) != tt.wantErrors {
				t.Errorf("got %+v", e)
			}
			if e.Method != http.MethodPost || e.Path != "/api/orgs/acme/roles" {
				t.Errorf("method/path = %s %s", e.Method, e.Path)
			}
			if len(e.Message) > maxRawErrorBody || !utf8.ValidString(e.Message) {
				t.Errorf("message is %d bytes or not UTF-8", len(e.Message))
			}
			if tt.wantString != "" && err.Error() != tt.wantString {
				t.Errorf("Error() = %s\n      want %s", err, tt.wantString)
			}
		})
	}
}

func TestErrorHelpers(t *testing.T) {
	tests := []struct {
		err                                         error
		notFound, conflict, forbidden, unauthorized bool
	}{
		{&APIError{StatusCode: 404}, true, false, false, false},
		{&APIError{StatusCode: 409}, false, true, false, false},
		{&APIError{StatusCode: 403}, false, false, true, false},
		{&APIError{StatusCode: 401}, false, false, false, true},
		{&APIError{StatusCode: 400}, false, false, false, false},
		{fmt.Errorf("reading role: %w", &APIError{StatusCode: 404}), true, false, false, false},
		{errors.New("404"), false, false, false, false},
		{nil, false, false, false, false},
	}
	for _, tt := range tests {
		if IsNotFound(tt.err) != tt.notFound || IsConflict(tt.err) != tt.conflict ||
			IsForbidden(tt.err) != tt.forbidden || IsUnauthorized(tt.err) != tt.unauthorized {
			t.Errorf("helpers wrong for %v", tt.err)
		}
	}
}
