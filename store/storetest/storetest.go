package storetest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// Exercise runs the conformance suite against the stores open returns.
//
// open must return a store on an empty database of the test t — each
// subtest calls it for its own database — and, called again with the same
// t after that store was closed, a store on the same database (the reopen
// tests). The suite closes every store it opens. Subtests run in parallel.
func Exercise(t *testing.T, open func(t *testing.T) store.Store) {
	o := opener(open)
	t.Run("Chain", func(t *testing.T) { t.Parallel(); testChain(t, o) })
	t.Run("Entries", func(t *testing.T) { t.Parallel(); testEntries(t, o) })
	t.Run("HeadAndRegions", func(t *testing.T) { t.Parallel(); testHeadAndRegions(t, o) })
	t.Run("Items", func(t *testing.T) { t.Parallel(); testItems(t, o) })
	t.Run("Assignments", func(t *testing.T) { t.Parallel(); testAssignments(t, o) })
	t.Run("Decisions", func(t *testing.T) { t.Parallel(); testDecisions(t, o) })
	t.Run("Idempotency", func(t *testing.T) { t.Parallel(); testIdempotency(t, o) })
	t.Run("Tokens", func(t *testing.T) { t.Parallel(); testTokens(t, o) })
	t.Run("Atomicity", func(t *testing.T) { t.Parallel(); testAtomicity(t, o) })
	t.Run("Reopen", func(t *testing.T) { t.Parallel(); testReopen(t, o) })
}

func testChain(t *testing.T, o opener) {
	t.Run("FirstEntry", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		seq, hash, err := s.Head(ctx, "eu")
		if err != nil || seq != 0 || hash != "" {
			t.Fatalf("Head of an empty region = (%d, %q, %v), want (0, \"\", nil)", seq, hash, err)
		}

		// Not seq 1, or seq 1 with a prev hash: conflicts.
		c := newChain("eu")
		c.seq = 1
		wantCode(t, s.Commit(ctx, &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("tick", "", "")}}), allot.ECONFLICT)
		c = newChain("eu")
		c.hash = "00"
		wantCode(t, s.Commit(ctx, &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("tick", "", "")}}), allot.ECONFLICT)
		if seq, _, _ := s.Head(ctx, "eu"); seq != 0 {
			t.Fatalf("head %d after rejected commits, want 0", seq)
		}

		c = newChain("eu")
		e := c.entry("config", "", `{"v":1}`)
		if e.Seq != 1 || e.PrevHash != "" {
			t.Fatalf("builder: first entry %d %q", e.Seq, e.PrevHash)
		}
		mustCommit(t, s, &store.Batch{Region: "eu", Entries: []store.Entry{e}})
		seq, hash, err = s.Head(ctx, "eu")
		if err != nil || seq != 1 || hash != e.Hash {
			t.Fatalf("Head = (%d, %q, %v), want (1, %q, nil)", seq, hash, err, e.Hash)
		}
	})

	// rejected commits a batch built by build on a copy of a chain with two
	// committed entries, expects ECONFLICT and checks nothing was written.
	rejected := func(t *testing.T, build func(c *chain) *store.Batch) {
		t.Helper()
		s := o.open(t)
		c := newChain("eu")
		mustCommit(t, s, c.batch(item("a", 1), owned(item("b", 2), "ana")))
		before := snapshot(t, s, "eu")
		c2 := *c
		b := build(&c2)
		b.Items = append(b.Items, item("new", 3), owned(item("a", 1), "bob"))
		b.Idempotency = []store.IdempotencyRecord{{Region: "eu", Key: "k", RequestHash: "h", Status: 201, CreatedAt: t0}}
		wantCode(t, s.Commit(t.Context(), b), allot.ECONFLICT)
		sameState(t, snapshot(t, s, "eu"), before)
		_, err := s.Idempotency(t.Context(), "eu", "k")
		wantCode(t, err, allot.ENOTFOUND)
		// The chain still continues from the stored head.
		mustCommit(t, s, c.batch(item("c", 4)))
	}
	t.Run("Gap", func(t *testing.T) {
		t.Parallel()
		rejected(t, func(c *chain) *store.Batch {
			c.seq++ // skip one
			c.hash = "whatever"
			return c.batch(item("x", 9))
		})
	})
	t.Run("GapInsideBatch", func(t *testing.T) {
		t.Parallel()
		rejected(t, func(c *chain) *store.Batch {
			b := c.batch(item("x", 9))
			c.seq++
			b.Entries = append(b.Entries, c.entry("tick", "", ""))
			return b
		})
	})
	t.Run("Stale", func(t *testing.T) {
		t.Parallel()
		rejected(t, func(c *chain) *store.Batch {
			// Rebuild seq 2 on seq 1: another writer already wrote it.
			c.seq, c.hash = 1, ""
			return c.batch(item("x", 9))
		})
	})
	t.Run("WrongPrevHash", func(t *testing.T) {
		t.Parallel()
		rejected(t, func(c *chain) *store.Batch {
			c.hash = "0123456789abcdef"
			return c.batch(item("x", 9))
		})
	})
	t.Run("WrongPrevHashInsideBatch", func(t *testing.T) {
		t.Parallel()
		rejected(t, func(c *chain) *store.Batch {
			b := c.batch(item("x", 9))
			c.hash = "0123456789abcdef"
			b.Entries = append(b.Entries, c.entry("tick", "", ""))
			return b
		})
	})
	t.Run("WrongHash", func(t *testing.T) {
		t.Parallel()
		rejected(t, func(c *chain) *store.Batch {
			b := c.batch(item("x", 9), item("y", 10))
			b.Entries[1].Payload = []byte(`{"tampered":true}`) // Hash no longer matches
			return b
		})
	})
	t.Run("WrongRegion", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		c := newChain("us")
		err := s.Commit(t.Context(), &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("tick", "", "")}})
		if err == nil {
			t.Fatal("Commit of an entry of another region succeeded")
		}
		for _, r := range []string{"eu", "us"} {
			if seq, _, _ := s.Head(t.Context(), r); seq != 0 {
				t.Fatalf("head of %s %d, want 0", r, seq)
			}
		}
	})
	t.Run("ConcurrentSameSeq", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		c := newChain("eu")
		mustCommit(t, s, c.batch(item("a", 1)))
		const writers, rounds = 8, 5
		for round := range rounds {
			start := make(chan struct{})
			errs := make([]error, writers)
			batches := make([]*store.Batch, writers)
			for w := range writers {
				c2 := *c
				batches[w] = &store.Batch{Region: "eu",
					Entries: []store.Entry{c2.entry("tick", "", fmt.Sprintf(`{"writer":%d,"round":%d}`, w, round))},
					Items:   []allot.Item{owned(item("a", 1), fmt.Sprintf("agent%d", w))}}
			}
			var wg sync.WaitGroup
			for w := range writers {
				wg.Go(func() {
					<-start
					errs[w] = s.Commit(ctx, batches[w])
				})
			}
			close(start)
			wg.Wait()
			winner := -1
			for w, err := range errs {
				switch allot.ErrorCode(err) {
				case "":
					if winner >= 0 {
						t.Fatalf("round %d: writers %d and %d both committed seq %d", round, winner, w, c.seq+1)
					}
					winner = w
				case allot.ECONFLICT:
				default:
					t.Fatalf("round %d: writer %d: %v, want nil or ECONFLICT", round, w, err)
				}
			}
			if winner < 0 {
				t.Fatalf("round %d: no writer committed", round)
			}
			want := batches[winner].Entries[0]
			seq, hash, err := s.Head(ctx, "eu")
			if err != nil || seq != want.Seq || hash != want.Hash {
				t.Fatalf("round %d: Head = (%d, %.8s, %v), want the winner's (%d, %.8s)", round, seq, hash, err, want.Seq, want.Hash)
			}
			active, err := s.ActiveAssignments(ctx, "eu")
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "active assignments", active, map[string]string{"a": fmt.Sprintf("agent%d", winner)})
			*c = chain{region: "eu", seq: want.Seq, hash: want.Hash, dseq: c.dseq}
		}
		if n := len(allEntries(t, s, "eu", 0)); n != 1+rounds {
			t.Fatalf("%d entries, want %d", n, 1+rounds)
		}
	})
	t.Run("IndependentChains", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		eu, us, global := newChain("eu"), newChain("us"), newChain("")
		for range 3 {
			mustCommit(t, s, &store.Batch{Region: "eu", Entries: []store.Entry{eu.entry("tick", "", "")}})
		}
		mustCommit(t, s, &store.Batch{Region: "us", Entries: []store.Entry{us.entry("tick", "", "")}})
		if err := s.CommitGlobal(ctx, []store.Entry{global.entry("token_created", "", `{}`)}, nil); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*chain{eu, us, global} {
			seq, hash, err := s.Head(ctx, c.region)
			if err != nil || seq != c.seq || hash != c.hash {
				t.Fatalf("Head(%q) = (%d, %.8s, %v), want (%d, %.8s)", c.region, seq, hash, err, c.seq, c.hash)
			}
		}
		// A region's batch cannot write the global chain.
		err := s.Commit(ctx, &store.Batch{Region: "", Entries: []store.Entry{global.entry("tick", "", "")}})
		if code := allot.ErrorCode(err); code != allot.EINVALID && code != allot.ECONFLICT {
			t.Fatalf("Commit of a batch without region: %v, want EINVALID or ECONFLICT", err)
		}
		if seq, _, _ := s.Head(ctx, ""); seq != 1 {
			t.Fatalf("global head %d after a refused batch, want 1", seq)
		}
	})
	t.Run("NoEntries", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		c := newChain("eu")
		mustCommit(t, s, c.batch(item("a", 1)))
		// A batch without entries checks no chain and leaves the head.
		mustCommit(t, s, &store.Batch{Region: "eu", Items: []allot.Item{owned(item("a", 1), "ana")}})
		if seq, _, _ := s.Head(t.Context(), "eu"); seq != 1 {
			t.Fatalf("head %d, want 1", seq)
		}
		it, err := s.Item(t.Context(), "eu", "a")
		if err != nil || it.Owner != "ana" {
			t.Fatalf("Item = %+v, %v", it, err)
		}
	})
}

