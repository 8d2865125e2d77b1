package sqlite

import (
	"context"
	"database/sql"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/storetest"
)

// dbPaths gives each test its own database file; calls for the same test
// reach the same file, as storetest.Exercise requires for its reopen tests.
var dbPaths sync.Map // *testing.T → string

func dbPath(t *testing.T) string {
	if p, ok := dbPaths.Load(t); ok {
		return p.(string)
	}
	p := filepath.Join(t.TempDir(), "allot.db")
	dbPaths.Store(t, p)
	t.Cleanup(func() { dbPaths.Delete(t) })
	return p
}

func openTest(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), dbPath(t))
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	return s
}

func TestConformance(t *testing.T) {
	t.Parallel()
	storetest.Exercise(t, func(t *testing.T) store.Store { return openTest(t) })
}

// testChain builds correctly hashed entries for the package's own tests.
type testChain struct {
	region string
	seq    uint64
	hash   string
}

func (c *testChain) entry(item string) store.Entry {
	c.seq++
	e := store.Entry{Region: c.region, Seq: c.seq, At: time.Unix(1_800_000_000, int64(c.seq)).UTC(), Actor: "system", Kind: "item_updated", Item: item, Payload: []byte(`{}`), PrevHash: c.hash}
	e.Hash = store.HashEntry(&e)
	c.hash = e.Hash
	return e
}

func (c *testChain) batch(items ...allot.Item) *store.Batch {
	b := &store.Batch{Region: c.region, Items: items}
	for _, it := range items {
		b.Entries = append(b.Entries, c.entry(it.ID))
	}
	return b
}

func ownedItem(id, owner string) allot.Item {
	st := allot.StatusQueued
	if owner != "" {
		st = allot.StatusAssigned
	}
	return allot.Item{ID: id, Type: "lead", Status: st, Owner: owner, CreatedAt: time.Unix(1_800_000_000, 0).UTC()}
}

func pragma(t *testing.T, db *sql.DB, name string) string {
	t.Helper()
	var v string
	if err := db.QueryRowContext(t.Context(), "PRAGMA "+name).Scan(&v); err != nil {
		t.Fatalf("PRAGMA %s: %v", name, err)
	}
	return v
}

