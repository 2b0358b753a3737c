package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/user"
	"slices"
	"time"

	"github.com/spf13/cobra"

	"github.com/iamref/iam/server"
	"github.com/iamref/iam/server/store"
)

// adminTokenCmd is the break-glass path: a new admin token minted directly on the database.
func adminTokenCmd() *cobra.Command {
	var db, org, name, file string
	var revoke bool
	cmd := &cobra.Command{
		Use:   "admin-token",
		Short: "Mint a new admin token offline on the database (break-glass)",
		Long: `Mint a token of the built-in admin role directly on the database --db, for when every
admin token is lost. The server must be stopped (the command takes the database's lock). The
token is printed once on standard output, or written to --admin-token-file (mode 0600); it is
recorded in the audit log with the actor "break-glass".

With --revoke-bootstrap, every older token the server minted itself (the IAM_BOOTSTRAP_TOKEN,
the token a first start printed, earlier break-glass tokens) is revoked too; unset
IAM_BOOTSTRAP_TOKEN before the next start, which otherwise refuses a revoked value.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, unlock, err := openDB(ctx, db, org, false)
			if err != nil {
				return err
			}
			defer unlock()
			older, err := server.ServerMintedTokens(ctx, st, org)
			if err != nil {
				return err
			}
			var out *os.File
			if file != "" {
				if out, err = createSecretFile(file); err != nil {
					return fmt.Errorf("--admin-token-file: %w", err)
				}
			}
			value, tok, err := server.MintAdminToken(ctx, st, org, name, operatorNote())
			if err != nil {
				if out != nil {
					out.Close()
				}
				return err
			}
			w := cmd.OutOrStdout()
			if out != nil {
				if err := writeSecretFile(out, value); err != nil {
					return fmt.Errorf("--admin-token-file: %w (the token %s was created; run this command again)", err, tok.Name)
				}
				fmt.Fprintf(w, "Created admin token %q (ID %s) for org %q and wrote it to %s (mode 0600).\n", tok.Name, tok.ID, org, file)
			} else {
				fmt.Fprintf(w, "Created admin token %q (ID %s) for org %q. It is shown only once; store it now:\n\n  %s\n\n", tok.Name, tok.ID, org, value)
			}
			if revoke {
				return revokeTokens(ctx, w, st, older)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "./iam.db", "SQLite database file of the server (must exist), or its PostgreSQL URL")
	f.StringVar(&org, "org", "acme", "organization of the token (must be the database's)")
	f.StringVar(&name, "name", "break-glass", "token name (-2, -3, … appended when taken)")
	f.StringVar(&file, "admin-token-file", "", "file to write the token to, mode 0600 (default: printed on standard output)")
	f.BoolVar(&revoke, "revoke-bootstrap", false, "also revoke every older token the server minted (bootstrap and break-glass tokens)")
	return cmd
}

// revokeBootstrapCmd revokes the tokens the server minted itself, offline.
func revokeBootstrapCmd() *cobra.Command {
	var db, org string
	var keep []string
	cmd := &cobra.Command{
		Use:   "revoke-bootstrap",
		Short: "Revoke the bootstrap and break-glass admin tokens offline on the database",
		Long: `Revoke, directly on the database --db, the admin tokens the server minted itself: the
IAM_BOOTSTRAP_TOKEN, the token a first start printed and break-glass tokens, except those named
by --keep. Tokens created through the API are left alone. The server must be stopped; each
revocation is recorded in the audit log with the actor "break-glass". Unset IAM_BOOTSTRAP_TOKEN
before the next start, which otherwise refuses a revoked value.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx := cmd.Context()
			st, unlock, err := openDB(ctx, db, org, false)
			if err != nil {
				return err
			}
			defer unlock()
			toks, err := server.ServerMintedTokens(ctx, st, org)
			if err != nil {
				return err
			}
			toks = slices.DeleteFunc(toks, func(t store.Token) bool { return slices.Contains(keep, t.Name) })
			return revokeTokens(ctx, cmd.OutOrStdout(), st, toks)
		},
	}
	f := cmd.Flags()
	f.StringVar(&db, "db", "./iam.db", "SQLite database file of the server (must exist), or its PostgreSQL URL")
	f.StringVar(&org, "org", "acme", "organization of the tokens (must be the database's)")
	f.StringSliceVar(&keep, "keep", nil, "names of tokens to keep, comma-separated or repeated")
	return cmd
}

func revokeTokens(ctx context.Context, w io.Writer, st store.Store, toks []store.Token) error {
	if len(toks) == 0 {
		fmt.Fprintln(w, "No bootstrap or break-glass tokens to revoke.")
		return nil
	}
	for _, t := range toks {
		if err := server.RevokeToken(ctx, st, t, operatorNote()); err != nil {
			return fmt.Errorf("revoke token %q (%s): %w", t.Name, t.ID, err)
		}
		fmt.Fprintf(w, "Revoked token %q (ID %s, created %s).\n", t.Name, t.ID, t.Created.UTC().Format(time.RFC3339))
	}
	return nil
}

// operatorNote says who ran a break-glass command where, for its audit record.
func operatorNote() string {
	who := "unknown user"
	if u, err := user.Current(); err == nil {
		who = u.Username
	}
	host, _ := os.Hostname()
	return "by " + who + "@" + host
}
