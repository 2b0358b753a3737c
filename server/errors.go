package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
)

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

func conflict(resource, attribute, format string, args ...any) *apiError {
	e := errorf(http.StatusConflict, format, args...)
	e.fields = []apitype.FieldError{{Resource: resource, Attribute: attribute, ErrorType: apitype.ErrorTypeAlreadyExists, CustomMessage: e.msg}}
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
		_ = json.NewEncoder(w).Encode(v)
	}
}

func writeError(w http.ResponseWriter, err error) int {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = &apiError{status: http.StatusInternalServerError, msg: "internal server error"}
	}
	writeJSON(w, ae.status, apitype.ErrorResponse{Code: ae.status, Message: ae.msg, Errors: ae.fields})
	return ae.status
}

// decodeJSON reads a JSON body strictly: unknown fields and trailing data are errors that
// name the field; an oversized body is a 413.
func decodeJSON(r io.Reader, resource string, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &tooBig):
			return errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
		case errors.As(err, &typeErr):
			return invalid(resource, typeErr.Field, "want %s, got a JSON %s", typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return invalid(resource, "body", "invalid JSON at byte %d: %v", syntaxErr.Offset, err)
		case err.Error() == "EOF":
			return invalid(resource, "body", "a JSON body is required")
		}
		if field, ok := unknownField(err); ok {
			return invalid(resource, field, "unknown field; check the spelling against the API reference")
		}
		return invalid(resource, "body", "invalid JSON: %v", err)
	}
	if dec.More() {
		return invalid(resource, "body", "trailing data after the JSON object")
	}
	return nil
}

func decodeJSONBytes(b []byte, resource string, v any) error {
	return decodeJSON(bytes.NewReader(b), resource, v)
}

// unknownField extracts the name from encoding/json's "json: unknown field \"x\"" error.
func unknownField(err error) (string, bool) {
	var name string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &name); scanErr == nil {
		return name, true
	}
	return "", false
}
