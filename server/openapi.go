package server

import (
	"net/http"

	"github.com/iamref/iam/server/openapi"
)

// serveOpenAPI answers GET /api/openapi.json with the API's OpenAPI document (package openapi).
func (s *Server) serveOpenAPI(w http.ResponseWriter, _ *http.Request, _ *call) error {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	_, err := w.Write(openapi.JSON)
	return err
}