func testEntries(t *testing.T, o opener) {
	s := o.open(t)
	ctx := t.Context()
	c := newChain("eu")
	var written []store.Entry
	for range 7 {
		b := &store.Batch{Region: "eu"}
		for i := range 150 {
			payload := fmt.Sprintf(`{"n":%d}`, c.seq+1)
			if i%10 == 0 {
				payload = "" // an empty payload comes back nil
			}
			if i%2 == 1 {
				// Every other entry a config one, so that ConfigEntries
				// spans more than one of a store's read chunks.
				b.Entries = append(b.Entries, c.entry(store.KindConfig, "", payload))
				continue
			}
			b.Entries = append(b.Entries, c.entry("item_arrived", fmt.Sprintf("i%d", i%13), payload))
		}
		mustCommit(t, s, b)
		written = append(written, b.Entries...)
	}
	// The other chains must not leak in.
	mustCommit(t, s, &store.Batch{Region: "eu2", Entries: []store.Entry{newChain("eu2").entry(store.KindConfig, "", "")}})
	if err := s.CommitGlobal(ctx, []store.Entry{newChain("").entry("token_created", "", "{}")}, nil); err != nil {
		t.Fatal(err)
	}

	check := func(t *testing.T, got, want []store.Entry) {
		t.Helper()
		if len(got) != len(want) {
			t.Fatalf("%d entries, want %d", len(got), len(want))
		}
		for i := range got {
			w := want[i]
			w.At = w.At.UTC()
			if !sameEntry(got[i], w) {
				t.Fatalf("entry %d:\n got %+v\nwant %+v", i, got[i], w)
			}
			if got[i].At != w.At {
				t.Fatalf("entry %d: At %#v != %#v", i, got[i].At, w.At)
			}
			if len(w.Payload) == 0 && got[i].Payload != nil {
				t.Fatalf("entry %d: empty payload came back as %#v, want nil", i, got[i].Payload)
			}
		}
	}
	t.Run("All", func(t *testing.T) { check(t, allEntries(t, s, "eu", 0), written) })
	t.Run("ItemEntries", func(t *testing.T) {
		var want, got []store.Entry
		for _, e := range written {
			if e.Item == "i5" {
				want = append(want, e)
			}
		}
		if err := s.ItemEntries(ctx, "eu", "i5", func(e store.Entry) error { got = append(got, e); return nil }); err != nil {
			t.Fatal(err)
		}
		check(t, got, want)
		n := 0
		if err := s.ItemEntries(ctx, "eu2", "i5", func(store.Entry) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("another region's entries: %d, %v", n, err)
		}
	})
	t.Run("ConfigEntries", func(t *testing.T) {
		for _, after := range []uint64{0, 1, 2, 511, 512, 1049, 1050, 1 << 40} {
			var want, got []store.Entry
			for _, e := range written {
				if e.Kind == store.KindConfig && e.Seq > after {
					want = append(want, e)
				}
			}
			if err := s.ConfigEntries(ctx, "eu", after, func(e store.Entry) error { got = append(got, e); return nil }); err != nil {
				t.Fatal(err)
			}
			check(t, got, want)
		}
		stop := errors.New("stop")
		calls := 0
		if err := s.ConfigEntries(ctx, "eu", 0, func(store.Entry) error { calls++; return stop }); !errors.Is(err, stop) || calls != 1 {
			t.Fatalf("ConfigEntries after fn's error: %v, %d calls", err, calls)
		}
		n := 0
		if err := s.ConfigEntries(ctx, "nowhere", 0, func(store.Entry) error { n++; return nil }); err != nil || n != 0 {
			t.Fatalf("an unknown region's config entries: %d, %v", n, err)
		}
	})
	t.Run("AfterSeq", func(t *testing.T) {
		for _, after := range []uint64{1, 511, 512, 513, 700, 1049} {
			check(t, allEntries(t, s, "eu", after), written[after:])
		}
		check(t, allEntries(t, s, "eu", 1050), nil)
		check(t, allEntries(t, s, "eu", 1<<40), nil)
	})
	t.Run("StopsOnError", func(t *testing.T) {
		stop := errors.New("stop")
		calls := 0
		err := s.Entries(ctx, "eu", 100, func(e store.Entry) error {
			calls++
			if e.Seq != uint64(100+calls) {
				t.Fatalf("call %d: seq %d", calls, e.Seq)
			}
			if calls == 600 {
				return fmt.Errorf("wrapped: %w", stop)
			}
			return nil
		})
		if !errors.Is(err, stop) {
			t.Fatalf("Entries returned %v, want fn's error", err)
		}
		if calls != 600 {
			t.Fatalf("fn called %d times after its error, want 600", calls)
		}
	})
	t.Run("UnknownRegion", func(t *testing.T) {
		check(t, allEntries(t, s, "nowhere", 0), nil)
	})
	t.Run("OtherChains", func(t *testing.T) {
		if n := len(allEntries(t, s, "eu2", 0)); n != 1 {
			t.Fatalf("eu2: %d entries, want 1", n)
		}
		if n := len(allEntries(t, s, "", 0)); n != 1 {
			t.Fatalf("global: %d entries, want 1", n)
		}
	})
	t.Run("FnMayReadTheStore", func(t *testing.T) {
		n := 0
		if err := s.Entries(ctx, "eu", 0, func(e store.Entry) error {
			n++
			_, _, err := s.Head(ctx, "eu")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if n != len(written) {
			t.Fatalf("%d entries, want %d", n, len(written))
		}
	})
}

func testHeadAndRegions(t *testing.T, o opener) {
	s := o.open(t)
	ctx := t.Context()
	rs, err := s.Regions(ctx)
	if err != nil || len(rs) != 0 {
		t.Fatalf("Regions of an empty store = %v, %v", rs, err)
	}
	chains := map[string]*chain{}
	for _, r := range []string{"us-west", "eu", "apac", "eu", "eu-central"} {
		if chains[r] == nil {
			chains[r] = newChain(r)
		}
		mustCommit(t, s, &store.Batch{Region: r, Entries: []store.Entry{chains[r].entry("tick", "", "")}})
	}
	if err := s.CommitGlobal(ctx, []store.Entry{newChain("").entry("token_created", "", "{}")}, nil); err != nil {
		t.Fatal(err)
	}
	// A batch without entries does not make a region.
	mustCommit(t, s, &store.Batch{Region: "empty", Items: []allot.Item{item("x", 1)}})
	rs, err = s.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "Regions", rs, []string{"apac", "eu", "eu-central", "us-west"})
	for r, c := range chains {
		seq, hash, err := s.Head(ctx, r)
		if err != nil || seq != c.seq || hash != c.hash {
			t.Fatalf("Head(%q) = (%d, %.8s, %v), want (%d, %.8s)", r, seq, hash, err, c.seq, c.hash)
		}
	}
}

// fullItem sets every field, with attributes of each allowed type and times
// in a non-UTC zone.
func fullItem() allot.Item {
	return allot.Item{
		ID: "item-1", Type: "case", ExternalID: "crm-0001",
		Attributes: map[string]any{
			"country":  "FR",
			"amount":   1234.5,
			"whole":    3.0, // an integral float64 stays float64
			"tiny":     1e-300,
			"huge":     1.5e300,
			"negzero":  math.Copysign(0, -1),
			"count":    int64(-42),
			"bigint":   int64(1) << 62,
			"plainint": 7,
			"vip":      true,
			"closed":   false,
			"tags":     []string{"b2b", "urgent", ""},
			"langs":    []any{"fr", "en"},
			"none":     []string{},
			"quote":    "a \"quoted\" <b>&\u00e9\U0001F600\\",
		},
		Score: 87, Tier: "hot", Priority: -3,
		CreatedAt: time.Date(2026, 11, 23, 10, 31, 2, 999999999, cet),
		DueAt:     time.Date(2026, 11, 23, 11, 0, 0, 1, cet),
		Status:    allot.StatusWorking, Queue: "fr-sales", Owner: "ana", Rule: "france",
		History: []allot.HistoryEntry{
			{At: time.Date(2026, 11, 23, 10, 31, 2, 999999999, cet), Kind: "created"},
			{At: t0, Kind: "assigned", Queue: "fr-sales", Agent: "ana", Reason: "least loaded"},
		},
	}
}

func testItems(t *testing.T, o opener) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		full := fullItem()
		bare := allot.Item{ID: "bare", Type: "lead", Status: allot.StatusQueued, CreatedAt: t0}
		emptyAttrs := allot.Item{ID: "empty", Type: "lead", Status: allot.StatusQueued, CreatedAt: t0,
			Attributes: map[string]any{}, History: []allot.HistoryEntry{}}
		c := newChain("eu")
		mustCommit(t, s, c.batch(full, bare, emptyAttrs))
		for _, w := range []allot.Item{full, bare, emptyAttrs} {
			got, err := s.Item(ctx, "eu", w.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := normItem(w)
			diff(t, "item "+w.ID, got, want)
			if got.CreatedAt != want.CreatedAt || got.DueAt != want.DueAt {
				t.Fatalf("%s: times %#v %#v, want %#v %#v", w.ID, got.CreatedAt, got.DueAt, want.CreatedAt, want.DueAt)
			}
		}
		got, _ := s.Item(ctx, "eu", "item-1")
		for k, v := range map[string]any{"whole": 3.0, "count": int64(-42), "plainint": int64(7), "langs": []string{"fr", "en"}, "none": []string{}} {
			diff(t, "attribute "+k, got.Attributes[k], v)
		}
	})
	t.Run("Upsert", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		c := newChain("eu")
		it := fullItem()
		mustCommit(t, s, c.batch(it))
		it.Status, it.Owner, it.Queue, it.Score, it.Tier, it.Rule = allot.StatusClosed, "bob", "other", 1, "", ""
		it.Attributes = map[string]any{"only": "this"}
		it.DueAt = time.Time{}
		it.History = append(it.History, allot.HistoryEntry{At: t0.Add(time.Hour), Kind: "closed"})
		mustCommit(t, s, c.batch(it))
		got, err := s.Item(ctx, "eu", it.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "updated item", got, normItem(it))
		if all := allItems(t, s, store.ItemQuery{Region: "eu"}); len(all) != 1 {
			t.Fatalf("%d items after an upsert, want 1", len(all))
		}
	})
	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		mustCommit(t, s, newChain("eu").batch(item("a", 1)))
		_, err := s.Item(ctx, "eu", "nope")
		wantCode(t, err, allot.ENOTFOUND)
		_, err = s.Item(ctx, "us", "a")
		wantCode(t, err, allot.ENOTFOUND)
	})
	t.Run("ExternalID", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		a, b := item("a", 1), item("b", 2)
		a.ExternalID = "crm-1"
		mustCommit(t, s, newChain("eu").batch(a, b)) // b has no external id
		us := item("u", 1)
		us.ExternalID = "crm-1" // the same external id in another region is another item
		mustCommit(t, s, newChain("us").batch(us))

		got, err := s.ItemByExternalID(ctx, "eu", "crm-1")
		if err != nil || got.ID != "a" {
			t.Fatalf("ItemByExternalID = %+v, %v", got, err)
		}
		got, err = s.ItemByExternalID(ctx, "us", "crm-1")
		if err != nil || got.ID != "u" {
			t.Fatalf("ItemByExternalID(us) = %+v, %v", got, err)
		}
		for _, ext := range []string{"crm-2", ""} {
			_, err = s.ItemByExternalID(ctx, "eu", ext)
			wantCode(t, err, allot.ENOTFOUND)
		}
		// Many items without an external id may coexist.
		c := newChain("eu2")
		mustCommit(t, s, c.batch(item("x", 1), item("y", 2), item("z", 3)))
	})
	t.Run("Paging", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		// 250 items, three per created_at (ties break on id), written in a
		// shuffled order so that neither write order nor id order is the
		// page order.
		var its []allot.Item
		for i := range 250 {
			it := item(fmt.Sprintf("it-%03d", (i*37)%250), i/3)
			if i%2 == 1 {
				it.CreatedAt = it.CreatedAt.In(cet)
			}
			its = append(its, it)
		}
		want := slices.Clone(its)
		slices.SortFunc(want, func(a, b allot.Item) int {
			if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
				return c
			}
			return cmpString(a.ID, b.ID)
		})
		rand.New(rand.NewPCG(1, 2)).Shuffle(len(its), func(i, j int) { its[i], its[j] = its[j], its[i] })
		c := newChain("eu")
		mustCommit(t, s, c.batch(its[:120]...))
		mustCommit(t, s, c.batch(its[120:]...))

		ctx := t.Context()
		var got []allot.Item
		var sizes []int
		q := store.ItemQuery{Region: "eu", Limit: 100}
		for {
			page, next, err := s.Items(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, page...)
			sizes = append(sizes, len(page))
			if next == "" {
				break
			}
			q.After = next
		}
		diff(t, "page sizes", sizes, []int{100, 100, 50})
		for i := range want {
			want[i] = normItem(want[i])
		}
		diff(t, "items in page order", ids(got), ids(want))
		diff(t, "items", got, want)
		// A page size that divides the total: the last page says so.
		diff(t, "pages of 50", ids(allItems(t, s, store.ItemQuery{Region: "eu", Limit: 50})), ids(want))
		diff(t, "pages of 1", ids(allItems(t, s, store.ItemQuery{Region: "eu", Limit: 1}))[:10], ids(want)[:10])
		// The default page is 100.
		page, next, err := s.Items(ctx, store.ItemQuery{Region: "eu"})
		if err != nil || len(page) != 100 || next == "" {
			t.Fatalf("default page: %d items, next %q, %v", len(page), next, err)
		}
	})
	t.Run("Limits", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		var its []allot.Item
		for i := range 1100 {
			its = append(its, item(fmt.Sprintf("it-%04d", i), i))
		}
		c := newChain("eu")
		b := &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("import", "", "")}, Items: its}
		mustCommit(t, s, b)
		page, next, err := s.Items(ctx, store.ItemQuery{Region: "eu", Limit: 5000})
		if err != nil || len(page) != 1000 || next == "" {
			t.Fatalf("limit 5000: %d items, next %q, %v; want 1000 and a cursor", len(page), next, err)
		}
		page, next, err = s.Items(ctx, store.ItemQuery{Region: "eu", Limit: 5000, After: next})
		if err != nil || len(page) != 100 || next != "" {
			t.Fatalf("second page: %d items, next %q, %v; want 100 and no cursor", len(page), next, err)
		}
		_, _, err = s.Items(ctx, store.ItemQuery{Region: "eu", Limit: -1})
		wantCode(t, err, allot.EINVALID)
	})
	t.Run("BadCursor", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		mustCommit(t, s, newChain("eu").batch(item("a", 1)))
		for _, cur := range []string{"!!!not base64!!!", "Z2FyYmFnZQ", "e30", "MjAyNnx4"} {
			_, _, err := s.Items(t.Context(), store.ItemQuery{Region: "eu", After: cur})
			wantCode(t, err, allot.EINVALID)
			if !containsFold(err.Error(), "cursor") {
				t.Fatalf("error %q does not name the cursor", err)
			}
		}
	})
	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		statuses := []allot.Status{allot.StatusQueued, allot.StatusAssigned, allot.StatusWorking, allot.StatusClosed}
		var its []allot.Item
		for i := range 90 {
			it := item(fmt.Sprintf("f%02d", i), 90-i) // created in reverse id order
			it.Status = statuses[i%4]
			it.Queue = []string{"q1", "q2", "q3"}[i%3]
			it.Type = []string{"lead", "case"}[i%2]
			if it.Status.Owned() {
				it.Owner = []string{"ana", "bob", "carl"}[i%5%3]
			}
			its = append(its, it)
		}
		c := newChain("eu")
		mustCommit(t, s, c.batch(its...))
		mustCommit(t, s, newChain("us").batch(owned(item("f00", 1), "ana"))) // never listed in eu

		sorted := slices.Clone(its)
		slices.SortFunc(sorted, func(a, b allot.Item) int { return a.CreatedAt.Compare(b.CreatedAt) })
		for _, q := range []store.ItemQuery{
			{},
			{Status: allot.StatusQueued}, {Status: allot.StatusAssigned}, {Status: allot.StatusWorking}, {Status: allot.StatusClosed},
			{Queue: "q1"}, {Queue: "q2"}, {Queue: "q3"}, {Queue: "none"},
			{Owner: "ana"}, {Owner: "bob"}, {Owner: "carl"}, {Owner: "nobody"},
			{Type: "lead"}, {Type: "case"},
			{Status: allot.StatusAssigned, Queue: "q2"},
			{Owner: "ana", Type: "case"},
			{Status: allot.StatusWorking, Queue: "q1", Owner: "bob", Type: "lead"},
		} {
			var want []string
			for _, it := range sorted {
				if (q.Status == "" || it.Status == q.Status) && (q.Queue == "" || it.Queue == q.Queue) &&
					(q.Owner == "" || it.Owner == q.Owner) && (q.Type == "" || it.Type == q.Type) {
					want = append(want, it.ID)
				}
			}
			q.Region, q.Limit = "eu", 7
			got := ids(allItems(t, s, q))
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			diff(t, fmt.Sprintf("Items(%+v)", q), got, want)
		}
		if got := allItems(t, s, store.ItemQuery{Region: "nowhere"}); len(got) != 0 {
			t.Fatalf("unknown region: %d items", len(got))
		}
	})
}

