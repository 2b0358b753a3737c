package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"
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
	// OAuthError is the RFC 6749 §5.2 error code of an OAuth endpoint's refusal (e.g.
	// "invalid_grant"), whose description is then Message; "" for other answers.
	OAuthError string
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
	var oauth apitype.OAuthErrorResponse
	if resp.StatusCode >= 400 && resp.StatusCode < 500 && json.Unmarshal(data, &oauth) == nil && oauth.Error != "" {
		e.Code, e.OAuthError, e.Message = resp.StatusCode, oauth.Error, oauth.Error
		if oauth.ErrorDescription != "" {
			e.Message += ": " + oauth.ErrorDescription
		}
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

// IsNotFound reports whether err is an *APIError with status 404, whatever was not found: to
// learn whether a record is gone, use IsRecordNotFound.
func IsNotFound(err error) bool { return StatusCode(err) == http.StatusNotFound }

// IsConflict reports whether err is an *APIError with status 409.
func IsConflict(err error) bool { return StatusCode(err) == http.StatusConflict }

// IsForbidden reports whether err is an *APIError with status 403.
func IsForbidden(err error) bool { return StatusCode(err) == http.StatusForbidden }

// IsUnauthorized reports whether err is an *APIError with status 401.
func IsUnauthorized(err error) bool { return StatusCode(err) == http.StatusUnauthorized }

// TransportError is a call that got no HTTP answer: the server could not be reached, or it
// did not answer within the request timeout or the retry budget. Server names the server (the
// scheme, host and path prefix of Config.BaseURL); Err is the last transport or context error.
type TransportError struct {
	Method   string
	Path     string // escaped request path, without the query
	Server   string
	Attempts int
	Elapsed  time.Duration
	// RequestTimeout and Budget are the limits the call ran under (0: none).
	RequestTimeout, Budget time.Duration
	Err                    error
}

// TimedOut reports whether the server accepted no answer in time (rather than refusing the
// connection, say).
func (e *TransportError) TimedOut() bool {
	var ne net.Error
	return errors.Is(e.Err, context.DeadlineExceeded) || errors.As(e.Err, &ne) && ne.Timeout()
}

// Error reads like `GET /api/user: no answer from http://10.0.0.5:8080 within 30s (the
// request timeout); gave up after 5 attempt(s) in 2m0s`.
func (e *TransportError) Error() string {
	head := fmt.Sprintf("%s %s: ", e.Method, e.Path)
	tries := fmt.Sprintf("%d attempt(s)", e.Attempts)
	switch {
	case e.TimedOut() && e.Budget > 0 && e.Elapsed >= e.Budget:
		return head + fmt.Sprintf("no answer from %s within %s (the retry budget; %s)", e.Server, e.Budget, tries)
	case e.TimedOut() && e.RequestTimeout > 0:
		return head + fmt.Sprintf("no answer from %s within %s (the request timeout); gave up after %s in %s",
			e.Server, e.RequestTimeout, tries, e.Elapsed.Round(time.Millisecond))
	case e.TimedOut():
		return head + fmt.Sprintf("no answer from %s; gave up after %s in %s", e.Server, tries, e.Elapsed.Round(time.Millisecond))
	}
	return head + fmt.Sprintf("cannot reach %s: %v", e.Server, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// IsTransport reports whether err is a *TransportError: no answer at all.
func IsTransport(err error) bool {
	var e *TransportError
	return errors.As(err, &e)
}

// attemptsKey is the context key of a call's attempt counter.
type attemptsKey struct{}

// NotFoundResource is what the server says it did not find: the `resource` of the not_found
// entry of a 404 answer's errors, such as "role", "token", "stack" or "organization". It is ""
// for anything else, a 404 without such an entry included: that one comes from a path no route
// matches (an API URL with an extra /api, a proxy), not from a lookup.
func NotFoundResource(err error) string {
	var e *APIError
	if !errors.As(err, &e) || e.StatusCode != http.StatusNotFound {
		return ""
	}
	found := ""
	for _, fe := range e.Errors {
		if fe.ErrorType != apitype.ErrorTypeNotFound || fe.Resource == "" {
			continue
		}
		if found != "" && found != fe.Resource {
			return "" // ambiguous
		}
		found = fe.Resource
	}
	return found
}

// IsRecordNotFound reports whether err is the server's answer that the looked-up thing, of one
// of the given resources ("role", "token", "stack", …), does not exist. An unknown organization,
// a path no route matches, and any other 404 are not: a caller that takes this answer to mean
// "deleted" must never take those for it.
func IsRecordNotFound(err error, resources ...string) bool {
	r := NotFoundResource(err)
	return r != "" && slices.Contains(resources, r)
}
