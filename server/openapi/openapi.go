// Package openapi holds the OpenAPI 3.1 document of the iamref API (openapi.json, generated
// by ./gen from the route list there and the wire types in package apitype: `make docs`).
// The server serves it at GET /api/openapi.json; server tests check that it lists every route
// of the router and that real responses validate against it.
package openapi

import _ "embed"

// JSON is the OpenAPI document.
//
//go:embed openapi.json
var JSON []byte