func cmpString(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func testAssignments(t *testing.T, o opener) {
	t.Run("FollowOwners", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		c := newChain("eu")
		active := func(want map[string]string) {
			t.Helper()
			got, err := s.ActiveAssignments(ctx, "eu")
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "active assignments", got, want)
		}
		active(map[string]string{})
		mustCommit(t, s, c.batch(owned(item("a", 1), "ana"), item("b", 2), owned(item("c", 3), "bob")))
		active(map[string]string{"a": "ana", "c": "bob"})
		// Same owner again: no change, no error.
		a := owned(item("a", 1), "ana")
		a.Status = allot.StatusWorking
		mustCommit(t, s, c.batch(a))
		active(map[string]string{"a": "ana", "c": "bob"})
		// Re-owning moves the one active assignment.
		mustCommit(t, s, c.batch(owned(item("a", 1), "bob"), owned(item("b", 2), "carl")))
		active(map[string]string{"a": "bob", "b": "carl", "c": "bob"})
		// Clearing the owner removes it; a closed item without owner has none.
		closed := item("c", 3)
		closed.Status = allot.StatusClosed
		mustCommit(t, s, c.batch(owned(item("a", 1), ""), closed))
		active(map[string]string{"b": "carl"})
		// And an item can be owned again, by its first owner.
		mustCommit(t, s, c.batch(owned(item("a", 1), "ana")))
		active(map[string]string{"a": "ana", "b": "carl"})
		// An item listed twice in one batch ends with its last state.
		mustCommit(t, s, c.batch(owned(item("a", 1), "bob"), owned(item("a", 1), "carl"), owned(item("a", 1), "dora")))
		active(map[string]string{"a": "dora", "b": "carl"})
		it, err := s.Item(ctx, "eu", "a")
		if err != nil || it.Owner != "dora" {
			t.Fatalf("Item a = %+v, %v", it, err)
		}
	})
	// A large batch mixing new items (more than one multi-row statement
	// holds, and counts that are no power of two), existing ones, and new
	// and existing items listed several times: every item ends in its last
	// state with its last owner.
	t.Run("MixedBatches", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		c := newChain("eu")
		agents := []string{"ana", "bob", "", "carl"}
		var first []allot.Item
		for i := range 70 {
			first = append(first, owned(item(fmt.Sprintf("x%03d", i), i), agents[i%4]))
		}
		mustCommit(t, s, c.batch(first...))
		want := map[string]allot.Item{}
		for _, it := range first {
			want[it.ID] = it
		}
		var b []allot.Item
		add := func(it allot.Item) { b = append(b, it); want[it.ID] = it }
		for i := range 151 {
			add(owned(item(fmt.Sprintf("y%03d", i), 100+i), agents[(i+1)%4]))
			switch i {
			case 10:
				add(owned(first[1], "dora")) // existing, re-owned (was bob)
			case 40:
				add(owned(item("y005", 105), "")) // new earlier in this batch (queued): queued again
			case 41:
				add(owned(item("y005", 105), "erin")) // ... then owned
			case 90:
				add(owned(first[0], "")) // existing: released (was ana)
				add(owned(first[0], "bob"))
			case 150:
				add(owned(item("y150", 250), "ana")) // new and owned by carl just before: re-owned
			}
		}
		mustCommit(t, s, c.batch(b...))
		wantActive := map[string]string{}
		for id, it := range want {
			if it.Owner != "" {
				wantActive[id] = it.Owner
			}
			got, err := s.Item(ctx, "eu", id)
			if err != nil {
				t.Fatalf("Item %s: %v", id, err)
			}
			diff(t, "item "+id, normItem(got), normItem(it))
		}
		got, err := s.ActiveAssignments(ctx, "eu")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "active assignments", got, wantActive)
		if n := len(allItems(t, s, store.ItemQuery{Region: "eu", Limit: 1000})); n != 70+151 {
			t.Fatalf("%d items, want %d", n, 70+151)
		}
	})
	// A conflict deep in a large batch of new items (here the 100th of 120
	// has another item's external id) names that item and writes nothing.
	t.Run("ConflictInLargeBatch", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		c := newChain("eu")
		x := item("taken", 0)
		x.ExternalID = "crm-taken"
		mustCommit(t, s, c.batch(x))
		before := snapshot(t, s, "eu")
		var b []allot.Item
		for i := range 120 {
			it := owned(item(fmt.Sprintf("n%03d", i), i), "ana")
			it.ExternalID = fmt.Sprintf("crm-%03d", i)
			if i == 99 {
				it.ExternalID = "crm-taken"
			}
			b = append(b, it)
		}
		c2 := *c
		err := s.Commit(t.Context(), c2.batch(b...))
		wantCode(t, err, allot.ECONFLICT)
		if !strings.Contains(err.Error(), "n099") {
			t.Fatalf("error %q does not name item n099", err)
		}
		sameState(t, snapshot(t, s, "eu"), before)
	})
	t.Run("RegionsApart", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		mustCommit(t, s, newChain("eu").batch(owned(item("a", 1), "ana")))
		mustCommit(t, s, newChain("us").batch(owned(item("a", 1), "bob")))
		for r, want := range map[string]map[string]string{"eu": {"a": "ana"}, "us": {"a": "bob"}, "xx": {}} {
			got, err := s.ActiveAssignments(ctx, r)
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "active assignments of "+r, got, want)
		}
	})
	t.Run("Many", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		c := newChain("eu")
		agents := []string{"ana", "bob", "carl", "dora"}
		want := map[string]string{}
		var its []allot.Item
		for i := range 200 {
			id := fmt.Sprintf("m%03d", i)
			its = append(its, owned(item(id, i), agents[i%4]))
			want[id] = agents[i%4]
		}
		mustCommit(t, s, c.batch(its...))
		// Rotate every item to the next agent, twice, then release a third.
		for round := 1; round <= 2; round++ {
			for i := range its {
				its[i] = owned(its[i], agents[(i+round)%4])
				want[its[i].ID] = agents[(i+round)%4]
			}
			mustCommit(t, s, c.batch(its...))
		}
		for i := 0; i < len(its); i += 3 {
			its[i] = owned(its[i], "")
			delete(want, its[i].ID)
		}
		mustCommit(t, s, c.batch(its...))
		got, err := s.ActiveAssignments(t.Context(), "eu")
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "active assignments", got, want)
	})
}

