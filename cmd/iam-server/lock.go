package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// errLocked is returned by tryLock when another process holds the lock.
var errLocked = errors.New("locked")

// dbLock is the exclusive lock of a database, held by the process serving it (or working on it
// offline) until it exits: a file <db>.lock beside the database, locked with flock on Unix and
// opened without sharing on Windows. The operating system releases it when the process dies,
// so a crash never leaves a stale lock behind.
type dbLock struct {
	f    *os.File
	path string
}

// lockDB takes the lock of the database at db, or fails naming the process that holds it.
func lockDB(db string) (*dbLock, error) {
	path := db + ".lock"
	f, err := tryLock(path)
	if errors.Is(err, errLocked) {
		holder := "another process"
		if b, rerr := os.ReadFile(path); rerr == nil {
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(b))); perr == nil && pid > 0 {
				holder = fmt.Sprintf("another process (pid %d)", pid)
			}
		}
		return nil, fmt.Errorf("database %s is in use by %s: one iam-server per database; stop it first (lock file %s)", db, holder, path)
	}
	if err != nil {
		return nil, fmt.Errorf("lock database %s: %w", db, err)
	}
	// Who holds it, for the message above; the lock is the OS lock, not this content.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &dbLock{f: f, path: path}, nil
}

// unlock releases the lock. The file stays (removing it could race with a process locking it).
func (l *dbLock) unlock() {
	if l != nil {
		_ = l.f.Close()
	}
}
