package postgres

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

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
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			return err
		}
		instance, o, _ := strings.Cut(n.Payload, " ")
		if instance != db.instance && o == org {
			changed()
		}
	}
}