func testDecisions(t *testing.T, o opener) {
	explained := &allot.Explanation{
		Rule: "france", ScoringRules: allot.NewRuleList("vip", "big-deal"), Score: 87, Tier: "hot", Queue: "fr-sales",
		Policy: "round_robin", Sticky: true, Reason: "ana had the oldest last assignment",
		Candidates: allot.MustCandidates(
			allot.Candidate{Agent: "ana", Scores: []allot.Score{{Scorer: "recency", Value: -1 << 40}, {Scorer: "load", Value: 3}}, Chosen: true},
			allot.Candidate{Agent: "bob", Filter: "presence", Reason: "offline"},
			allot.Candidate{Agent: "carl", Scores: []allot.Score{{Scorer: "recency", Value: 5}}},
		),
	}
	t.Run("PagingAndFilters", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		ctx := t.Context()
		c := newChain("eu")
		var written []allot.Decision
		for range 3 {
			b := &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("tick", "", "")}}
			for i := range 110 {
				item, agent := fmt.Sprintf("i%d", i%10), []string{"ana", "bob", ""}[i%3]
				kind := allot.DecisionAssigned
				if agent == "" {
					kind = allot.DecisionQueued
				}
				d := c.decision(kind, item, agent)
				if i%7 == 0 {
					d.Kind, d.From = allot.DecisionReassigned, "carl"
				}
				if i%2 == 0 {
					d.At = d.At.In(cet)
				}
				b.Decisions = append(b.Decisions, d)
			}
			mustCommit(t, s, b)
			written = append(written, b.Decisions...)
		}
		mustCommit(t, s, newChain("us").batch(owned(item("i1", 1), "ana"))) // never listed in eu
		want := make([]allot.Decision, len(written))
		for i, d := range written {
			want[i] = normDecision(d)
		}

		page, err := s.Decisions(ctx, store.DecisionQuery{Region: "eu", Limit: 100})
		if err != nil || len(page) != 100 {
			t.Fatalf("first page: %d, %v", len(page), err)
		}
		diff(t, "first page", page, want[:100])
		diff(t, "all, pages of 100", allDecisions(t, s, store.DecisionQuery{Region: "eu", Limit: 100}), want)
		diff(t, "after 250", allDecisions(t, s, store.DecisionQuery{Region: "eu", AfterSeq: 250}), want[250:])
		if page, err := s.Decisions(ctx, store.DecisionQuery{Region: "eu"}); err != nil || len(page) != 100 {
			t.Fatalf("default limit: %d, %v", len(page), err)
		}
		if page, err := s.Decisions(ctx, store.DecisionQuery{Region: "eu", AfterSeq: 330}); err != nil || len(page) != 0 {
			t.Fatalf("after the last: %d, %v", len(page), err)
		}
		for _, q := range []store.DecisionQuery{
			{Item: "i3"}, {Agent: "ana"}, {Agent: "carl"}, {Item: "i4", Agent: "bob"}, {Item: "none"},
		} {
			var w []allot.Decision
			for _, d := range want {
				if (q.Item == "" || d.Item == q.Item) && (q.Agent == "" || d.Agent == q.Agent) {
					w = append(w, d)
				}
			}
			q.Region, q.Limit = "eu", 9
			diff(t, fmt.Sprintf("Decisions(%+v)", q), allDecisions(t, s, q), w)
		}
		_, err = s.Decisions(ctx, store.DecisionQuery{Region: "eu", Limit: -5})
		wantCode(t, err, allot.EINVALID)
	})
	t.Run("Clamp", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		c := newChain("eu")
		b := &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("tick", "", "")}}
		for i := range 1100 {
			b.Decisions = append(b.Decisions, c.decision(allot.DecisionQueued, fmt.Sprint(i), ""))
		}
		mustCommit(t, s, b)
		page, err := s.Decisions(t.Context(), store.DecisionQuery{Region: "eu", Limit: 100000})
		if err != nil || len(page) != 1000 {
			t.Fatalf("limit 100000: %d decisions, %v; want 1000", len(page), err)
		}
	})
	t.Run("Explanation", func(t *testing.T) {
		t.Parallel()
		s := o.open(t)
		c := newChain("eu")
		d1 := c.decision(allot.DecisionAssigned, "a", "ana")
		d1.Explanation = explained
		d2 := c.decision(allot.DecisionQueued, "b", "") // nil explanation
		d3 := c.decision(allot.DecisionUnroutable, "c", "")
		d3.Explanation = &allot.Explanation{} // non-nil, empty
		b := &store.Batch{Region: "eu", Entries: []store.Entry{c.entry("tick", "", "")}, Decisions: []allot.Decision{d1, d2, d3}}
		mustCommit(t, s, b)
		got, err := s.Decisions(t.Context(), store.DecisionQuery{Region: "eu"})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "decisions", got, []allot.Decision{normDecision(d1), normDecision(d2), normDecision(d3)})
		if got[1].Explanation != nil || got[2].Explanation == nil {
			t.Fatalf("explanations %v %v: nil must stay nil and non-nil non-nil", got[1].Explanation, got[2].Explanation)
		}
	})
}

