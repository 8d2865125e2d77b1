package sqlite

import (
	"database/sql"
	"fmt"
	"os"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// listsModel is what the lists must show: every item's last state and
// every decision, by region.
type listsModel struct {
	items map[string]allot.Item // id → last committed state
	order []string              // ids by creation
	decs  []allot.Decision
}

func (m *listsModel) want(q store.ItemQuery) []string {
	var out []string
	for _, id := range m.order {
		it := m.items[id]
		if (q.Status == "" || it.Status == q.Status) && (q.Queue == "" || it.Queue == q.Queue) &&
			(q.Owner == "" || it.Owner == q.Owner) && (q.Type == "" || it.Type == q.Type) {
			out = append(out, id)
		}
	}
	return out
}

func (m *listsModel) wantDecisions(agent string) []uint64 {
	var out []uint64
	for _, d := range m.decs {
		if d.Agent == agent {
			out = append(out, d.Seq)
		}
	}
	return out
}

// listAll pages through Items with a small page size.
func listAll(t *rapid.T, s *Store, q store.ItemQuery) []string {
	q.Limit = 3
	var out []string
	for range 10000 {
		page, next, err := s.Items(t.Context(), q)
		if err != nil {
			t.Fatalf("Items(%+v): %v", q, err)
		}
		for _, it := range page {
			out = append(out, it.ID)
		}
		if next == "" {
			return out
		}
		q.After = next
	}
	t.Fatalf("Items(%+v): no end of pages", q)
	return nil
}

func agentDecisions(t *rapid.T, s *Store, region, agent string) []uint64 {
	var out []uint64
	after := uint64(0)
	for range 10000 {
		ds, err := s.Decisions(t.Context(), store.DecisionQuery{Region: region, Agent: agent, AfterSeq: after, Limit: 2})
		if err != nil {
			t.Fatalf("Decisions(agent %s): %v", agent, err)
		}
		if len(ds) == 0 {
			return out
		}
		for _, d := range ds {
			if d.Agent != agent {
				t.Fatalf("Decisions(agent %s) returned a decision of %q", agent, d.Agent)
			}
			out = append(out, d.Seq)
			after = d.Seq
		}
	}
	t.Fatalf("Decisions: no end of pages")
	return nil
}

// TestListsMatchTheMainTables: whatever happens to the list index — batches
// lost by a crash (its file is synchronous NORMAL), its file deleted or of
// another version, another process committing to the same database — item
// lists under every filter and decision lists by agent show exactly what
// the main tables hold, in creation order, across pages.
func TestListsMatchTheMainTables(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		dir, err := os.MkdirTemp("", "lists")
		if err != nil {
			t.Fatal(err)
		}
		defer os.RemoveAll(dir)
		path := dir + "/allot.db"
		s, err := Open(t.Context(), path)
		if err != nil {
			t.Fatal(err)
		}
		var other *Store // a second process's store on the same files
		defer func() {
			s.Close()
			if other != nil {
				other.Close()
			}
		}()
		// Only a machine's crash loses the index's transactions (it is
		// synchronous NORMAL, which survives a process's), and it ends every
		// process; a file is deleted or replaced while no process has it open.
		closeOther := func() {
			if other != nil {
				other.Close()
				other = nil
			}
		}
		const region = "r"
		c := &testChain{region: region}
		m := &listsModel{items: map[string]allot.Item{}}
		statuses := []allot.Status{allot.StatusQueued, allot.StatusAssigned, allot.StatusClosed}
		agents := []string{"", "a1", "a2", "a3"}
		queues := []string{"q1", "q2"}
		types := []string{"lead", "case"}
		decSeq := uint64(0)
		created := 0
		check := func(st *Store) {
			for _, q := range []store.ItemQuery{
				{},
				{Status: allot.Status(rapid.SampledFrom(statuses).Draw(t, "status"))},
				{Owner: rapid.SampledFrom(agents[1:]).Draw(t, "owner")},
				{Queue: rapid.SampledFrom(queues).Draw(t, "queue"), Type: rapid.SampledFrom(types).Draw(t, "type")},
			} {
				q.Region = region
				got, want := listAll(t, st, q), m.want(q)
				if !slices.Equal(got, want) {
					t.Fatalf("Items(%+v) = %v, want %v", q, got, want)
				}
			}
			agent := rapid.SampledFrom(agents[1:]).Draw(t, "agent")
			if got, want := agentDecisions(t, st, region, agent), m.wantDecisions(agent); !slices.Equal(got, want) {
				t.Fatalf("Decisions(agent %s) = %v, want %v", agent, got, want)
			}
		}
		steps := rapid.IntRange(1, 25).Draw(t, "steps")
		for range steps {
			switch rapid.IntRange(0, 9).Draw(t, "op") {
			case 0: // a crash of the machine lost the index's last transactions
				closeOther()
				s.Close()
				rollBackLists(t, path, rapid.IntRange(0, int(c.seq)).Draw(t, "back"))
				if s, err = Open(t.Context(), path); err != nil {
					t.Fatal(err)
				}
			case 1: // the index file is gone, or of another version
				closeOther()
				s.Close()
				if rapid.Bool().Draw(t, "delete") {
					for _, suffix := range []string{"-lists", "-lists-wal", "-lists-shm"} {
						os.Remove(path + suffix)
					}
				} else {
					setListsVersion(t, path, 99)
				}
				if s, err = Open(t.Context(), path); err != nil {
					t.Fatal(err)
				}
			case 2: // another process lists, or commits
				if other == nil {
					if other, err = Open(t.Context(), path); err != nil {
						t.Fatal(err)
					}
				}
				check(other)
			case 3:
				check(s)
			default: // a batch: new items and changes to existing ones
				into := s
				if other != nil && rapid.Bool().Draw(t, "by other") {
					into = other
				}
				b := &store.Batch{Region: region}
				n := rapid.IntRange(1, 4).Draw(t, "states")
				for range n {
					var it allot.Item
					if len(m.order) == 0 || rapid.Bool().Draw(t, "new") {
						created++
						it = allot.Item{ID: fmt.Sprintf("i%03d", created), Type: rapid.SampledFrom(types).Draw(t, "type"),
							CreatedAt: time.Unix(1_800_000_000+int64(created%5), 0).UTC()} // equal times: ids break ties
						m.order = append(m.order, it.ID)
					} else {
						it = m.items[rapid.SampledFrom(m.order).Draw(t, "item")]
					}
					it.Status = rapid.SampledFrom(statuses).Draw(t, "status")
					it.Queue = rapid.SampledFrom(queues).Draw(t, "queue")
					it.Owner = ""
					if it.Status == allot.StatusAssigned {
						it.Owner = rapid.SampledFrom(agents[1:]).Draw(t, "owner")
					}
					m.items[it.ID] = it
					b.Entries = append(b.Entries, c.entry(it.ID))
					b.Items = append(b.Items, it)
					decSeq++
					d := allot.Decision{Seq: decSeq, At: it.CreatedAt, Kind: allot.DecisionQueued, Item: it.ID, Queue: it.Queue}
					if it.Owner != "" {
						d.Kind, d.Agent = allot.DecisionAssigned, it.Owner
					}
					b.Decisions = append(b.Decisions, d)
					m.decs = append(m.decs, d)
				}
				sortByCreation(m)
				if err := into.Commit(t.Context(), b); err != nil {
					t.Fatalf("Commit: %v", err)
				}
			}
		}
		check(s)
	})
}

