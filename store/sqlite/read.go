package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// entriesChunk is how many entries Entries reads per query. Each chunk is
// read and its rows closed before fn sees it, so a slow fn (a replay) holds
// neither a connection nor an old WAL snapshot, and fn may call the store.
const entriesChunk = 512

// Regions lists the regions with at least one entry, sorted; the global
// chain ("") is not a region and is not listed.
func (s *Store) Regions(ctx context.Context) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, qRegions)
	if err != nil {
		return nil, fmt.Errorf("sqlite: regions: %w", err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			return nil, fmt.Errorf("sqlite: regions: %w", err)
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: regions: %w", err)
	}
	return out, nil
}

// Head returns the region's last committed entry's seq and hash, (0, "")
// for an empty chain. region "" is the global chain.
func (s *Store) Head(ctx context.Context, region string) (uint64, string, error) {
	var seq int64
	var hash string
	err := s.r.QueryRowContext(ctx, qHead, region).Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("sqlite: head of %s: %w", chainName(region), err)
	}
	return uint64(seq), hash, nil
}

// Entries calls fn with each entry of the region with Seq > afterSeq, in
// seq order, until fn returns an error (returned as is) or the entries end.
// Entries committed while it runs may or may not be seen; none is seen
// twice or out of order. At is UTC; an empty Payload is nil.
func (s *Store) Entries(ctx context.Context, region string, afterSeq uint64, fn func(store.Entry) error) error {
	if afterSeq > 1<<63-1 {
		return nil
	}
	return s.eachEntry(ctx, region, entrySel{}, afterSeq, fn)
}

// ItemEntries calls fn with each entry of the region about item, in seq
// order, until fn returns an error (returned as is) or the entries end.
func (s *Store) ItemEntries(ctx context.Context, region, item string, fn func(store.Entry) error) error {
	if item == "" {
		return allot.Errorf(allot.EINVALID, "ItemEntries needs an item id")
	}
	return s.eachEntry(ctx, region, entrySel{item: item}, 0, fn)
}

// ConfigEntries calls fn with each config entry of the region with seq >
// afterSeq, in seq order, until fn returns an error (returned as is) or the
// entries end. They are read through the partial index entries_config.
func (s *Store) ConfigEntries(ctx context.Context, region string, afterSeq uint64, fn func(store.Entry) error) error {
	if afterSeq > 1<<63-1 {
		return nil
	}
	return s.eachEntry(ctx, region, entrySel{config: true}, afterSeq, fn)
}

// entrySel selects the entries eachEntry reads: all of a region's, those
// about one item, or its config entries.
type entrySel struct {
	item   string
	config bool
}

// eachEntry pages through a region's entries that sel selects.
func (s *Store) eachEntry(ctx context.Context, region string, sel entrySel, afterSeq uint64, fn func(store.Entry) error) error {
	buf := make([]store.Entry, 0, entriesChunk)
	after := int64(afterSeq)
	for {
		buf = buf[:0]
		if err := s.entriesChunk(ctx, region, sel, after, &buf); err != nil {
			return err
		}
		for _, e := range buf {
			if err := fn(e); err != nil {
				return err
			}
		}
		if len(buf) < entriesChunk {
			return nil
		}
		after = int64(buf[len(buf)-1].Seq)
	}
}

func (s *Store) entriesChunk(ctx context.Context, region string, sel entrySel, after int64, buf *[]store.Entry) error {
	var rows *sql.Rows
	var err error
	switch {
	case sel.config:
		rows, err = s.r.QueryContext(ctx, qConfigEntries, region, after, entriesChunk)
	case sel.item == "":
		rows, err = s.r.QueryContext(ctx, qEntries, region, after, entriesChunk)
	default:
		rows, err = s.r.QueryContext(ctx, qItemEntries, region, sel.item, after, entriesChunk)
	}
	if err != nil {
		return fmt.Errorf("sqlite: entries of %s: %w", chainName(region), err)
	}
	defer rows.Close()
	for rows.Next() {
		e := store.Entry{Region: region}
		var seq int64
		var at string
		if err := rows.Scan(&seq, &at, &e.Actor, &e.Kind, &e.Item, &e.Payload, &e.PrevHash, &e.Hash); err != nil {
			return fmt.Errorf("sqlite: entries of %s: %w", chainName(region), err)
		}
		e.Seq = uint64(seq)
		if e.At, err = parseTime(at); err != nil {
			return err
		}
		e.Payload = emptyNil(e.Payload)
		*buf = append(*buf, e)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: entries of %s: %w", chainName(region), err)
	}
	return nil
}

// Item returns an item by id; ENOTFOUND when the region has none.
func (s *Store) Item(ctx context.Context, region, id string) (allot.Item, error) {
	it, err := scanItem(s.r.QueryRowContext(ctx, qItem, region, id))
	if errors.Is(err, sql.ErrNoRows) {
		return allot.Item{}, allot.Errorf(allot.ENOTFOUND, "item %q not found in region %q", id, region)
	}
	return it, err
}

// ItemByExternalID returns an item by its external id; ENOTFOUND when the
// region has none (always for "").
func (s *Store) ItemByExternalID(ctx context.Context, region, externalID string) (allot.Item, error) {
	it, err := scanItem(s.r.QueryRowContext(ctx, qItemByExternalID, region, externalID))
	if errors.Is(err, sql.ErrNoRows) {
		return allot.Item{}, allot.Errorf(allot.ENOTFOUND, "no item with external_id %q in region %q", externalID, region)
	}
	return it, err
}

// Items returns one page of the region's items matching q, ordered by
// (CreatedAt, ID), and the cursor of the next page ("" after the last).
// Paging is by key, so items written between pages never make a page skip
// or repeat an item whose created_at is unchanged.
//
// The page's keys come from the list index (lists.go), once it has applied
// every commit before the call; the items are then read from the main
// table and checked against the filter again, so an item that changed
// since (a commit after the call began) is left out rather than shown in a
// state the filter does not match. Such a page may hold fewer than its
// limit; the cursor still continues after it.
func (s *Store) Items(ctx context.Context, q store.ItemQuery) ([]allot.Item, string, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return nil, "", err
	}
	var b strings.Builder
	b.WriteString(qListItemsBase)
	args := []any{q.Region}
	for _, f := range []struct {
		val, clause string
	}{
		{string(q.Status), qItemsStatus},
		{q.Queue, qItemsQueue},
		{q.Owner, qItemsOwner},
		{q.Type, qItemsType},
	} {
		if f.val != "" {
			b.WriteString(f.clause)
			args = append(args, f.val)
		}
	}
	if q.After != "" {
		createdAt, id, err := decodeCursor(q.After)
		if err != nil {
			return nil, "", err
		}
		b.WriteString(qItemsAfter)
		args = append(args, createdAt, id)
	}
	b.WriteString(qItemsOrderLim)
	args = append(args, limit+1) // one more tells whether a next page exists

	if err := s.lists.wait(ctx, q.Region); err != nil {
		return nil, "", err
	}
	rows, err := s.lists.r.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return nil, "", fmt.Errorf("sqlite: items: %w", err)
	}
	var ids []string
	var lastCreated, lastID string
	more := false
	for rows.Next() {
		if len(ids) == limit {
			more = true
			break
		}
		if err := rows.Scan(&lastID, &lastCreated); err != nil {
			rows.Close()
			return nil, "", fmt.Errorf("sqlite: items: %w", err)
		}
		ids = append(ids, lastID)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, "", fmt.Errorf("sqlite: items: %w", err)
	}
	next := ""
	if more {
		next = encodeCursor(lastCreated, lastID)
	}
	if len(ids) == 0 {
		return nil, next, nil
	}
	found, err := s.itemsByID(ctx, q.Region, ids)
	if err != nil {
		return nil, "", err
	}
	out := make([]allot.Item, 0, len(ids))
	for _, id := range ids {
		it, ok := found[id]
		if !ok || (q.Status != "" && it.Status != q.Status) || (q.Queue != "" && it.Queue != q.Queue) ||
			(q.Owner != "" && it.Owner != q.Owner) || (q.Type != "" && it.Type != q.Type) {
			continue
		}
		out = append(out, it)
	}
	return out, next, nil
}

// itemsByID reads the region's items with the given ids (at most a page),
// through one prepared statement whatever their number (the ids go in as a
// JSON array).
func (s *Store) itemsByID(ctx context.Context, region string, ids []string) (map[string]allot.Item, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("sqlite: items: %w", err)
	}
	rows, err := s.readStmts.itemsByID.QueryContext(ctx, region, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: items: %w", err)
	}
	defer rows.Close()
	out := make(map[string]allot.Item, len(ids))
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, err
		}
		out[it.ID] = it
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: items: %w", err)
	}
	return out, nil
}

type scanner interface{ Scan(dest ...any) error }

func scanItem(sc scanner) (allot.Item, error) {
	var (
		it              allot.Item
		status, created string
		due             *string
		priority, score int64
		attrs, history  []byte
	)
	err := sc.Scan(&it.ID, &it.ExternalID, &it.Type, &status, &it.Queue, &it.Owner, &it.Rule,
		&priority, &score, &it.Tier, &created, &due, &attrs, &history)
	if errors.Is(err, sql.ErrNoRows) {
		return it, err
	}
	if err != nil {
		return it, fmt.Errorf("sqlite: item: %w", err)
	}
	it.Status, it.Priority, it.Score = allot.Status(status), int(priority), int(score)
	if it.CreatedAt, err = parseTime(created); err != nil {
		return it, err
	}
	if it.DueAt, err = parseOptTime(due); err != nil {
		return it, err
	}
	if it.Attributes, err = decodeAttributes(attrs); err != nil {
		return it, err
	}
	if it.History, err = decodeHistory(history); err != nil {
		return it, err
	}
	return it, nil
}

// Decisions returns one page of the region's decisions with Seq >
// q.AfterSeq, in seq order; Item and Agent filter on the decision's item
// and (new) agent.
func (s *Store) Decisions(ctx context.Context, q store.DecisionQuery) ([]allot.Decision, error) {
	limit, err := pageLimit(q.Limit)
	if err != nil {
		return nil, err
	}
	if q.AfterSeq > 1<<63-1 {
		return nil, nil
	}
	if q.Agent != "" && q.Item == "" {
		return s.agentDecisions(ctx, q, limit)
	}
	var b strings.Builder
	b.WriteString(qDecisionsBase)
	args := []any{q.Region, int64(q.AfterSeq)}
	if q.Item != "" {
		b.WriteString(qDecisionsItem)
		args = append(args, q.Item)
	}
	if q.Agent != "" {
		b.WriteString(qDecisionsAgent)
		args = append(args, q.Agent)
	}
	b.WriteString(qDecisionsOrderLim)
	args = append(args, limit)
	return s.queryDecisions(ctx, b.String(), args)
}

// agentDecisions is Decisions filtered by agent alone: the seqs come from
// the list index (once it has applied every commit before the call), the
// decisions from the main table. Decisions never change, so the page is
// exact.
func (s *Store) agentDecisions(ctx context.Context, q store.DecisionQuery, limit int) ([]allot.Decision, error) {
	if err := s.lists.wait(ctx, q.Region); err != nil {
		return nil, err
	}
	rows, err := s.lists.r.QueryContext(ctx, qListDecisions, q.Region, q.Agent, int64(q.AfterSeq), limit)
	if err != nil {
		return nil, fmt.Errorf("sqlite: decisions: %w", err)
	}
	var seqs []any
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			rows.Close()
			return nil, fmt.Errorf("sqlite: decisions: %w", err)
		}
		seqs = append(seqs, seq)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: decisions: %w", err)
	}
	if len(seqs) == 0 {
		return nil, nil
	}
	var b strings.Builder
	b.WriteString(qDecisionsBySeqPrefix)
	for i := range seqs {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('?')
	}
	b.WriteString(`) ORDER BY seq`)
	return s.queryDecisions(ctx, b.String(), append([]any{q.Region, int64(q.AfterSeq)}, seqs...))
}