func testIdempotency(t *testing.T, o opener) {
	s := o.open(t)
	ctx := t.Context()
	c := newChain("eu")
	b := c.batch(item("a", 1))
	recs := []store.IdempotencyRecord{
		{Region: "eu", Key: "key-1", RequestHash: "abc123", Status: 201, Body: []byte(`{"id":"a"}`), CreatedAt: t0.In(cet)},
		{Region: "eu", Key: "key-2", RequestHash: "def456", Status: 422, CreatedAt: t0.Add(time.Second)},
	}
	b.Idempotency = recs
	mustCommit(t, s, b)
	for _, w := range recs {
		got, err := s.Idempotency(ctx, "eu", w.Key)
		if err != nil {
			t.Fatal(err)
		}
		w.CreatedAt = w.CreatedAt.UTC()
		diff(t, "record "+w.Key, got, w)
	}
	_, err := s.Idempotency(ctx, "eu", "key-3")
	wantCode(t, err, allot.ENOTFOUND)
	_, err = s.Idempotency(ctx, "us", "key-1")
	wantCode(t, err, allot.ENOTFOUND)
	// The same key in another region is another record.
	ub := newChain("us").batch(item("u", 1))
	ub.Idempotency = []store.IdempotencyRecord{{Region: "us", Key: "key-1", RequestHash: "zzz", Status: 200, Body: []byte("x"), CreatedAt: t0}}
	mustCommit(t, s, ub)
	got, err := s.Idempotency(ctx, "us", "key-1")
	if err != nil || got.RequestHash != "zzz" {
		t.Fatalf("us key-1 = %+v, %v", got, err)
	}
	if got, _ := s.Idempotency(ctx, "eu", "key-1"); got.RequestHash != "abc123" {
		t.Fatalf("eu key-1 changed: %+v", got)
	}
}

