// Package oidcrule is the grammar of OIDC authorization policies, shared by the server (which
// validates and evaluates them) and the providers (which validate them offline): claim paths
// (dotted keys, quoted keys with dots), patterns with `*` and `?` wildcards, matching a
// verified token's claims, and the validation of a policy's definitions (decision, token type
// and the fields it uses, at most 40 definitions, an allow that pins some claim).
package oidcrule
