package server

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/iamref/iam/apitype"
	"github.com/iamref/iam/authz"
	"github.com/iamref/iam/server/store"
)

// Break-glass: minting an admin token, and revoking the tokens the server minted itself, directly
// on the database while no server runs on it (`iam-server admin-token`, `iam-server
// revoke-bootstrap`), for an operator who has lost every admin token. Each change is audited in
// its own transaction with the actor BreakGlassActor.

// BreakGlassActor is the audit actor of changes made offline on the database.
const BreakGlassActor = "break-glass"

const (
	mintedBy              = "iam-server" // Token.CreatedBy of the tokens the server mints itself
	bootstrapDescription  = "bootstrap admin token"
	breakGlassDescription = "break-glass admin token"
)

// MintAdminToken creates a token of the built-in admin role of org in st, named name (or
// name-2, name-3, … when taken: names stay reserved), and returns its value, which is not
// stored. The org must exist (a server has started on the database with it). The audit record
// (actor "break-glass", action org_token:create) is written with the token; note (who ran it,
// where) goes into its path.
func MintAdminToken(ctx context.Context, st store.Store, org, name, note string) (value string, tok store.Token, err error) {
	if _, err := st.GetOrg(ctx, org); err != nil {
		return "", store.Token{}, fmt.Errorf("organization %q: %w", org, err)
	}
	value, err = newTokenValue()
	if err != nil {
		return "", store.Token{}, err
	}
	for i := 0; ; i++ {
		n := name
		if i > 0 {
			n = fmt.Sprintf("%s-%d", name, i+1)
		}
		now := time.Now().UTC().Truncate(time.Microsecond)
		tok = store.Token{
			ID: newID(), Org: org, Name: n, Description: breakGlassDescription,
			Hash: hashToken(value), RoleID: builtinID(org, "admin"), Created: now, CreatedBy: mintedBy,
		}
		ev := breakGlassEvent(org, "POST", "iam-server admin-token", "org_token:create", n, 201, note)
		err = st.CreateToken(store.WithAudit(ctx, store.NewMutationAudit(func() store.AuditEvent { return ev })), tok)
		if err == nil {
			return value, tok, nil
		}
		if !errors.Is(err, store.ErrConflict) || i > 100 {
			return "", store.Token{}, err
		}
	}
}

// ServerMintedTokens returns the live admin tokens of org the server minted itself: the
// IAM_BOOTSTRAP_TOKEN, the token a first start printed, and break-glass tokens; oldest first.
func ServerMintedTokens(ctx context.Context, st store.Store, org string) ([]store.Token, error) {
	all, err := st.ListTokens(ctx, org, store.TokensAll, time.Now())
	if err != nil {
		return nil, err
	}
	var out []store.Token
	for _, t := range all {
		if t.CreatedBy == mintedBy && t.RoleID == builtinID(org, "admin") &&
			(t.Description == bootstrapDescription || t.Description == breakGlassDescription) {
			out = append(out, t)
		}
	}
	for i := 1; i < len(out); i++ { // insertion sort by creation: a handful of tokens
		for j := i; j > 0 && out[j].Created.Before(out[j-1].Created); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out, nil
}

// RevokeToken deletes token tok of org in st, audited with actor "break-glass"; note as above.
func RevokeToken(ctx context.Context, st store.Store, tok store.Token, note string) error {
	ev := breakGlassEvent(tok.Org, "DELETE", "iam-server revoke-bootstrap", "org_token:delete", tok.Name, 204, note)
	return st.DeleteToken(store.WithAudit(ctx, store.NewMutationAudit(func() store.AuditEvent { return ev })),
		tok.Org, tok.ID, time.Now().UTC().Truncate(time.Microsecond))
}

// breakGlassEvent is the audit record of an offline change: the command stands where a request
// path would, with the token it minted or revoked and the note (the Reason field is for failures).
func breakGlassEvent(org, method, command, action, tokenName string, status int, note string) store.AuditEvent {
	path := command + " (token " + tokenName + ")"
	if note != "" {
		path += " " + note
	}
	return limitEvent(store.AuditEvent{
		Org: org, Time: time.Now().UTC(), Actor: BreakGlassActor, TokenName: BreakGlassActor,
		Method: method, Path: path, Action: action, Entity: label(authz.KindOrg, "", org),
		Decision: apitype.DecisionAllow, Status: status, SourceIP: "local",
	})
}
