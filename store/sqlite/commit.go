package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"runtime"
	"sync"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// Commit writes b in one IMMEDIATE transaction: the entries (after checking
// they continue the region's chain), the decisions, the items with their
// assignments, and the idempotency records. On any error nothing is written.
//
// Errors: EINVALID for a malformed batch (no region, an entry of another
// region, a value that cannot be stored); ECONFLICT when the entries do not
// continue the stored chain or are not correctly hashed, and when a unique
// key exists already (a decision seq, an item's external id, an
// idempotency key).
func (s *Store) Commit(ctx context.Context, b *store.Batch) error {
	if b == nil {
		return allot.Errorf(allot.EINVALID, "sqlite: nil batch")
	}
	if b.Region == "" {
		return allot.Errorf(allot.EINVALID, "batch region is empty; global entries go through CommitGlobal")
	}
	// Everything that does not depend on the stored state is checked and
	// encoded before the write lock is taken, so that the lock is held for
	// the writes alone. Decisions are the exception: their explanations are
	// most of the encoding work, so they are encoded on other goroutines
	// (split across the cores) while the writer inserts the entries and
	// items, and inserted last; an error there rolls everything back.
	decsc := make(chan encodedDecisions, 1)
	if len(b.Decisions) > 0 {
		go func() {
			rows, err := encodeDecisions(b.Region, b.Decisions)
			decsc <- encodedDecisions{rows, err}
		}()
	} else {
		decsc <- encodedDecisions{}
	}
	decsWaited := false
	waitDecs := func() encodedDecisions {
		decsWaited = true
		return <-decsc
	}
	defer func() {
		if !decsWaited {
			<-decsc // b must not be read after Commit returns
		}
	}()
	ents, err := encodeEntries(b.Region, b.Entries)
	if err != nil {
		return err
	}
	items, err := encodeItems(b.Items)
	if err != nil {
		return err
	}
	idems, err := encodeIdempotency(b.Region, b.Idempotency)
	if err != nil {
		return err
	}

	var head uint64
	err = s.inTx(ctx, "region "+quote(b.Region), func(tx *sql.Tx) error {
		var err error
		head, err = s.appendEntries(ctx, tx, b.Region, ents)
		if err != nil {
			return err
		}
		if len(items) > 0 {
			if err := s.writeItems(ctx, tx, b.Region, b.Items, items, head); err != nil {
				return err
			}
		}
		decs := waitDecs()
		if decs.err != nil {
			return decs.err
		}
		if len(decs.rows) > 0 {
			err := s.insertRows(ctx, tx, s.multi.decisions, decs.rows, nil, func(i int, err error) error {
				return conflictError(err, fmt.Sprintf("decision seq %d", b.Decisions[i].Seq))
			})
			if err != nil {
				return err
			}
		}
		if len(idems) > 0 {
			st := tx.StmtContext(ctx, s.stmts.insertIdempotency)
			for i, r := range idems {
				if _, err := st.ExecContext(ctx, r...); err != nil {
					return conflictError(err, fmt.Sprintf("idempotency key %q", b.Idempotency[i].Key))
				}
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	s.lists.add(listBatchOf(b, items, head))
	return nil
}

// listBatchOf is what the committed batch b (its items encoded as rows by
// encodeItems, new head seq head) changed
// that the list index keeps.
func listBatchOf(b *store.Batch, rows [][]any, head uint64) listBatch {
	lb := listBatch{region: b.Region, base: head - uint64(len(b.Entries)), head: head,
		items: make([]listItem, len(b.Items))}
	if n := len(b.Entries); n > 0 {
		lb.hash = b.Entries[n-1].Hash
	}
	for i := range b.Items {
		it := &b.Items[i]
		lb.items[i] = listItem{id: it.ID, status: string(it.Status), queue: it.Queue, owner: it.Owner, typ: it.Type,
			createdAt: rows[i][itemRowCreatedAt].(string), seq: head}
	}
	for i := range b.Decisions {
		d := &b.Decisions[i]
		lb.dec = max(lb.dec, d.Seq)
		if d.Agent != "" {
			lb.decs = append(lb.decs, listDecision{agent: d.Agent, seq: d.Seq})
		}
	}
	return lb
}

// CommitGlobal appends entries to the global chain (region "") and upserts
// tokens by id, in one IMMEDIATE transaction, with the chain check of
// Commit. Every entry's Region must be "".
func (s *Store) CommitGlobal(ctx context.Context, entries []store.Entry, tokens []store.Token) error {
	ents, err := encodeEntries("", entries)
	if err != nil {
		return err
	}
	toks, err := encodeTokens(tokens)
	if err != nil {
		return err
	}
	return s.inTx(ctx, "the global chain", func(tx *sql.Tx) error {
		if _, err := s.appendEntries(ctx, tx, "", ents); err != nil {
			return err
		}
		if len(toks) > 0 {
			st := tx.StmtContext(ctx, s.stmts.upsertToken)
			for _, t := range toks {
				if _, err := st.ExecContext(ctx, t...); err != nil {
					return err
				}
			}
		}
		return nil
	})
}

// inTx runs fn in a writer transaction (BEGIN IMMEDIATE: the writer pool's
// only connection, and the database's write lock) and commits it; any
// error rolls everything back. Errors that are not *allot.Error are wrapped
// as internal.
func (s *Store) inTx(ctx context.Context, what string, fn func(*sql.Tx) error) (err error) {
	defer func() {
		var ae *allot.Error
		if err != nil && !errors.As(err, &ae) {
			err = fmt.Errorf("sqlite: commit %s: %w", what, err)
		}
	}()
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() // a no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// entryRow is an entry checked and ready to insert.
type entryRow struct {
	e  *store.Entry
	at string
}

// encodeEntries checks what can be checked without the stored head: each
// entry belongs to region, carries its correct hash and continues the
// previous entry of the batch.
func encodeEntries(region string, es []store.Entry) ([]entryRow, error) {
	rows := make([]entryRow, len(es))
	for i := range es {
		e := &es[i]
		if e.Region != region {
			return nil, allot.Errorf(allot.EINVALID, "entries[%d]: region %q in a commit to %s", i, e.Region, chainName(region))
		}
		if e.Hash != store.HashEntry(e) {
			return nil, allot.Errorf(allot.ECONFLICT, "%s: entry seq %d: hash does not match the entry's content and prev_hash; recompute it with store.HashEntry", chainName(region), e.Seq)
		}
		if i > 0 {
			p := &es[i-1]
			if e.Seq != p.Seq+1 || e.PrevHash != p.Hash {
				return nil, allot.Errorf(allot.ECONFLICT, "%s: entry seq %d does not continue entry seq %d of the same batch (want seq %d and its hash as prev_hash)", chainName(region), e.Seq, p.Seq, p.Seq+1)
			}
		}
		at, err := timeText(fmt.Sprintf("entries[%d].at", i), e.At)
		if err != nil {
			return nil, err
		}
		rows[i] = entryRow{e: e, at: at}
	}
	return rows, nil
}

// appendEntries checks, inside the write transaction, that the first entry
// continues the stored head, inserts the entries and returns the new head
// seq (the stored one when there are no entries).
func (s *Store) appendEntries(ctx context.Context, tx *sql.Tx, region string, rows []entryRow) (uint64, error) {
	var seq int64
	var hash string
	err := tx.StmtContext(ctx, s.stmts.head).QueryRowContext(ctx, region).Scan(&seq, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, err
	}
	head := uint64(seq)
	if len(rows) == 0 {
		return head, nil
	}
	if first := rows[0].e; first.Seq != head+1 || first.PrevHash != hash {
		if first.Seq != head+1 {
			return 0, allot.Errorf(allot.ECONFLICT, "%s: entry seq %d does not follow the stored head seq %d; another writer got there first: reload and retry", chainName(region), first.Seq, head)
		}
		return 0, allot.Errorf(allot.ECONFLICT, "%s: entry seq %d: prev_hash is not the hash of stored entry %d; another writer got there first: reload and retry", chainName(region), first.Seq, head)
	}
	args := make([][]any, len(rows))
	for i, r := range rows {
		e := r.e
		args[i] = []any{region, int64(e.Seq), r.at, e.Actor, e.Kind, e.Item, e.Payload, e.PrevHash, e.Hash}
	}
	err = s.insertRows(ctx, tx, s.multi.entries, args, nil, func(i int, err error) error {
		return conflictError(err, fmt.Sprintf("%s: entry seq %d", chainName(region), rows[i].e.Seq))
	})
	if err != nil {
		return 0, err
	}
	return rows[len(rows)-1].e.Seq, nil
}

// writeItems upserts the batch's item states in order and makes each
// item's assignments follow its owner (see reconcile). New items — the
// common case: most commits are mostly arrivals — take a fast path: the
// first state of every item of the batch is inserted with multi-row INSERTs
// that leave existing items alone and return the ids they inserted; such an
// item has no assignment yet, so its active one (if owned) is inserted
// without reading any, again in bulk. Every other state (an existing item,
// or a new item's later states in the same batch) is upserted and
// reconciled one by one, in batch order, after the bulk assignments before
// it are written.
func (s *Store) writeItems(ctx context.Context, tx *sql.Tx, region string, its []allot.Item, rows [][]any, head uint64) error {
	first := make([]bool, len(its))
	firstRows := make([][]any, 0, len(its))
	firstIdx := make([]int, 0, len(its))
	seen := make(map[string]struct{}, len(its))
	for i := range its {
		if _, dup := seen[its[i].ID]; dup {
			continue
		}
		seen[its[i].ID] = struct{}{}
		first[i] = true
		r := make([]any, 0, len(rows[i])+2)
		r = append(r, region)
		r = append(r, rows[i]...)
		firstRows = append(firstRows, append(r, int64(head)))
		firstIdx = append(firstIdx, i)
	}
	inserted := make(map[string]struct{}, len(firstRows))
	var id string
	err := s.insertRows(ctx, tx, s.multi.newItems, firstRows, func(rs *sql.Rows) error {
		if err := rs.Scan(&id); err != nil {
			return err
		}
		inserted[id] = struct{}{}
		return nil
	}, func(j int, err error) error {
		it := &its[firstIdx[j]]
		return conflictError(err, fmt.Sprintf("item %q: an item with external_id %q", it.ID, it.ExternalID))
	})
	if err != nil {
		return err
	}
	var pending [][]any // active assignments of new items, not yet written
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := s.insertRows(ctx, tx, s.multi.assignments, pending, nil, func(j int, err error) error {
			return conflictError(err, fmt.Sprintf("item %q: an active assignment", pending[j][1]))
		})
		pending = pending[:0]
		return err
	}
	var up *sql.Stmt
	for i := range its {
		it := &its[i]
		if _, isNew := inserted[it.ID]; first[i] && isNew {
			if it.Owner != "" {
				pending = append(pending, []any{region, it.ID, it.Owner, int64(head)})
			}
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		if up == nil {
			up = tx.StmtContext(ctx, s.stmts.upsertItem)
		}
		args := make([]any, 0, len(rows[i])+2)
		args = append(args, region)
		args = append(args, rows[i]...)
		args = append(args, int64(head))
		if _, err := up.ExecContext(ctx, args...); err != nil {
			return conflictError(err, fmt.Sprintf("item %q: an item with external_id %q", it.ID, it.ExternalID))
		}
		if err := s.reconcile(ctx, tx, region, it, head); err != nil {
			return err
		}
	}
	return flush()
}

// reconcile makes the item's assignments follow its owner: with an owner,
// exactly one active assignment, to the owner (kept if it exists, else the
// previous one is closed at seq and a new one opened); without, none.
func (s *Store) reconcile(ctx context.Context, tx *sql.Tx, region string, it *allot.Item, seq uint64) error {
	var cur string
	err := tx.StmtContext(ctx, s.stmts.activeAssignment).QueryRowContext(ctx, region, it.ID).Scan(&cur)
	active := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return err
	}
	if active && cur == it.Owner {
		return nil
	}
	if active && !(s.unsafeSkipDeactivate && it.Owner != "") {
		if _, err := tx.StmtContext(ctx, s.stmts.deactivate).ExecContext(ctx, int64(seq), region, it.ID); err != nil {
			return err
		}
	}
	if it.Owner == "" {
		return nil
	}
	if _, err := tx.StmtContext(ctx, s.stmts.insertAssignment).ExecContext(ctx, region, it.ID, it.Owner, int64(seq)); err != nil {
		return conflictError(err, fmt.Sprintf("item %q: an active assignment", it.ID))
	}
	return nil
}

type encodedDecisions struct {
	rows [][]any
	err  error
}

// decisionsPerWorker is the smallest share of a batch's decisions worth a
// goroutine of its own.
const decisionsPerWorker = 32

// encodeDecisions returns each decision's insert arguments, encoding large
// batches on several goroutines. The error is the one of the first bad
// decision.
func encodeDecisions(region string, ds []allot.Decision) ([][]any, error) {
	rows := make([][]any, len(ds))
	workers := min(runtime.GOMAXPROCS(0), len(ds)/decisionsPerWorker)
	if workers <= 1 {
		if err := encodeDecisionRange(region, ds, rows, 0, len(ds)); err != nil {
			return nil, err
		}
		return rows, nil
	}
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*len(ds)/workers, (w+1)*len(ds)/workers
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = encodeDecisionRange(region, ds, rows, lo, hi)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return rows, nil
}

// encodeDecisionRange fills rows[lo:hi] from ds[lo:hi].
func encodeDecisionRange(region string, ds []allot.Decision, rows [][]any, lo, hi int) error {
	for i := lo; i < hi; i++ {
		d := &ds[i]
		at, err := timeText(fmt.Sprintf("decisions[%d].at", i), d.At)
		if err != nil {
			return err
		}
		var x any
		if d.Explanation != nil {
			b, err := store.EncodeStoredExplanation(d.Explanation)
			if err != nil {
				return allot.Errorf(allot.EINVALID, "decisions[%d].explanation: %v", i, err)
			}
			x = b
		}
		if d.Seq > 1<<63-1 {
			return allot.Errorf(allot.EINVALID, "decisions[%d].seq: %d is too large", i, d.Seq)
		}
		if d.ConfigVersion > 1<<63-1 {
			return allot.Errorf(allot.EINVALID, "decisions[%d].config_version: %d is too large", i, d.ConfigVersion)
		}
		rows[i] = []any{region, int64(d.Seq), at, string(d.Kind), d.Item, d.Agent, d.From, d.Queue, d.Cause, int64(d.ConfigVersion), x}
	}
	return nil
}

// itemRowCreatedAt is the index of created_at in encodeItems' rows.
const itemRowCreatedAt = 10

// encodeItems returns each item's upsert arguments without the leading
// region and the trailing updated_seq.
func encodeItems(its []allot.Item) ([][]any, error) {
	rows := make([][]any, len(its))
	for i := range its {
		it := &its[i]
		f := fmt.Sprintf("items[%d]", i)
		if it.ID == "" {
			return nil, allot.Errorf(allot.EINVALID, "%s.id: required", f)
		}
		created, err := timeText(f+".created_at", it.CreatedAt)
		if err != nil {
			return nil, err
		}
		due, err := optTimeText(f+".due_at", it.DueAt)
		if err != nil {
			return nil, err
		}
		attrs, err := encodeAttributes(f+".attributes", it.Attributes)
		if err != nil {
			return nil, err
		}
		hist, err := encodeHistory(it.History)
		if err != nil {
			return nil, err
		}
		rows[i] = []any{it.ID, it.ExternalID, it.Type, string(it.Status), it.Queue, it.Owner, it.Rule,
			int64(it.Priority), int64(it.Score), it.Tier, created, due, attrs, hist}
	}
	return rows, nil
}

// encodeIdempotency returns each record's insert arguments. A record's
// empty Region means the batch's; another region is EINVALID.
func encodeIdempotency(region string, rs []store.IdempotencyRecord) ([][]any, error) {
	rows := make([][]any, len(rs))
	for i := range rs {
		r := &rs[i]
		if r.Region != "" && r.Region != region {
			return nil, allot.Errorf(allot.EINVALID, "idempotency[%d].region: %q in a commit to region %q", i, r.Region, region)
		}
		if r.Key == "" {
			return nil, allot.Errorf(allot.EINVALID, "idempotency[%d].key: required", i)
		}
		created, err := timeText(fmt.Sprintf("idempotency[%d].created_at", i), r.CreatedAt)
		if err != nil {
			return nil, err
		}
		rows[i] = []any{region, r.Key, r.RequestHash, int64(r.Status), r.Body, created}
	}
	return rows, nil
}

// encodeTokens returns each token's upsert arguments.
func encodeTokens(ts []store.Token) ([][]any, error) {
	rows := make([][]any, len(ts))
	for i := range ts {
		t := &ts[i]
		if t.ID == "" {
			return nil, allot.Errorf(allot.EINVALID, "tokens[%d].id: required", i)
		}
		created, err := timeText(fmt.Sprintf("tokens[%d].created_at", i), t.CreatedAt)
		if err != nil {
			return nil, err
		}
		var expires any
		if t.ExpiresAt != nil {
			if expires, err = timeText(fmt.Sprintf("tokens[%d].expires_at", i), *t.ExpiresAt); err != nil {
				return nil, err
			}
		}
		revoked := 0
		if t.Revoked {
			revoked = 1
		}
		rows[i] = []any{t.ID, t.SecretHash, string(t.Role), t.Region, t.Agent, t.Name, created, expires, revoked}
	}
	return rows, nil
}

func chainName(region string) string {
	if region == "" {
		return "the global chain"
	}
	return "region " + quote(region)
}

func quote(s string) string { return fmt.Sprintf("%q", s) }
