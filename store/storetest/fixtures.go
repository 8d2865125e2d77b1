package storetest

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// t0 has nanoseconds so that time round trips are tested to the last digit.
var t0 = time.Date(2026, time.November, 23, 9, 30, 0, 123456789, time.UTC)

// cet is a non-UTC zone: times written in it must come back in UTC.
var cet = time.FixedZone("CET", 3600)

// opener opens stores for one test and closes each exactly once at cleanup.
type opener func(t *testing.T) store.Store

func (o opener) open(t *testing.T) *handle {
	t.Helper()
	h := &handle{Store: o(t)}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return h
}

// handle makes Close idempotent for the suite, which closes stores itself
// in the reopen tests and again at cleanup.
type handle struct {
	store.Store
	once sync.Once
	err  error
}

func (h *handle) Close() error {
	h.once.Do(func() { h.err = h.Store.Close() })
	return h.err
}

// chain builds correctly hashed entries of one region and decisions with
// increasing seqs. Copy it (c2 := *c) to build a batch that is meant to
// fail without advancing c.
type chain struct {
	region string
	seq    uint64
	hash   string
	dseq   uint64
}

func newChain(region string) *chain { return &chain{region: region} }

// entry returns the next entry; its At is in a non-UTC zone on even seqs.
func (c *chain) entry(kind, item, payload string) store.Entry {
	c.seq++
	at := t0.Add(time.Duration(c.seq) * time.Millisecond)
	if c.seq%2 == 0 {
		at = at.In(cet)
	}
	e := store.Entry{Region: c.region, Seq: c.seq, At: at, Actor: "system", Kind: kind, Item: item, Payload: []byte(payload), PrevHash: c.hash}
	if payload == "" {
		e.Payload = nil
	}
	e.Hash = store.HashEntry(&e)
	c.hash = e.Hash
	return e
}

// decision returns the next decision (explanation nil).
func (c *chain) decision(kind allot.DecisionKind, item, agent string) allot.Decision {
	c.dseq++
	return allot.Decision{Seq: c.dseq, At: t0.Add(time.Duration(c.dseq) * time.Microsecond), Kind: kind,
		Item: item, Agent: agent, Queue: "q1", Cause: "arrival", ConfigVersion: c.dseq % 3}
}

// batch returns a batch with one entry ("item_updated") and one decision
// per item, and the items.
func (c *chain) batch(items ...allot.Item) *store.Batch {
	b := &store.Batch{Region: c.region}
	for _, it := range items {
		b.Entries = append(b.Entries, c.entry("item_updated", it.ID, fmt.Sprintf(`{"id":%q}`, it.ID)))
		kind := allot.DecisionQueued
		if it.Owner != "" {
			kind = allot.DecisionAssigned
		}
		b.Decisions = append(b.Decisions, c.decision(kind, it.ID, it.Owner))
	}
	b.Items = items
	return b
}

// item returns a queued lead created n seconds after t0.
func item(id string, n int) allot.Item {
	return allot.Item{ID: id, Type: "lead", Status: allot.StatusQueued, Queue: "q1", Priority: 1,
		CreatedAt: t0.Add(time.Duration(n) * time.Second)}
}

func owned(it allot.Item, agent string) allot.Item {
	it.Owner, it.Status = agent, allot.StatusAssigned
	if agent == "" {
		it.Status = allot.StatusQueued
	}
	return it
}

func mustCommit(t *testing.T, s store.Store, b *store.Batch) {
	t.Helper()
	if err := s.Commit(t.Context(), b); err != nil {
		t.Fatalf("Commit: %v", err)
	}
}

func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := allot.ErrorCode(err); got != code {
		t.Fatalf("error code %q (%v), want %q", got, err, code)
	}
}

// normItem is what the store gives back for a written item.
func normItem(it allot.Item) allot.Item {
	it.CreatedAt = it.CreatedAt.UTC()
	if !it.DueAt.IsZero() {
		it.DueAt = it.DueAt.UTC()
	}
	if len(it.Attributes) == 0 {
		it.Attributes = nil
	} else {
		m := make(map[string]any, len(it.Attributes))
		for k, v := range it.Attributes {
			switch v := v.(type) {
			case int:
				m[k] = int64(v)
			case []any:
				ss := make([]string, len(v))
				for i, e := range v {
					ss[i] = e.(string)
				}
				m[k] = ss
			default:
				m[k] = v
			}
		}
		it.Attributes = m
	}
	if len(it.History) == 0 {
		it.History = nil
	} else {
		h := slices.Clone(it.History)
		for i := range h {
			h[i].At = h[i].At.UTC()
		}
		it.History = h
	}
	return it
}

