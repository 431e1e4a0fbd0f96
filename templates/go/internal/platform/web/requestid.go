package web

import (
	"encoding/base32"
	"encoding/binary"
	"math/rand/v2"
)

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewRequestID returns a random ID of 26 characters, in the form of
// crypto/rand.Text. A request ID must be unique, not secret: math/rand/v2's
// generator, seeded by the system and kept per thread, makes 128 random bits
// without the system call that crypto/rand spends on every request.
func NewRequestID() string {
	var b [16]byte
	binary.LittleEndian.PutUint64(b[:8], rand.Uint64()) //nolint:gosec // unique, not secret
	binary.LittleEndian.PutUint64(b[8:], rand.Uint64()) //nolint:gosec // unique, not secret
	return idEncoding.EncodeToString(b[:])
}
