// Package api holds the service's OpenAPI document, which the server answers
// at GET /openapi.json and clients are generated from.
package api

import _ "embed"

// OpenAPI is openapi.json, embedded so that the binary serves the document it
// was built with.
//
//go:embed openapi.json
var OpenAPI []byte