// normDecision is what the store gives back for a written decision.
func normDecision(d allot.Decision) allot.Decision {
	d.At = d.At.UTC()
	return d
}

func sameEntry(a, b store.Entry) bool {
	return a.Region == b.Region && a.Seq == b.Seq && a.At.Equal(b.At) && a.At.Location() == time.UTC &&
		a.Actor == b.Actor && a.Kind == b.Kind && a.Item == b.Item && bytes.Equal(a.Payload, b.Payload) &&
		a.PrevHash == b.PrevHash && a.Hash == b.Hash
}

func diff(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\n got %#v\nwant %#v", what, got, want)
	}
}

// allEntries returns every entry of a region from afterSeq.
func allEntries(t *testing.T, s store.Store, region string, afterSeq uint64) []store.Entry {
	t.Helper()
	var out []store.Entry
	if err := s.Entries(t.Context(), region, afterSeq, func(e store.Entry) error {
		out = append(out, e)
		return nil
	}); err != nil {
		t.Fatalf("Entries: %v", err)
	}
	return out
}

// allItems pages through every item matching q with the given page size.
func allItems(t *testing.T, s store.Store, q store.ItemQuery) []allot.Item {
	t.Helper()
	var out []allot.Item
	for range 10000 {
		page, next, err := s.Items(t.Context(), q)
		if err != nil {
			t.Fatalf("Items(%+v): %v", q, err)
		}
		if q.Limit > 0 && len(page) > q.Limit {
			t.Fatalf("Items(%+v): %d items on a page of %d", q, len(page), q.Limit)
		}
		out = append(out, page...)
		if next == "" {
			return out
		}
		if len(page) == 0 {
			t.Fatalf("Items(%+v): empty page with a next cursor", q)
		}
		q.After = next
	}
	t.Fatalf("Items(%+v): paging does not end", q)
	return nil
}

func ids(its []allot.Item) []string {
	out := make([]string, len(its))
	for i, it := range its {
		out[i] = it.ID
	}
	return out
}

// allDecisions pages through every decision matching q.
func allDecisions(t *testing.T, s store.Store, q store.DecisionQuery) []allot.Decision {
	t.Helper()
	var out []allot.Decision
	for range 10000 {
		page, err := s.Decisions(t.Context(), q)
		if err != nil {
			t.Fatalf("Decisions(%+v): %v", q, err)
		}
		if len(page) == 0 {
			return out
		}
		out = append(out, page...)
		q.AfterSeq = page[len(page)-1].Seq
	}
	t.Fatalf("Decisions(%+v): paging does not end", q)
	return nil
}

// state is everything a region shows through the Store, to check that a
// failed commit left no trace.
type state struct {
	Seq       uint64
	Hash      string
	Entries   []store.Entry
	Items     []allot.Item
	Decisions []allot.Decision
	Active    map[string]string
}

func snapshot(t *testing.T, s store.Store, region string) state {
	t.Helper()
	ctx := t.Context()
	var st state
	var err error
	if st.Seq, st.Hash, err = s.Head(ctx, region); err != nil {
		t.Fatalf("Head: %v", err)
	}
	st.Entries = allEntries(t, s, region, 0)
	st.Items = allItems(t, s, store.ItemQuery{Region: region, Limit: 1000})
	st.Decisions = allDecisions(t, s, store.DecisionQuery{Region: region, Limit: 1000})
	if st.Active, err = s.ActiveAssignments(ctx, region); err != nil {
		t.Fatalf("ActiveAssignments: %v", err)
	}
	return st
}

func sameState(t *testing.T, got, want state) {
	t.Helper()
	if got.Seq != want.Seq || got.Hash != want.Hash {
		t.Fatalf("head (%d, %.8s), want (%d, %.8s)", got.Seq, got.Hash, want.Seq, want.Hash)
	}
	if len(got.Entries) != len(want.Entries) {
		t.Fatalf("%d entries, want %d", len(got.Entries), len(want.Entries))
	}
	for i := range got.Entries {
		if !sameEntry(got.Entries[i], want.Entries[i]) {
			t.Fatalf("entry %d: %+v, want %+v", i, got.Entries[i], want.Entries[i])
		}
	}
	diff(t, "items", got.Items, want.Items)
	diff(t, "decisions", got.Decisions, want.Decisions)
	diff(t, "active assignments", got.Active, want.Active)
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), strings.ToLower(sub))
}
