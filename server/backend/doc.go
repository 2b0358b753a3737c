// Package backend holds the pieces of the server's Pulumi state backend (the HTTP API the
// Pulumi CLI's cloud backend speaks, served by package server) that need no HTTP or storage:
// the secrets keys (a master key sealing one data key per stack), checkpoint deltas, and
// update-lease tokens.
package backend
