package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/allot/allot"
)

// The list index: the secondary indexes that item lists (by status, queue,
// owner, type, creation) and decision lists by agent read, kept in a
// database file of their own next to the main one (path + "-lists") and
// written by a goroutine of their own, after the main commit instead of in
// it.
//
// Why: a group commit of single-item requests dirtied ~17 B-trees, and the
// six list indexes were the most expensive of them: an index keyed by owner
// has a hot leaf per agent, so a commit of 30 items to 30 agents wrote 30
// leaf pages to the WAL for each of the two agent-keyed indexes — about half
// of the pages of a commit — while the main writer, one connection, is the
// server's serial bottleneck. In their own file the list indexes are written
// in large transactions (every agent's leaf once per many items) on another
// core, without the main write lock, and without fsync (synchronous NORMAL):
// they are derived data.
//
// Correctness rests on three things:
//
//   - The main database stays the truth. Every item row carries the head seq
//     it was written at (updated_seq, indexed by items_updated), every
//     decision its seq; the index records, per region, the seq it has applied
//     through (lists_progress), in the same transaction as the rows. After a
//     crash, or when the file is missing, stale or unreadable, the indexer
//     catches up from the main database: items with updated_seq above the
//     applied seq, decisions with seq above it. Deleting the file is always
//     safe; it is rebuilt. The index also keeps the hash of the entry it is
//     applied through: when the main database does not hold that entry
//     (restored from an older backup), Open empties the index.
//   - Rows are versioned: an item's row is replaced only by a state with a
//     higher seq, so batches and catch-ups may apply in any order and more
//     than once (another process's store on the same files, a catch-up racing
//     a commit's batch) and still converge.
//   - Reads wait: Items and Decisions by agent first read the region's head
//     in the main database and wait until the index has applied through it,
//     so a list shows every write that committed before the call, as it did
//     when the indexes were in the main file. The rows returned are read
//     from the main tables and checked against the filter again, so a list
//     never shows an item in a state that does not match it.
type lists struct {
	path string
	w    *sql.DB // the index's one writer connection (synchronous NORMAL)
	r    *sql.DB // its readers
	main *sql.DB // the main database's readers, for catch-ups and heads

	mu      sync.Mutex
	changed *sync.Cond          // broadcast when applied, pending or err change, and at close
	pending []listBatch         // committed in the main database, not yet applied
	rows    int                 // items and decisions in pending
	since   time.Time           // when the oldest pending batch came
	timer   *time.Timer         // wakes the indexer when the oldest pending batch is listsDelay old
	applied map[string]progress // region → what lists_progress holds
	want    map[string]uint64   // regions a reader waits for → the head it needs
	err     error               // the last failure to apply; nil after a success
	closed  bool
	done    chan struct{}
}

// progress is how far a region's index is applied: through entry seq (the
// main database's head, whose hash it keeps: a main database restored from
// an older backup has another entry there, and the index is then rebuilt)
// and through decision seq (the engine's own sequence of decisions).
type progress struct {
	seq, dec uint64
	hash     string
}

// ahead returns the later of a and b (by seq; decisions by their own seq).
func (a progress) ahead(b progress) progress {
	out := progress{seq: max(a.seq, b.seq), dec: max(a.dec, b.dec), hash: a.hash}
	if b.seq >= a.seq && b.hash != "" {
		out.hash = b.hash
	}
	return out
}

// listBatch is what one main commit changed that the index keeps.
type listBatch struct {
	region string
	base   uint64 // the head before the batch: the index must be applied through it first
	head   uint64 // the batch's head seq: every item state of it has updated_seq head
	hash   string // the head entry's hash ("" when the batch has no entries)
	dec    uint64 // the batch's last decision seq (0: none)
	items  []listItem
	decs   []listDecision
}

type listItem struct {
	id, status, queue, owner, typ, createdAt string
	seq                                      uint64
}

type listDecision struct {
	agent string
	seq   uint64
}

