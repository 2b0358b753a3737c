package backend

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"regexp"
)

// A lease is the token the CLI sends as "Authorization: update-token <value>" while an update
// runs. Its value has a prefix of its own ("upd-"), so no lease is ever an API token ("pul-")
// and no API token is ever a lease. Only its SHA-256 is stored.
var leasePattern = regexp.MustCompile(`^upd-[0-9a-f]{64}$`)

// NewLease returns a fresh lease value and its hash.
func NewLease() (value string, hash []byte, err error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", nil, err
	}
	value = "upd-" + hex.EncodeToString(b[:])
	return value, LeaseHash(value), nil
}

// LeaseHash is the stored form of a lease value.
func LeaseHash(value string) []byte {
	h := sha256.Sum256([]byte(value))
	return h[:]
}

// ValidLease reports whether value has the form of a lease.
func ValidLease(value string) bool { return leasePattern.MatchString(value) }