// sortByCreation orders the model's ids as the lists do: by created_at,
// then id.
func sortByCreation(m *listsModel) {
	slices.SortFunc(m.order, func(a, b string) int {
		if c := m.items[a].CreatedAt.Compare(m.items[b].CreatedAt); c != 0 {
			return c
		}
		if a < b {
			return -1
		}
		if a > b {
			return 1
		}
		return 0
	})
}

// rollBackLists makes the closed store's list index look as if its
// transactions after entry seq back were lost: progress set back, rows of
// later states and decisions deleted. (In these tests a decision's seq is
// its entry's.) An item's row at an earlier state is deleted too rather
// than restored, which a catch-up must repair all the same.
func rollBackLists(t *rapid.T, path string, back int) {
	db, err := sql.Open("sqlite", dsn(path+"-lists", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, q := range []string{
		fmt.Sprintf(`DELETE FROM item_lists WHERE seq > %d`, back),
		fmt.Sprintf(`DELETE FROM decision_agents WHERE seq > %d`, back),
		fmt.Sprintf(`UPDATE lists_progress SET seq = min(seq, %d), dec_seq = min(dec_seq, %d)`, back, back),
	} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
}

func setListsVersion(t *rapid.T, path string, v int) {
	db, err := sql.Open("sqlite", dsn(path+"-lists", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", v)); err != nil {
		t.Fatal(err)
	}
}

// A list waits for the index: right after Commit returns, the committed
// items are listed, even while the indexer holds batches back to apply
// them together.
func TestListsShowWhatCommitted(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	defer s.Close()
	c := &testChain{region: "r"}
	for i := range 50 {
		it := allot.Item{ID: fmt.Sprintf("i%02d", i), Type: "lead", Status: allot.StatusAssigned, Queue: "q", Owner: "a1",
			CreatedAt: time.Unix(1_800_000_000+int64(i), 0).UTC()}
		b := &store.Batch{Region: "r", Entries: []store.Entry{c.entry(it.ID)}, Items: []allot.Item{it},
			Decisions: []allot.Decision{{Seq: uint64(i + 1), At: it.CreatedAt, Kind: allot.DecisionAssigned, Item: it.ID, Agent: "a1", Queue: "q"}}}
		if err := s.Commit(t.Context(), b); err != nil {
			t.Fatal(err)
		}
		page, _, err := s.Items(t.Context(), store.ItemQuery{Region: "r", Owner: "a1", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(page) != i+1 || page[i].ID != it.ID {
			t.Fatalf("after commit %d: %d items listed, want %d ending with %s", i, len(page), i+1, it.ID)
		}
		ds, err := s.Decisions(t.Context(), store.DecisionQuery{Region: "r", Agent: "a1", Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != i+1 {
			t.Fatalf("after commit %d: %d decisions of a1, want %d", i, len(ds), i+1)
		}
	}
}

// Closing applies what is pending: the index file alone (no catch-up)
// holds every committed item after a clean shutdown.
func TestListsCloseApplies(t *testing.T) {
	t.Parallel()
	path := dbPath(t)
	s := openTest(t)
	c := &testChain{region: "r"}
	for i := range 20 {
		it := allot.Item{ID: fmt.Sprintf("i%02d", i), Type: "lead", Status: allot.StatusQueued, Queue: "q", CreatedAt: time.Unix(1_800_000_000, 0).UTC()}
		if err := s.Commit(t.Context(), &store.Batch{Region: "r", Entries: []store.Entry{c.entry(it.ID)}, Items: []allot.Item{it}}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path+"-lists", nil))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n, seq int
	if err := db.QueryRow(`SELECT count(*) FROM item_lists`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if err := db.QueryRow(`SELECT seq FROM lists_progress WHERE region = 'r'`).Scan(&seq); err != nil {
		t.Fatal(err)
	}
	if n != 20 || seq != 20 {
		t.Fatalf("after Close the index holds %d items through seq %d, want 20 through 20", n, seq)
	}
}

// A database restored from an older backup, next to a newer list index:
// the index holds states of a timeline the database no longer has, with
// seqs that would keep this timeline's states from replacing them. Open
// notices (the entry it was applied through is not the database's) and
// rebuilds it.
func TestListsAfterRestoringAnOlderDatabase(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := dir + "/allot.db"
	c := &testChain{region: "r"}
	commit := func(s *Store, owner string, ids ...string) {
		t.Helper()
		b := &store.Batch{Region: "r"}
		for _, id := range ids {
			b.Entries = append(b.Entries, c.entry(id))
			b.Items = append(b.Items, allot.Item{ID: id, Type: "lead", Status: allot.StatusAssigned, Queue: "q", Owner: owner,
				CreatedAt: time.Unix(1_800_000_000, 0).UTC()})
		}
		if err := s.Commit(t.Context(), b); err != nil {
			t.Fatal(err)
		}
	}
	owned := func(s *Store, owner string) []string {
		t.Helper()
		page, _, err := s.Items(t.Context(), store.ItemQuery{Region: "r", Owner: owner, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, it := range page {
			out = append(out, it.ID)
		}
		return out
	}
	s, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	commit(s, "ana", "i1", "i2")
	s.Close()
	backup, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	saved := *c
	// The later timeline: i1 and i2 go to bob, i3 arrives.
	if s, err = Open(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	commit(s, "bob", "i1", "i2", "i3")
	if got := owned(s, "bob"); !slices.Equal(got, []string{"i1", "i2", "i3"}) {
		t.Fatalf("bob's items before the restore: %v", got)
	}
	s.Close()
	// Restore the backup (the main file only, as the docs say), keep the index.
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	if err := os.WriteFile(path, backup, 0o600); err != nil {
		t.Fatal(err)
	}
	*c = saved
	if s, err = Open(t.Context(), path); err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// This timeline: i2 goes to carl, in as many entries as the other one
	// had, so that the seqs match and only the hash tells them apart.
	commit(s, "carl", "i2", "i2", "i2")
	if got := owned(s, "bob"); len(got) != 0 {
		t.Fatalf("bob's items after the restore: %v, want none (that timeline is gone)", got)
	}
	if got := owned(s, "ana"); !slices.Equal(got, []string{"i1"}) {
		t.Fatalf("ana's items after the restore: %v, want [i1]", got)
	}
	if got := owned(s, "carl"); !slices.Equal(got, []string{"i2"}) {
		t.Fatalf("carl's items after the restore: %v, want [i2]", got)
	}
}