// listsSchema is the index's schema; listsVersion its user_version. A file
// with another version is emptied and rebuilt (it is derived data).
const listsVersion = 2

var listsSchema = []string{
	// The table is keyed by creation, the order of every list, so it is
	// itself the unfiltered list's index; the filters' indexes end with the
	// key (SQLite appends it), so each is ordered by creation too.
	`CREATE TABLE item_lists (
    region     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    id         TEXT    NOT NULL,
    status     TEXT    NOT NULL,
    queue      TEXT    NOT NULL,
    owner      TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    seq        INTEGER NOT NULL, -- the item row's updated_seq this row reflects
    PRIMARY KEY (region, created_at, id)
) STRICT, WITHOUT ROWID`,
	`CREATE INDEX il_status ON item_lists (region, status)`,
	`CREATE INDEX il_queue  ON item_lists (region, queue)`,
	`CREATE INDEX il_owner  ON item_lists (region, owner)`,
	`CREATE INDEX il_type   ON item_lists (region, type)`,
	`CREATE TABLE decision_agents (
    region TEXT    NOT NULL,
    agent  TEXT    NOT NULL,
    seq    INTEGER NOT NULL,
    PRIMARY KEY (region, agent, seq)
) STRICT, WITHOUT ROWID`,
	`CREATE TABLE lists_progress (
    region  TEXT    NOT NULL PRIMARY KEY,
    seq     INTEGER NOT NULL, -- entries applied through (the main head)
    hash    TEXT    NOT NULL, -- the hash of the main database's entry seq
    dec_seq INTEGER NOT NULL  -- decisions applied through
) STRICT, WITHOUT ROWID`,
	`PRAGMA user_version = 2`,
}

const (
	// An item's created_at never changes, so (region, created_at, id)
	// identifies it as (region, id) does.
	qListsUpsertItemPrefix = `INSERT INTO item_lists (region, id, status, queue, owner, type, created_at, seq) VALUES `
	qListsUpsertItemRow    = `(?, ?, ?, ?, ?, ?, ?, ?)`
	qListsUpsertItemSuffix = `ON CONFLICT (region, created_at, id) DO UPDATE SET
    status = excluded.status, queue = excluded.queue, owner = excluded.owner, type = excluded.type,
    seq = excluded.seq
WHERE excluded.seq > item_lists.seq`
	qListsInsertDecPrefix = `INSERT INTO decision_agents (region, agent, seq) VALUES `
	qListsInsertDecRow    = `(?, ?, ?)`
	qListsInsertDecSuffix = `ON CONFLICT DO NOTHING`
	qListsProgress        = `INSERT INTO lists_progress (region, seq, hash, dec_seq) VALUES (?, ?, ?, ?)
ON CONFLICT (region) DO UPDATE SET
    hash = CASE WHEN excluded.seq >= seq AND excluded.hash <> '' THEN excluded.hash ELSE hash END,
    seq = max(seq, excluded.seq), dec_seq = max(dec_seq, excluded.dec_seq)`
	qListsAllProgress = `SELECT region, seq, hash, dec_seq FROM lists_progress`
	qEntryHash        = `SELECT hash FROM entries WHERE region = ? AND seq = ?`

	// Catch-up reads of the main database (one read transaction each).
	qCatchUpItems = `SELECT id, status, queue, owner, type, created_at, updated_seq FROM items
WHERE region = ? AND updated_seq > ? ORDER BY updated_seq, id LIMIT ?`
	qCatchUpItemsAfter = `SELECT id, status, queue, owner, type, created_at, updated_seq FROM items
WHERE region = ? AND (updated_seq, id) > (?, ?) ORDER BY updated_seq, id LIMIT ?`
	qCatchUpDecisions = `SELECT agent, seq FROM decisions WHERE region = ? AND seq > ? AND agent <> '' ORDER BY seq LIMIT ?`
)

// catchUpChunk is how many rows a catch-up applies per index transaction.
const catchUpChunk = 20000

// openLists opens (creating or rebuilding it if needed) the list index of
// the main database at mainPath and starts its indexer. main is the main
// database's reader pool.
func openLists(ctx context.Context, mainPath string, main *sql.DB) (*lists, error) {
	l := &lists{path: mainPath + "-lists", main: main, applied: map[string]progress{}, want: map[string]uint64{}, done: make(chan struct{})}
	l.changed = sync.NewCond(&l.mu)
	var err error
	l.w, err = sql.Open("sqlite", dsn(l.path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMS)},
		"_journal_mode": {"WAL"},
		"_synchronous":  {"NORMAL"},
		"_txlock":       {"immediate"},
		"_dqs":          {"0"},
		"_pragma":       {"cache_size(-32768)", "temp_store(MEMORY)"},
	}))
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", l.path, err)
	}
	l.w.SetMaxOpenConns(1)
	l.w.SetConnMaxLifetime(0)
	l.w.SetConnMaxIdleTime(0)
	if err := connectRetrying(ctx, func() error { return l.init(ctx) }); err != nil {
		l.w.Close()
		return nil, err
	}
	l.r, err = sql.Open("sqlite", dsn(l.path, url.Values{
		"_busy_timeout": {fmt.Sprint(busyTimeoutMS)},
		"_query_only":   {"1"},
		"_dqs":          {"0"},
	}))
	if err != nil {
		l.w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", l.path, err)
	}
	l.r.SetMaxOpenConns(4)
	rows, err := l.w.QueryContext(ctx, qListsAllProgress)
	if err == nil {
		for rows.Next() {
			var region, hash string
			var seq, dec int64
			if err = rows.Scan(&region, &seq, &hash, &dec); err != nil {
				break
			}
			l.applied[region] = progress{seq: uint64(seq), dec: uint64(dec), hash: hash}
		}
		rows.Close()
		if err == nil {
			err = rows.Err()
		}
	}
	if err == nil {
		err = l.checkTimeline(ctx)
	}
	if err != nil {
		l.r.Close()
		l.w.Close()
		return nil, fmt.Errorf("sqlite: %s: %w", l.path, err)
	}
	go l.run()
	return l, nil
}

// checkTimeline empties the index when it was applied through an entry the
// main database does not hold (the main database was restored from an older
// backup, or replaced): its rows may then be of states that never were in
// this database, with seqs that would keep the real ones from replacing
// them. An index that is merely behind is caught up later instead.
func (l *lists) checkTimeline(ctx context.Context) error {
	for region, p := range l.applied {
		if p.seq == 0 {
			continue
		}
		var hash string
		err := l.main.QueryRowContext(ctx, qEntryHash, region, int64(p.seq)).Scan(&hash)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if err == nil && hash == p.hash {
			continue
		}
		slog.Warn("sqlite: the list index does not match the database (restored from a backup?); rebuilding it", "file", l.path, "region", region)
		if err := l.reset(ctx); err != nil {
			return err
		}
		l.applied = map[string]progress{}
		return nil
	}
	return nil
}

// reset empties the index (every table recreated).
func (l *lists) reset(ctx context.Context) error {
	if _, err := l.w.ExecContext(ctx, "PRAGMA user_version = 0"); err != nil {
		return err
	}
	return l.init(ctx)
}

// init creates the schema, or empties and recreates it when the file holds
// another version of it.
func (l *lists) init(ctx context.Context) error {
	var v int
	if err := l.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: open %s: %w (delete the file: it is rebuilt from the main database)", l.path, err)
	}
	if v == listsVersion {
		return nil
	}
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", l.path, err)
	}
	defer tx.Rollback()
	// Again under the write lock: another process opening the same files
	// may have rebuilt the index in between.
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("sqlite: %s: %w", l.path, err)
	}
	if v == listsVersion {
		return nil
	}
	for _, t := range []string{"item_lists", "decision_agents", "lists_progress"} {
		if _, err := tx.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			return fmt.Errorf("sqlite: %s: %w", l.path, err)
		}
	}
	for _, q := range listsSchema {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite: %s: schema: %w", l.path, err)
		}
	}
	return tx.Commit()
}

