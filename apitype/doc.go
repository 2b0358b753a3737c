// Package apitype holds the JSON wire types of the iamref API. They match Pulumi Cloud's IAM,
// stacks, ESC and Insights shapes field for field (as generated in pulumi-cloud-sdk's apitype), so
// that a client written for Pulumi Cloud decodes our responses unchanged; the few iamref
// extensions are additive and noted on the field. The package depends on the standard library
// only and is shared by the server, the Go client and both providers.
package apitype

// Media types accepted in the Accept header. Older Pulumi clients send +8, newer ones +9; the
// server answers both with the same JSON.
const (
	AcceptV8 = "application/vnd.pulumi+8"
	AcceptV9 = "application/vnd.pulumi+9"
)

// nonNil returns s, or an empty slice when s is nil, so that lists encode as [] and not null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
