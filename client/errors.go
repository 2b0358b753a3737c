package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/iamref/iam/apitype"
)

// maxRawErrorBody bounds the raw body kept as Message when an error answer is not JSON.
const maxRawErrorBody = 1 << 10

// APIError is a non-2xx answer. Code, Message and Errors come from the apitype.ErrorResponse
// body; when the body is not one, Message holds its text (at most 1 KiB).
type APIError struct {
	StatusCode int
	Code       int
	Message    string
	Errors     []apitype.FieldError
	Method     string
	Path       string // escaped request path, without the query
}

// Error reads like
// `POST /api/orgs/acme/roles: 400 Bad Request: unknown scope "stack:delet" (details.permissions[0])`.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %d", e.Method, e.Path, e.StatusCode)
	if text := http.StatusText(e.StatusCode); text != "" {
		b.WriteString(" " + text)
	}
	if e.Message != "" {
		b.WriteString(": " + e.Message)
	}
	var details []string
	for _, fe := range e.Errors {
		d := fe.Attribute
		if d == "" {
			d = fe.Resource
		}
		if fe.CustomMessage != "" && !strings.Contains(e.Message, fe.CustomMessage) {
			d = strings.TrimPrefix(d+": "+fe.CustomMessage, ": ")
		} else if d != "" && fe.ErrorType != "" && fe.ErrorType != apitype.ErrorTypeCustom && fe.ErrorType != apitype.ErrorTypeInvalid {
			d += " " + strings.ReplaceAll(fe.ErrorType, "_", " ")
		}
		if d != "" {
			details = append(details, d)
		}
	}
	if len(details) > 0 {
		b.WriteString(" (" + strings.Join(details, "; ") + ")")
	}
	return b.String()
}

func newAPIError(method, path string, resp *http.Response) *APIError {
	e := &APIError{StatusCode: resp.StatusCode, Method: method, Path: path}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var body apitype.ErrorResponse
	if json.Unmarshal(data, &body) == nil && (body.Message != "" || body.Code != 0 || len(body.Errors) > 0) {
		e.Code, e.Message, e.Errors = body.Code, body.Message, body.Errors
		return e
	}
	e.Code = resp.StatusCode
	e.Message = truncate(strings.TrimSpace(string(data)), maxRawErrorBody)
	return e
}

// truncate shortens s to at most n bytes, ending it with "…", without splitting a UTF-8
// sequence.
func truncate(s string, n int) string {
	const ellipsis = "…"
	if len(s) <= n {
		return s
	}
	s = s[:n-len(ellipsis)]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + ellipsis
}

// StatusCode returns the HTTP status of err's *APIError, or 0 when err has none.
func StatusCode(err error) int {
	var e *APIError
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// IsNotFound reports whether err is an *APIError with status 404.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is an *APIError with status 409.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsForbidden reports whether err is an *APIError with status 403.
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsUnauthorized reports whether err is an *APIError with status 401.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }
