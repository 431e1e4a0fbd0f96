// Package migrations holds the versioned SQL migrations of the database,
// embedded in the binary so that `migrate` needs nothing else.
package migrations

import "embed"

// FS holds the migration files, applied in the order of their numbers.
//
//go:embed *.sql
var FS embed.FS
