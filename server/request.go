package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
)

// readBody reads the whole (size-limited) request body. An oversized body is a 413; one that
// ends before its declared length (the client went away) is a 400.
func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(r.Body)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "request body is larger than %d bytes", tooBig.Limit)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return nil, errorf(http.StatusBadRequest, "the request body ended before its declared length")
	}
	return b, err
}

// decodeBody reads the request body and decodes it strictly into v (see decodeJSON). It
// returns the raw body for callers that also hash it (idempotent creates).
func decodeBody(r *http.Request, resource string, v any) ([]byte, error) {
	body, err := readBody(r)
	if err != nil {
		return nil, err
	}
	return body, decodeJSON(body, resource, v)
}

// decodeJSON decodes a JSON body strictly: an empty body, unknown fields and trailing data are
// 400s that name the field.
func decodeJSON(body []byte, resource string, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return invalid(resource, typeErr.Field, "want %s, got a JSON %s", typeErr.Type, typeErr.Value)
		case errors.As(err, &syntaxErr):
			return invalid(resource, "body", "invalid JSON at byte %d: %v", syntaxErr.Offset, err)
		case errors.Is(err, io.EOF): // nothing but white space
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

// unknownField extracts the name from encoding/json's "json: unknown field \"x\"" error.
func unknownField(err error) (string, bool) {
	var name string
	if _, scanErr := fmt.Sscanf(err.Error(), "json: unknown field %q", &name); scanErr == nil {
		return name, true
	}
	return "", false
}