func testTokens(t *testing.T, o opener) {
	s := o.open(t)
	ctx := t.Context()
	g := newChain("")
	exp := time.Date(2027, 1, 1, 0, 0, 0, 5, cet)
	tb := store.Token{ID: "tok-b", SecretHash: "hash-b", Role: store.RoleManager, Region: "eu", Name: "EU manager",
		CreatedAt: t0.In(cet), ExpiresAt: &exp}
	ta := store.Token{ID: "tok-a", SecretHash: "hash-a", Role: store.RoleAgent, Region: "eu", Agent: "ana", CreatedAt: t0}
	tc := store.Token{ID: "tok-c", SecretHash: "hash-c", Role: store.RoleAdmin, CreatedAt: t0}
	if err := s.CommitGlobal(ctx, []store.Entry{g.entry("token_created", "", `{"id":"tok-b"}`), g.entry("token_created", "", `{"id":"tok-a"}`)}, []store.Token{tb, ta}); err != nil {
		t.Fatal(err)
	}
	norm := func(t store.Token) store.Token {
		t.CreatedAt = t.CreatedAt.UTC()
		if t.ExpiresAt != nil {
			e := t.ExpiresAt.UTC()
			t.ExpiresAt = &e
		}
		return t
	}
	got, err := s.Token(ctx, "tok-b")
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "token", got, norm(tb))
	if *got.ExpiresAt != exp.UTC() {
		t.Fatalf("ExpiresAt %#v, want %#v", *got.ExpiresAt, exp.UTC())
	}
	got, err = s.Token(ctx, "tok-a")
	if err != nil || got.ExpiresAt != nil {
		t.Fatalf("token without expiry: %+v, %v", got, err)
	}
	_, err = s.Token(ctx, "tok-z")
	wantCode(t, err, allot.ENOTFOUND)

	// A stale global commit writes no token.
	stale := newChain("")
	wantCode(t, s.CommitGlobal(ctx, []store.Entry{stale.entry("token_created", "", `{"id":"tok-c"}`)}, []store.Token{tc}), allot.ECONFLICT)
	_, err = s.Token(ctx, "tok-c")
	wantCode(t, err, allot.ENOTFOUND)

	// Revoke by upsert, add one.
	tb.Revoked = true
	if err := s.CommitGlobal(ctx, []store.Entry{g.entry("token_revoked", "", `{"id":"tok-b"}`), g.entry("token_created", "", `{"id":"tok-c"}`)}, []store.Token{tb, tc}); err != nil {
		t.Fatal(err)
	}
	all, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "tokens", all, []store.Token{norm(ta), norm(tb), norm(tc)})
	if seq, hash, _ := s.Head(ctx, ""); seq != 4 || hash != g.hash {
		t.Fatalf("global head %d, want 4", seq)
	}
	if rs, _ := s.Regions(ctx); len(rs) != 0 {
		t.Fatalf("Regions %v: the global chain is not a region", rs)
	}
}

