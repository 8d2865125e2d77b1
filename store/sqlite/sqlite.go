package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" database/sql driver

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

var _ store.Store = (*Store)(nil)

// busyTimeoutMS is how long a connection waits for a lock held by another
// connection or process before failing with SQLITE_BUSY.
const busyTimeoutMS = 10000

// Store is the SQLite implementation of store.Store. It is safe for
// concurrent use.
type Store struct {
	path string
	w    *sql.DB // the one writer connection; transactions begin IMMEDIATE
	r    *sql.DB // readers: query_only, several connections

	// Statements of the write path, prepared once on the writer connection,
	// and the multi-row inserts (prepared per row count when first used).
	stmts writeStmts
	multi multiStmts
	// Statements of the read path, prepared once on the reader pool.
	readStmts readStmts

	// The checkpointer copies the WAL back into the database file in the
	// background (PASSIVE: never blocking the writer), so commits do not
	// usually pay for it; the writer's own autocheckpoint is a safety net at
	// 64 MiB.
	ckpt     *sql.DB
	ckptStop chan struct{}
	ckptDone chan struct{}

	// lists is the list index (lists.go): item lists and decision lists
	// by agent read it; Commit feeds it after each commit.
	lists *lists

	closeOnce sync.Once
	closeErr  error

	// unsafeSkipDeactivate, set only by tests, makes Commit insert the new
	// active assignment of a re-owned item without deactivating the old
	// one: the unique index must then reject the batch.
	unsafeSkipDeactivate bool
}

type writeStmts struct {
	head, upsertItem                               *sql.Stmt
	activeAssignment, deactivate, insertAssignment *sql.Stmt
	insertIdempotency, upsertToken                 *sql.Stmt
}

type readStmts struct {
	itemsByID *sql.Stmt
}

type multiStmts struct {
	entries, decisions, newItems, assignments *multiInsert
}

func (m *multiStmts) all() []*multiInsert {
	return []*multiInsert{m.entries, m.decisions, m.newItems, m.assignments}
}

func newMultiStmts() multiStmts {
	return multiStmts{
		entries:     newMultiInsert(qEntriesPrefix, qEntriesRow, ""),
		decisions:   newMultiInsert(qDecisionsPrefix, qDecisionsRow, ""),
		newItems:    newMultiInsert(qNewItemsPrefix, qNewItemsRow, qNewItemsSuffix),
		assignments: newMultiInsert(qAssignmentsPrefix, qAssignmentsRow, ""),
	}
}

// Open opens (creating it if needed) the database file at path, applies the
// pending migrations and returns the store. path is a file name; ":memory:"
// is refused because the readers would not share the writer's database.
// Close releases it.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") {
		return nil, allot.Errorf(allot.EINVALID, "sqlite: %q is not a database file path; give a file name such as ./allot.db", path)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: %w", err)
	}
	s := &Store{path: abs, multi: newMultiStmts()}

	// The writer: WAL so readers never block it nor it them; synchronous
	// FULL so a commit is on disk (fsync of the WAL) before Commit returns;
	// IMMEDIATE transactions take the write lock at BEGIN, so the chain
	// check and the writes that follow it cannot interleave with another
	// process's writer.
	s.w, err = sql.Open("sqlite", dsn(abs, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMS)},
		"_foreign_keys": {"1"},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_txlock":       {"immediate"},
		"_dqs":          {"0"},
		// A 64 MiB page cache keeps a large group commit from spilling
		// pages to the WAL mid-transaction (each spill is extra writes);
		// checkpoints run in the background (see Store.ckpt), and the
		// writer checkpoints itself only when the WAL passes 64 MiB (the
		// background one fell behind), which bounds the file.
		// temp_store MEMORY keeps the statement journal of the multi-row
		// INSERTs (the page images a failing statement would restore) in
		// memory: in a temporary file it cost a write system call per page.
		// It is not needed for durability: a crash discards the whole
		// uncommitted transaction anyway.
		"_pragma": {"cache_size(-65536)", "wal_autocheckpoint(16384)", "temp_store(MEMORY)"},
	}))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s.w.SetMaxOpenConns(1)
	s.w.SetMaxIdleConns(1)
	s.w.SetConnMaxLifetime(0)
	s.w.SetConnMaxIdleTime(0)
	if err := connectRetrying(ctx, func() error { return s.checkWriter(ctx) }); err != nil {
		s.w.Close()
		return nil, err
	}
	if err := migrate(ctx, s.w); err != nil {
		s.w.Close()
		return nil, err
	}

	// The readers: query_only, so a bug cannot write through them; each
	// query sees the last committed state (WAL snapshot), never a writer's
	// uncommitted rows.
	s.r, err = sql.Open("sqlite", dsn(abs, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMS)},
		"_foreign_keys": {"1"},
		"_query_only":   {"1"},
		"_dqs":          {"0"},
	}))
	if err != nil {
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	s.r.SetMaxOpenConns(n)
	s.r.SetMaxIdleConns(n)
	if err := s.r.PingContext(ctx); err != nil {
		s.r.Close()
		s.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}

	if err := s.prepare(ctx); err != nil {
		s.Close()
		return nil, err
	}
	if s.lists, err = openLists(ctx, abs, s.r); err != nil {
		s.Close()
		return nil, err
	}
	s.ckpt, err = sql.Open("sqlite", dsn(abs, url.Values{"_busy_timeout": {fmt.Sprint(busyTimeoutMS)}}))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", abs, err)
	}
	s.ckpt.SetMaxOpenConns(1)
	s.ckptStop, s.ckptDone = make(chan struct{}), make(chan struct{})
	go s.checkpointLoop()
	return s, nil
}

