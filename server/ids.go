package server

import (
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"regexp"
	"sync"
)

// newID is a random UUID (version 4).
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand never fails on supported platforms
	return formatUUID(b, 4)
}

// uuidFrom is a name-based UUID (version 5 layout over SHA-256): stable for the same name.
func uuidFrom(name string) string {
	h := sha256.Sum256([]byte(name))
	var b [16]byte
	copy(b[:], h[:16])
	return formatUUID(b, 5)
}

func formatUUID(b [16]byte, version byte) string {
	b[6] = b[6]&0x0f | version<<4
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// namePattern is what Pulumi accepts for project, stack and environment names.
var namePattern = regexp.MustCompile(`^[A-Za-z0-9_.-]+$`)

// validName checks a project, stack, environment, account or org name.
func validName(field, v string, maxLen int) error {
	switch {
	case v == "":
		return fmt.Errorf("%s is required", field)
	case len(v) > maxLen:
		return fmt.Errorf("%s %q is longer than %d characters", field, v, maxLen)
	case !namePattern.MatchString(v) || v == "." || v == "..":
		return fmt.Errorf("%s %q may contain only letters, digits, '-', '_' and '.'", field, v)
	}
	return nil
}

// keyedMutex serializes work per key (idempotent creates with the same key).
type keyedMutex struct {
	mu    sync.Mutex
	locks map[string]*keyedLock
}

type keyedLock struct {
	sync.Mutex
	refs int
}

func (k *keyedMutex) lock(key string) func() {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*keyedLock{}
	}
	l, ok := k.locks[key]
	if !ok {
		l = &keyedLock{}
		k.locks[key] = l
	}
	l.refs++
	k.mu.Unlock()
	l.Lock()
	return func() {
		l.Unlock()
		k.mu.Lock()
		l.refs--
		if l.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