// The indexer applies pending batches together, in one transaction, once
// the oldest is listsDelay old or they hold listsBatchRows rows, and at once
// when a reader waits for them: the fewer transactions, the fewer times
// each B-tree's hot pages are written.
const (
	listsDelay     = 500 * time.Millisecond
	listsBatchRows = 16384
)

// add queues what a main commit changed. Called after the commit, in
// commit order per region.
func (l *lists) add(b listBatch) {
	l.mu.Lock()
	first := len(l.pending) == 0
	if first {
		l.since = time.Now()
	}
	l.pending = append(l.pending, b)
	before := l.rows
	l.rows += len(b.items) + len(b.decs)
	full := before < listsBatchRows && l.rows >= listsBatchRows
	l.mu.Unlock()
	if first || full {
		l.changed.Broadcast()
	}
}

// readyLocked reports whether the indexer has work to do now, arming the
// timer that wakes it when pending batches will be old enough. l.mu is
// held.
func (l *lists) readyLocked() bool {
	if l.closed || l.behindLocked() {
		return true
	}
	if len(l.pending) == 0 {
		return false
	}
	wait := listsDelay - time.Since(l.since)
	if l.rows >= listsBatchRows || wait <= 0 {
		return true
	}
	if l.timer == nil {
		l.timer = time.AfterFunc(wait, func() {
			l.mu.Lock()
			l.timer = nil
			l.mu.Unlock()
			l.changed.Broadcast()
		})
	}
	return false
}

// run applies pending batches, and catches regions up from the main
// database when a reader needs a seq no pending batch brings, until close.
func (l *lists) run() {
	defer close(l.done)
	backoff := 10 * time.Millisecond
	for {
		l.mu.Lock()
		for !l.readyLocked() {
			l.changed.Wait()
		}
		if l.closed && len(l.pending) == 0 {
			l.mu.Unlock()
			return
		}
		batches := l.pending
		l.pending, l.rows = nil, 0
		var lag []string
		if len(batches) == 0 {
			for region, seq := range l.want {
				if l.applied[region].seq < seq {
					lag = append(lag, region)
				}
			}
		}
		l.mu.Unlock()

		var err error
		if len(batches) > 0 {
			err = l.apply(batches)
		} else {
			for _, region := range lag {
				if err = l.catchUp(region); err != nil {
					break
				}
			}
		}
		l.mu.Lock()
		if err != nil {
			if len(batches) > 0 {
				// Retried next round, ahead of what came since.
				for _, b := range batches {
					l.rows += len(b.items) + len(b.decs)
				}
				l.pending = append(batches, l.pending...)
				l.since = time.Now()
			}
			if l.err == nil || l.err.Error() != err.Error() {
				slog.Error("sqlite: the list index could not be updated; lists wait for it and retry", "file", l.path, "err", err)
			}
			l.err = err
		} else {
			l.err = nil
		}
		closed := l.closed
		l.mu.Unlock()
		l.changed.Broadcast()
		if err != nil {
			if closed {
				return // Close does not wait for an index that cannot be written
			}
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
		} else {
			backoff = 10 * time.Millisecond
		}
	}
}

// behindLocked reports whether a reader waits for a region no pending batch
// will bring up to date. l.mu is held.
func (l *lists) behindLocked() bool {
	for region, seq := range l.want {
		if l.applied[region].seq < seq {
			return true
		}
	}
	return false
}

