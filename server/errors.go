package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// unavailableMessage answers a request the store could not serve (store.ErrUnavailable).
const unavailableMessage = "service unavailable: the database cannot be reached or written (restarting, unreachable, disk full or read-only); " +
	"retry shortly (a create retried with the same Idempotency-Key replays its first answer)"

// apiError is an error with an HTTP status and Pulumi's error body.
type apiError struct {
	status int
	msg    string
	fields []apitype.FieldError
}

func (e *apiError) Error() string { return e.msg }

func errorf(status int, format string, args ...any) *apiError {
	return &apiError{status: status, msg: fmt.Sprintf(format, args...)}
}

// fieldError is a 400 that names the offending field (errors[].attribute) and the fix.
func fieldError(resource, attribute, errorType, format string, args ...any) *apiError {
	msg := fmt.Sprintf(format, args...)
	return &apiError{
		status: http.StatusBadRequest,
		msg:    fmt.Sprintf("%s: %s", attribute, msg),
		fields: []apitype.FieldError{{Resource: resource, Attribute: attribute, ErrorType: errorType, CustomMessage: msg}},
	}
}

func invalid(resource, attribute, format string, args ...any) *apiError {
	return fieldError(resource, attribute, apitype.ErrorTypeInvalid, format, args...)
}

func required(resource, attribute string) *apiError {
	return fieldError(resource, attribute, apitype.ErrorTypeRequired, "required")
}

func notFound(resource, format string, args ...any) *apiError {
	e := errorf(http.StatusNotFound, format, args...)
	e.fields = []apitype.FieldError{{Resource: resource, ErrorType: apitype.ErrorTypeNotFound, CustomMessage: e.msg}}
	return e
}

// conflict is a 409 for a clash of names or IDs: the thing the request would create, or the
// name it would take, exists already (errorType already_exists).
func conflict(resource, attribute, format string, args ...any) *apiError {
	return conflictOf(apitype.ErrorTypeAlreadyExists, resource, attribute, format, args...)
}

// refused is a 409 for every other conflict with the current state: a record still in use,
// the last admin, a version that moved on. Pulumi's errorType values have no "in use", so it
// carries custom, whose customMessage is the explanation (and the client prints no
// "(… already exists)" after it).
func refused(resource, attribute, format string, args ...any) *apiError {
	return conflictOf(apitype.ErrorTypeCustom, resource, attribute, format, args...)
}

func conflictOf(errorType, resource, attribute, format string, args ...any) *apiError {
	e := errorf(http.StatusConflict, format, args...)
	e.fields = []apitype.FieldError{{Resource: resource, Attribute: attribute, ErrorType: errorType, CustomMessage: e.msg}}
	return e
}

// detailsError turns an authz parse or grant error into a 400 naming the JSON path.
func detailsError(resource, root string, err error) *apiError {
	if pe, ok := authz.AsParseError(err); ok {
		return invalid(resource, pe.Field(root), "%s", pe.Msg)
	}
	return invalid(resource, root, "%s", err.Error())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false) // details come back as sent: '<' stays one byte, not six
		_ = enc.Encode(v)
	}
}

func writeError(w http.ResponseWriter, err error) int {
	var ae *apiError
	switch {
	case errors.As(err, &ae):
	case errors.Is(err, store.ErrUnavailable):
		// The cause (host names, file paths) stays in the server's log.
		ae = &apiError{status: http.StatusServiceUnavailable, msg: unavailableMessage}
		w.Header().Set("Retry-After", "1")
	default:
		ae = &apiError{status: http.StatusInternalServerError, msg: "internal server error"}
	}
	writeJSON(w, ae.status, apitype.ErrorResponse{Code: ae.status, Message: ae.msg, Errors: ae.fields})
	return ae.status
}
