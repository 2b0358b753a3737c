package client

import (
	"context"
	"crypto/rand"
	"fmt"
)

type idempotencyKeyCtx struct{}

// WithIdempotencyKey returns a context that makes the create call made with it send key as its
// Idempotency-Key, instead of a fresh random one. Reuse the same key to retry a create across
// process restarts; use a new context per logical create, since every request made with the
// context (including Do) sends the key.
func WithIdempotencyKey(ctx context.Context, key string) context.Context {
	return context.WithValue(ctx, idempotencyKeyCtx{}, key)
}

// IdempotencyKey returns the key set by WithIdempotencyKey, if any.
func IdempotencyKey(ctx context.Context) (string, bool) {
	key, ok := ctx.Value(idempotencyKeyCtx{}).(string)
	return key, ok && key != ""
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