// checkpointInterval is how often the background checkpointer runs.
const checkpointInterval = 500 * time.Millisecond

// checkpointLoop runs PASSIVE checkpoints until Close. A PASSIVE checkpoint
// copies what it can without waiting for readers or the writer; once the
// WAL is fully copied and no reader needs it, the writer starts it over, so
// the file stays bounded while the server keeps up.
func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-s.ckptStop:
			return
		case <-t.C:
			s.ckpt.Exec("PRAGMA wal_checkpoint(PASSIVE)")
		}
	}
}

// dsn builds a file: URI, so that any character of the path (including
// '?' and '#') is escaped and the driver's parameters are unambiguous.
func dsn(abs string, params url.Values) string {
	u := url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: params.Encode()}
	return u.String()
}

// connectRetrying runs first, the first use of a pool (which opens its
// connection and sets its pragmas), again while it fails with SQLITE_BUSY,
// for up to busyTimeoutMS. The busy timeout does not cover a connection's
// switch to WAL: on a new file that several processes (or stores) open at
// once, SQLite refuses the lock upgrade at once instead of waiting, to avoid
// a deadlock (TestOpenConcurrently).
func connectRetrying(ctx context.Context, first func() error) error {
	deadline := time.Now().Add(busyTimeoutMS * time.Millisecond)
	wait := 5 * time.Millisecond
	for {
		err := first()
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 100*time.Millisecond)
	}
}

// checkWriter makes sure the pragmas took: journal_mode is refused silently
// by SQLite on some file systems, and the store's guarantees depend on it.
func (s *Store) checkWriter(ctx context.Context) error {
	var mode string
	if err := s.w.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("sqlite: open %s: %w", s.path, err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("sqlite: open %s: journal_mode is %q, want wal (is the file on a network file system?)", s.path, mode)
	}
	return nil
}

func (s *Store) prepare(ctx context.Context) error {
	for _, p := range []struct {
		dst   **sql.Stmt
		query string
	}{
		{&s.stmts.head, qHead},
		{&s.stmts.upsertItem, qUpsertItem},
		{&s.stmts.activeAssignment, qActiveAssignment},
		{&s.stmts.deactivate, qDeactivate},
		{&s.stmts.insertAssignment, qInsertAssignment},
		{&s.stmts.insertIdempotency, qInsertIdempotency},
		{&s.stmts.upsertToken, qUpsertToken},
	} {
		st, err := s.w.PrepareContext(ctx, p.query)
		if err != nil {
			return fmt.Errorf("sqlite: prepare: %w", err)
		}
		*p.dst = st
	}
	for _, m := range s.multi.all() {
		if err := m.prepare(ctx, s.w); err != nil {
			return err
		}
	}
	st, err := s.r.PrepareContext(ctx, qItemsByID)
	if err != nil {
		return fmt.Errorf("sqlite: prepare: %w", err)
	}
	s.readStmts.itemsByID = st
	return nil
}

// Close closes the statements and both pools. It is idempotent; calls after
// the first return the first's result. The readers close first so that the
// writer, the last connection, checkpoints the WAL into the database file.
func (s *Store) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		if s.lists != nil {
			errs = append(errs, s.lists.close())
		}
		if s.ckpt != nil {
			close(s.ckptStop)
			<-s.ckptDone
			// A last full checkpoint leaves a small WAL behind.
			s.ckpt.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			errs = append(errs, s.ckpt.Close())
		}
		for _, st := range []*sql.Stmt{
			s.stmts.head, s.stmts.upsertItem,
			s.stmts.activeAssignment, s.stmts.deactivate, s.stmts.insertAssignment,
			s.stmts.insertIdempotency, s.stmts.upsertToken, s.readStmts.itemsByID,
		} {
			if st != nil {
				errs = append(errs, st.Close())
			}
		}
		for _, m := range s.multi.all() {
			errs = append(errs, m.close()...)
		}
		if s.r != nil {
			errs = append(errs, s.r.Close())
		}
		errs = append(errs, s.w.Close())
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}