// apply writes batches in one index transaction. Within a batch an item's
// last state wins; across batches and with rows already there, the higher
// seq wins. A region whose batches do not continue what is applied (the
// process restarted after commits the index never got, the file was
// deleted, another process committed between two of ours) is caught up
// from the main database first: its current head covers the batches too.
func (l *lists) apply(batches []listBatch) error {
	// A region's batches continue each other when each one's base is the
	// head of the one before (or below: it was caught up past it); the
	// first continues what is applied. Anything else is a gap.
	running := map[string]uint64{}
	gaps := map[string]bool{}
	var order []string
	l.mu.Lock()
	for _, b := range batches {
		r, seen := running[b.region]
		if !seen {
			r = l.applied[b.region].seq
			order = append(order, b.region)
		}
		if b.base > r {
			gaps[b.region] = true
		}
		running[b.region] = max(r, b.head)
	}
	l.mu.Unlock()
	for _, region := range order {
		if gaps[region] {
			if err := l.catchUp(region); err != nil {
				return err
			}
		}
	}
	var items, decs [][]any
	heads := map[string]progress{}
	for _, b := range batches {
		last := make(map[string]int, len(b.items))
		for i, it := range b.items {
			last[it.id] = i
		}
		for i, it := range b.items {
			if last[it.id] != i {
				continue
			}
			items = append(items, []any{b.region, it.id, it.status, it.queue, it.owner, it.typ, it.createdAt, int64(it.seq)})
		}
		for _, d := range b.decs {
			decs = append(decs, []any{b.region, d.agent, int64(d.seq)})
		}
		heads[b.region] = heads[b.region].ahead(progress{seq: b.head, dec: b.dec, hash: b.hash})
	}
	return l.write(items, decs, heads)
}