func TestPragmas(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	defer s.Close()
	for name, want := range map[string]string{
		"journal_mode": "wal",
		"synchronous":  "2", // FULL
		"foreign_keys": "1",
		"busy_timeout": "10000",
		"query_only":   "0",
		"temp_store":   "2", // MEMORY: the multi-row inserts' statement journal
	} {
		if got := pragma(t, s.w, name); got != want {
			t.Errorf("writer: PRAGMA %s = %s, want %s", name, got, want)
		}
	}
	if n := s.w.Stats().MaxOpenConnections; n != 1 {
		t.Errorf("writer pool: %d connections, want 1", n)
	}
	// Every reader connection is query_only: hold several at once.
	ctx := t.Context()
	var conns []*sql.Conn
	for range 3 {
		c, err := s.r.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var qo, mode string
		if err := c.QueryRowContext(ctx, "PRAGMA query_only").Scan(&qo); err != nil || qo != "1" {
			t.Errorf("reader: query_only = %q, %v; want 1", qo, err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("reader: journal_mode = %q, %v; want wal", mode, err)
		}
		if _, err := c.ExecContext(ctx, "DELETE FROM tokens"); err == nil {
			t.Error("a reader connection could write")
		}
	}
	for _, c := range conns {
		c.Close()
	}
}

// The database itself refuses two active assignments of one item, whatever
// the code does.
func TestUniqueActiveAssignment(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	t.Run("RawSQL", func(t *testing.T) {
		t.Parallel()
		s := openTest(t)
		defer s.Close()
		c := &testChain{region: "eu"}
		if err := s.Commit(ctx, c.batch(ownedItem("a", "ana"))); err != nil {
			t.Fatal(err)
		}
		_, err := s.w.ExecContext(ctx, qInsertAssignment, "eu", "a", "bob", 1)
		if err == nil || !strings.Contains(err.Error(), "UNIQUE") {
			t.Fatalf("second active assignment: %v, want a UNIQUE constraint error", err)
		}
		// Inactive rows are history and may repeat.
		for range 2 {
			if _, err := s.w.ExecContext(ctx, `INSERT INTO assignments (region, item, agent, active, since_seq) VALUES ('eu', 'a', 'bob', 0, 1)`); err != nil {
				t.Fatal(err)
			}
		}
		var n int
		if err := s.w.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name = 'assignments_active' AND sql LIKE '%UNIQUE%WHERE active = 1%'`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("assignments_active index: %d, %v", n, err)
		}
	})

	t.Run("BrokenCode", func(t *testing.T) {
		t.Parallel()
		s := openTest(t)
		defer s.Close()
		c := &testChain{region: "eu"}
		if err := s.Commit(ctx, c.batch(ownedItem("a", "ana"), ownedItem("b", ""))); err != nil {
			t.Fatal(err)
		}
		s.unsafeSkipDeactivate = true // re-owning now forgets to close the old assignment
		c2 := *c
		b := c2.batch(ownedItem("b", "carl"), ownedItem("a", "bob"))
		err := s.Commit(ctx, b)
		if allot.ErrorCode(err) != allot.ECONFLICT {
			t.Fatalf("Commit re-owning without deactivating: %v, want ECONFLICT from the unique index", err)
		}
		active, err := s.ActiveAssignments(ctx, "eu")
		if err != nil {
			t.Fatal(err)
		}
		if len(active) != 1 || active["a"] != "ana" {
			t.Fatalf("active assignments %v, want only a → ana", active)
		}
		if seq, _, _ := s.Head(ctx, "eu"); seq != 2 {
			t.Fatalf("head %d, want 2: the failed batch must leave no entry", seq)
		}
		if it, _ := s.Item(ctx, "eu", "b"); it.Owner != "" {
			t.Fatalf("item b owned by %q: the failed batch must leave no item", it.Owner)
		}
		s.unsafeSkipDeactivate = false
		if err := s.Commit(ctx, b); err != nil {
			t.Fatalf("the same batch with correct code: %v", err)
		}
	})
}

// Readers never see a transaction that has not committed.
func TestReadersSeeCommittedOnly(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	defer s.Close()
	ctx := t.Context()
	c := &testChain{region: "eu"}
	if err := s.Commit(ctx, c.batch(ownedItem("a", "ana"))); err != nil {
		t.Fatal(err)
	}
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	e := c.entry("b")
	if _, err := tx.ExecContext(ctx, qInsertEntry, "eu", int64(e.Seq), "2027-01-15T08:00:00.000000000Z", e.Actor, e.Kind, e.Item, e.Payload, e.PrevHash, e.Hash); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE items SET owner = 'mallory' WHERE region = 'eu' AND id = 'a'`); err != nil {
		t.Fatal(err)
	}
	if seq, _, _ := s.Head(ctx, "eu"); seq != 1 {
		t.Fatalf("a reader sees head %d during an open transaction, want 1", seq)
	}
	if it, _ := s.Item(ctx, "eu", "a"); it.Owner != "ana" {
		t.Fatalf("a reader sees owner %q during an open transaction", it.Owner)
	}
	if err := tx.Rollback(); err != nil {
		t.Fatal(err)
	}
	if seq, _, _ := s.Head(ctx, "eu"); seq != 1 {
		t.Fatalf("head %d after rollback", seq)
	}
}

// A process that dies without Close leaves the WAL beside the database; the
// committed data must be there when the files are opened again.
func TestCrashKeepsCommitted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openTest(t)
	c := &testChain{region: "eu"}
	for i := range 20 {
		if err := s.Commit(ctx, c.batch(ownedItem(string(rune('a'+i)), "ana"))); err != nil {
			t.Fatal(err)
		}
	}
	// The files as a crash would leave them: copied while the store is open
	// (no Close, so no checkpoint), WAL included, shared-memory index not.
	src := dbPath(t)
	if fi, err := os.Stat(src + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("no WAL beside the open database (%v): the test would prove nothing", err)
	}
	dst := filepath.Join(t.TempDir(), "crashed.db")
	for _, suffix := range []string{"", "-wal"} {
		copyFile(t, src+suffix, dst+suffix)
	}

	crashed, err := Open(ctx, dst)
	if err != nil {
		t.Fatalf("Open after a crash: %v", err)
	}
	defer crashed.Close()
	seq, hash, err := crashed.Head(ctx, "eu")
	if err != nil || seq != 20 || hash != c.hash {
		t.Fatalf("Head after a crash = (%d, %.8s, %v), want (20, %.8s)", seq, hash, err, c.hash)
	}
	active, err := crashed.ActiveAssignments(ctx, "eu")
	if err != nil || len(active) != 20 {
		t.Fatalf("%d active assignments after a crash, %v; want 20", len(active), err)
	}
	if err := crashed.Commit(ctx, c.batch(ownedItem("z", "bob"))); err != nil {
		t.Fatalf("the chain does not continue after a crash: %v", err)
	}

	// The abandoned store, opened again in place while the first is still
	// open (as a restarted process would find the file), sees everything.
	again, err := Open(ctx, src)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if seq, _, err := again.Head(ctx, "eu"); err != nil || seq != 20 {
		t.Fatalf("Head from a second Store = %d, %v; want 20", seq, err)
	}
	s.Close()
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestMigrationsIdempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	for range 3 {
		s := openTest(t)
		var n, v int
		if err := s.r.QueryRowContext(ctx, `SELECT count(*), max(version) FROM schema_migrations`).Scan(&n, &v); err != nil {
			t.Fatal(err)
		}
		ms, err := migrations()
		if err != nil {
			t.Fatal(err)
		}
		if n != len(ms) || v != len(ms) {
			t.Fatalf("schema_migrations: %d rows up to %d, want %d", n, v, len(ms))
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}

	// A database from a newer binary is refused.
	s := openTest(t)
	if _, err := s.w.ExecContext(ctx, qInsertMigration, 999, "9999_future", "2030-01-01T00:00:00.000000000Z"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s, err := Open(ctx, dbPath(t)); err == nil || !strings.Contains(err.Error(), "newer") {
		if s != nil {
			s.Close()
		}
		t.Fatalf("Open of a newer schema: %v, want a refusal", err)
	}
}

func TestOpenConcurrently(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "allot.db")
	var wg sync.WaitGroup
	stores := make([]*Store, 4)
	errs := make([]error, 4)
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = Open(t.Context(), path) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		defer stores[i].Close()
	}
}

func TestOpenRefusesMemory(t *testing.T) {
	t.Parallel()
	for _, p := range []string{"", ":memory:", "file::memory:?cache=shared"} {
		if s, err := Open(context.Background(), p); err == nil {
			s.Close()
			t.Errorf("Open(%q) succeeded", p)
		}
	}
}

func TestPathWithSpecialCharacters(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "a dir?#&=%", "db?x=1#frag")
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	s, err := Open(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("database not at the given path: %v", err)
	}
}

func TestCloseIdempotent(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// The config entries are read through their partial index, not by scanning
// the region's log (which is what makes listing config versions cheap).
func TestConfigEntriesUseTheirIndex(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	rows, err := s.r.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+qConfigEntries, "eu", 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if p := strings.Join(plan, "; "); !strings.Contains(p, "entries_config") {
		t.Fatalf("query plan %q does not use entries_config", p)
	}
}
