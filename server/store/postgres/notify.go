package postgres

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// heartbeat is how long the listener waits for a notification before it checks that its
// connection still answers (and how long that check may take).
const heartbeat = 10 * time.Second

// Subscribe listens on the database's change channel on a connection of its own and calls
// changed for every mutation of org that another process (replica) commits. After the
// connection is lost it reconnects (backing off up to 2 s) and calls changed once LISTEN is in
// place again, since notifications sent in between are lost. It returns at once; the listener
// stops when ctx ends.
func (db *DB) Subscribe(ctx context.Context, org string, changed func()) {
	go db.listen(ctx, org, changed)
}

func (db *DB) listen(ctx context.Context, org string, changed func()) {
	backoff := 50 * time.Millisecond
	for first := true; ctx.Err() == nil; first = false {
		err := db.listenOnce(ctx, org, changed, !first)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			backoff = 50 * time.Millisecond
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// listenOnce connects, listens and delivers notifications until the connection fails.
func (db *DB) listenOnce(ctx context.Context, org string, changed func(), resync bool) error {
	conn, err := pgx.ConnectConfig(ctx, db.cfg.Copy())
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+changesChannel); err != nil {
		return err
	}
	if resync {
		changed() // whatever changed while we were not listening
	}
	for {
		wctx, cancel := context.WithTimeout(ctx, heartbeat)
		n, err := conn.WaitForNotification(wctx)
		cancel()
		if err != nil && ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			// Quiet for a while: make sure the connection still works (a network that drops
			// packets without resetting the connection would otherwise hide missed changes).
			pctx, cancel := context.WithTimeout(ctx, heartbeat)
			_, err = conn.Exec(pctx, "SELECT 1")
			cancel()
			if err != nil {
				return err
			}
			continue
		}
		if err != nil {
			return err
		}
		instance, o, _ := strings.Cut(n.Payload, " ")
		if instance != db.instance && o == org {
			changed()
		}
	}
}