func testAtomicity(t *testing.T, o opener) {
	// Each case commits a batch that writes entries, decisions, items,
	// assignments and idempotency records and then breaks a unique key at
	// its end: the whole batch must be absent.
	setup := func(t *testing.T) (store.Store, *chain) {
		s := o.open(t)
		c := newChain("eu")
		x := owned(item("x", 1), "ana")
		x.ExternalID = "crm-x"
		b := c.batch(x, item("y", 2))
		b.Idempotency = []store.IdempotencyRecord{{Region: "eu", Key: "k0", RequestHash: "h0", Status: 201, CreatedAt: t0}}
		mustCommit(t, s, b)
		return s, c
	}
	doomed := func(c *chain) *store.Batch {
		x := owned(item("x", 1), "bob")
		x.ExternalID = "crm-x"
		b := c.batch(x, owned(item("y", 2), "carl"), owned(item("new", 3), "dora"))
		b.Idempotency = []store.IdempotencyRecord{{Region: "eu", Key: "k1", RequestHash: "h1", Status: 201, CreatedAt: t0}}
		return b
	}
	check := func(t *testing.T, s store.Store, b *store.Batch, code string) {
		t.Helper()
		before := snapshot(t, s, "eu")
		err := s.Commit(t.Context(), b)
		if err == nil {
			t.Fatal("Commit succeeded")
		}
		if code != "" {
			wantCode(t, err, code)
		}
		sameState(t, snapshot(t, s, "eu"), before)
		_, err = s.Idempotency(t.Context(), "eu", "k1")
		wantCode(t, err, allot.ENOTFOUND)
		if r, err := s.Idempotency(t.Context(), "eu", "k0"); err != nil || r.RequestHash != "h0" {
			t.Fatalf("k0 = %+v, %v", r, err)
		}
	}
	t.Run("DuplicateDecisionSeq", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		b := doomed(c)
		b.Decisions = append(b.Decisions, b.Decisions[0])
		check(t, s, b, allot.ECONFLICT)
	})
	t.Run("DecisionSeqAlreadyStored", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		b := doomed(c)
		b.Decisions[len(b.Decisions)-1].Seq = 1
		check(t, s, b, allot.ECONFLICT)
	})
	t.Run("DuplicateExternalID", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		b := doomed(c)
		z := item("z", 4)
		z.ExternalID = "crm-x" // x has it
		b.Items = append(b.Items, z)
		check(t, s, b, allot.ECONFLICT)
	})
	t.Run("DuplicateIdempotencyKey", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		b := doomed(c)
		b.Idempotency = append(b.Idempotency, store.IdempotencyRecord{Region: "eu", Key: "k0", RequestHash: "other", Status: 200, CreatedAt: t0})
		check(t, s, b, allot.ECONFLICT)
	})
	t.Run("ChainConflictAtTheEnd", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		b := doomed(c)
		last := &b.Entries[len(b.Entries)-1]
		last.Hash = store.HashEntry(&store.Entry{Region: "eu", Seq: 99}) // a valid hash of something else
		check(t, s, b, allot.ECONFLICT)
	})
	t.Run("CanceledContext", func(t *testing.T) {
		t.Parallel()
		s, c := setup(t)
		before := snapshot(t, s, "eu")
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if err := s.Commit(ctx, doomed(c)); err == nil {
			t.Fatal("Commit with a canceled context succeeded")
		}
		sameState(t, snapshot(t, s, "eu"), before)
	})
}