// queryDecisions runs a decisions query (columns of qDecisionsBase).
func (s *Store) queryDecisions(ctx context.Context, query string, args []any) ([]allot.Decision, error) {
	rows, err := s.r.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlite: decisions: %w", err)
	}
	defer rows.Close()
	var out []allot.Decision
	for rows.Next() {
		var (
			d        allot.Decision
			seq, ver int64
			at, kind string
			x        []byte
		)
		if err := rows.Scan(&seq, &at, &kind, &d.Item, &d.Agent, &d.From, &d.Queue, &d.Cause, &ver, &x); err != nil {
			return nil, fmt.Errorf("sqlite: decisions: %w", err)
		}
		d.Seq, d.Kind, d.ConfigVersion = uint64(seq), allot.DecisionKind(kind), uint64(ver)
		if d.At, err = parseTime(at); err != nil {
			return nil, err
		}
		if d.Explanation, err = decodeExplanation(x); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: decisions: %w", err)
	}
	return out, nil
}

// ActiveAssignments maps item id → agent id for every active assignment of
// the region (an empty, non-nil map when there are none).
func (s *Store) ActiveAssignments(ctx context.Context, region string) (map[string]string, error) {
	rows, err := s.r.QueryContext(ctx, qActiveAssignments, region)
	if err != nil {
		return nil, fmt.Errorf("sqlite: assignments: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var item, agent string
		if err := rows.Scan(&item, &agent); err != nil {
			return nil, fmt.Errorf("sqlite: assignments: %w", err)
		}
		out[item] = agent
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: assignments: %w", err)
	}
	return out, nil
}

// Idempotency returns the record stored for (region, key); ENOTFOUND when
// there is none. An empty Body is nil.
func (s *Store) Idempotency(ctx context.Context, region, key string) (store.IdempotencyRecord, error) {
	r := store.IdempotencyRecord{Region: region, Key: key}
	var status int64
	var created string
	err := s.r.QueryRowContext(ctx, qIdempotency, region, key).Scan(&r.RequestHash, &status, &r.Body, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return store.IdempotencyRecord{}, allot.Errorf(allot.ENOTFOUND, "no idempotency record for key %q in region %q", key, region)
	}
	if err != nil {
		return store.IdempotencyRecord{}, fmt.Errorf("sqlite: idempotency: %w", err)
	}
	r.Status, r.Body = int(status), emptyNil(r.Body)
	if r.CreatedAt, err = parseTime(created); err != nil {
		return store.IdempotencyRecord{}, err
	}
	return r, nil
}

// Token returns a token by id; ENOTFOUND when absent. Revoked and expired
// tokens are returned: judging them is the caller's business.
func (s *Store) Token(ctx context.Context, id string) (store.Token, error) {
	t, err := scanToken(s.r.QueryRowContext(ctx, qToken, id))
	if errors.Is(err, sql.ErrNoRows) {
		return store.Token{}, allot.Errorf(allot.ENOTFOUND, "token %q not found", id)
	}
	return t, err
}

// Tokens lists every token, sorted by id.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	rows, err := s.r.QueryContext(ctx, qTokens)
	if err != nil {
		return nil, fmt.Errorf("sqlite: tokens: %w", err)
	}
	defer rows.Close()
	var out []store.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: tokens: %w", err)
	}
	return out, nil
}

func scanToken(sc scanner) (store.Token, error) {
	var (
		t             store.Token
		role, created string
		expires       *string
		revoked       int64
	)
	err := sc.Scan(&t.ID, &t.SecretHash, &role, &t.Region, &t.Agent, &t.Name, &created, &expires, &revoked)
	if errors.Is(err, sql.ErrNoRows) {
		return t, err
	}
	if err != nil {
		return t, fmt.Errorf("sqlite: token: %w", err)
	}
	t.Role, t.Revoked = store.Role(role), revoked != 0
	if t.CreatedAt, err = parseTime(created); err != nil {
		return t, err
	}
	if expires != nil {
		e, err := parseTime(*expires)
		if err != nil {
			return t, err
		}
		t.ExpiresAt = &e
	}
	return t, nil
}