// write inserts the rows and advances the regions' progress in one
// transaction, then publishes the progress.
func (l *lists) write(items, decs [][]any, heads map[string]progress) error {
	ctx := context.Background()
	tx, err := l.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := execMulti(ctx, tx, qListsUpsertItemPrefix, qListsUpsertItemRow, qListsUpsertItemSuffix, items); err != nil {
		return err
	}
	if err := execMulti(ctx, tx, qListsInsertDecPrefix, qListsInsertDecRow, qListsInsertDecSuffix, decs); err != nil {
		return err
	}
	for region, p := range heads {
		if _, err := tx.ExecContext(ctx, qListsProgress, region, int64(p.seq), p.hash, int64(p.dec)); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	l.mu.Lock()
	for region, p := range heads {
		a := l.applied[region].ahead(p)
		l.applied[region] = a
		if l.want[region] <= a.seq {
			delete(l.want, region)
		}
	}
	l.mu.Unlock()
	return nil
}

// execMulti inserts rows with multi-row statements of up to
// maxRowsPerInsert rows (prepared per transaction: the index's writes are
// few and large).
func execMulti(ctx context.Context, tx *sql.Tx, prefix, row, suffix string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	m := newMultiInsert(prefix, row, suffix)
	stmts := map[int]*sql.Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	args := make([]any, 0, maxRowsPerInsert*m.cols)
	lo := 0
	for _, n := range chunks(len(rows)) {
		st := stmts[n]
		if st == nil {
			var err error
			if st, err = tx.PrepareContext(ctx, m.query(n)); err != nil {
				return err
			}
			stmts[n] = st
		}
		args = args[:0]
		for _, r := range rows[lo : lo+n] {
			args = append(args, r...)
		}
		if _, err := st.ExecContext(ctx, args...); err != nil {
			return err
		}
		lo += n
	}
	return nil
}

// catchUp brings a region's index up to the main database's current head,
// reading the items and decisions written after the applied seq from one
// snapshot of the main database.
func (l *lists) catchUp(region string) error {
	ctx := context.Background()
	l.mu.Lock()
	from := l.applied[region]
	l.mu.Unlock()
	tx, err := l.main.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var head int64
	var hash string
	if err := tx.QueryRowContext(ctx, qHead, region).Scan(&head, &hash); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if uint64(head) <= from.seq {
		// Nothing to bring (or the main database is behind the index, which
		// only a restored backup does: the waiting reader's head is what
		// counts, and it is not above what is applied).
		l.mu.Lock()
		if l.want[region] <= max(from.seq, uint64(head)) {
			delete(l.want, region)
		}
		l.mu.Unlock()
		return nil
	}
	// Items, in chunks; the progress advances only with the last.
	afterSeq := int64(from.seq)
	afterID := ""
	for {
		var rows *sql.Rows
		if afterID == "" {
			rows, err = tx.QueryContext(ctx, qCatchUpItems, region, afterSeq, catchUpChunk)
		} else {
			rows, err = tx.QueryContext(ctx, qCatchUpItemsAfter, region, afterSeq, afterID, catchUpChunk)
		}
		if err != nil {
			return err
		}
		var batch [][]any
		for rows.Next() {
			var id, status, queue, owner, typ, created string
			var seq int64
			if err := rows.Scan(&id, &status, &queue, &owner, &typ, &created, &seq); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, []any{region, id, status, queue, owner, typ, created, seq})
			afterSeq, afterID = seq, id
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(batch) > 0 {
			if err := l.write(batch, nil, nil); err != nil {
				return err
			}
		}
		if len(batch) < catchUpChunk {
			break
		}
	}
	afterDec := int64(from.dec)
	for {
		rows, err := tx.QueryContext(ctx, qCatchUpDecisions, region, afterDec, catchUpChunk)
		if err != nil {
			return err
		}
		var batch [][]any
		for rows.Next() {
			var agent string
			var seq int64
			if err := rows.Scan(&agent, &seq); err != nil {
				rows.Close()
				return err
			}
			batch = append(batch, []any{region, agent, seq})
			afterDec = seq
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		last := len(batch) < catchUpChunk
		heads := map[string]progress(nil)
		if last {
			heads = map[string]progress{region: {seq: uint64(head), dec: uint64(afterDec), hash: hash}}
		}
		if len(batch) > 0 || last {
			if err := l.write(nil, batch, heads); err != nil {
				return err
			}
		}
		if last {
			return nil
		}
	}
}

// listWaitLimit bounds how long a list waits for the index when the
// caller's context has no earlier deadline.
const listWaitLimit = 10 * time.Second

// wait returns once the index has applied the region through the main
// database's current head (read now), or an error when ctx ends or the
// index stays behind for listWaitLimit.
func (l *lists) wait(ctx context.Context, region string) error {
	var head int64
	var hash string
	if err := l.main.QueryRowContext(ctx, qHead, region).Scan(&head, &hash); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("sqlite: %w", err)
	}
	need := uint64(head)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.applied[region].seq >= need {
		return nil
	}
	if l.want[region] < need {
		l.want[region] = need
	}
	l.changed.Broadcast()
	ctx, cancel := context.WithTimeout(ctx, listWaitLimit)
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		l.mu.Lock()
		l.mu.Unlock()
		l.changed.Broadcast()
	})
	defer stop()
	for l.applied[region].seq < need {
		if l.closed {
			return allot.Errorf(eUnavailable, "sqlite: the store is closed")
		}
		if err := ctx.Err(); err != nil {
			if l.err != nil {
				return allot.Errorf(eUnavailable, "sqlite: the list index of region %q is behind (applied seq %d, head %d): %v", region, l.applied[region].seq, need, l.err)
			}
			return allot.Errorf(eUnavailable, "sqlite: the list index of region %q is behind (applied seq %d, head %d): %v", region, l.applied[region].seq, need, err)
		}
		l.changed.Wait()
	}
	return nil
}

// close applies what is pending (unless the index cannot be written),
// stops the indexer and closes the index's connections.
func (l *lists) close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	l.changed.Broadcast()
	<-l.done
	return errors.Join(l.r.Close(), l.w.Close())
}

// eUnavailable is node.EUNAVAILABLE ("a retry may cure it"; transports
// answer 503), which this package cannot import.
const eUnavailable = "unavailable"