func testReopen(t *testing.T, o opener) {
	ctx := t.Context()
	s := o.open(t)
	c, g := newChain("eu"), newChain("")
	b := c.batch(fullItem(), owned(item("b", 2), "bob"), item("c", 3))
	b.Idempotency = []store.IdempotencyRecord{{Region: "eu", Key: "k", RequestHash: "h", Status: 201, Body: []byte("{}"), CreatedAt: t0}}
	b.Decisions[0].Explanation = &allot.Explanation{Rule: "r", Score: 3, Candidates: allot.MustCandidates(allot.Candidate{Agent: "ana", Chosen: true})}
	mustCommit(t, s, b)
	mustCommit(t, s, c.batch(owned(item("c", 3), "carl")))
	exp := t0.Add(24 * time.Hour)
	tok := store.Token{ID: "t1", SecretHash: "s", Role: store.RoleIntegration, CreatedAt: t0, ExpiresAt: &exp}
	if err := s.CommitGlobal(ctx, []store.Entry{g.entry("token_created", "", "{}")}, []store.Token{tok}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, s, "eu")
	tokens, err := s.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	s2 := o.open(t)
	sameState(t, snapshot(t, s2, "eu"), before)
	if len(before.Items) != 3 || len(before.Active) != 3 {
		t.Fatalf("before: %d items, %d assignments", len(before.Items), len(before.Active))
	}
	tokens2, err := s2.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "tokens", tokens2, tokens)
	r, err := s2.Idempotency(ctx, "eu", "k")
	if err != nil || r.RequestHash != "h" || string(r.Body) != "{}" {
		t.Fatalf("idempotency after reopen: %+v, %v", r, err)
	}
	if seq, hash, _ := s2.Head(ctx, ""); seq != 1 || hash != g.hash {
		t.Fatalf("global head after reopen: %d", seq)
	}
	rs, err := s2.Regions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "regions", rs, []string{"eu"})
	// The chain continues after a reopen.
	mustCommit(t, s2, c.batch(owned(item("c", 3), "")))
	if seq, _, _ := s2.Head(ctx, "eu"); seq != c.seq {
		t.Fatalf("head %d, want %d", seq, c.seq)
	}
}
