package sqlite

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// BenchmarkCommit measures durable group commits (fsync included): each op
// is one batch of n new items, each with one entry, one assigned decision
// with a three-candidate explanation, and an active assignment. items/s is
// the durable assignment rate. Besides wall time it reports cpu-ns/op, the
// process's CPU time (all threads) spent inside Commit per op: on a shared
// machine the steadier figure.
//
// The "server" cases have the shape of `allot bench` against `allot serve`
// in single-item mode: 16 items per commit (what 32 connections give the
// pipelined writer), 50 agents in one queue, each decision's explanation
// listing the 50 candidates, item ids and times as the server makes them.
func BenchmarkCommit(b *testing.B) {
	for _, n := range []int{1, 100, 500} {
		b.Run(fmt.Sprintf("items=%d", n), func(b *testing.B) { benchCommit(b, n, 3) })
	}
	for _, n := range []int{1, 16} {
		b.Run(fmt.Sprintf("server/items=%d", n), func(b *testing.B) { benchCommit(b, n, 50) })
	}
}

func benchCommit(b *testing.B, n, nagents int) {
	{
		{
			s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			c := &testChain{region: "eu"}
			var dseq uint64
			at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
			agents := []string{"ana", "bob", "carl"}
			if nagents != len(agents) {
				agents = agents[:0]
				for i := range nagents {
					agents = append(agents, fmt.Sprintf("agent%04d", i))
				}
			}
			next := 0
			batch := func() *store.Batch {
				bt := &store.Batch{Region: "eu"}
				for range n {
					next++
					id := fmt.Sprintf("item-%08d", next)
					agent := agents[next%len(agents)]
					it := allot.Item{ID: id, Type: "lead", ExternalID: "crm-" + id,
						Attributes: map[string]any{"country": "FR", "amount": 1200.5, "employees": int64(40), "tags": []string{"b2b"}},
						Score:      55, Tier: "warm", Priority: 1, CreatedAt: at, DueAt: at.Add(time.Hour),
						Status: allot.StatusAssigned, Queue: "fr-sales", Owner: agent, Rule: "france"}
					e := c.entry(id)
					e.Payload = []byte(`{"type":"item_arrived","item":{"id":"` + id + `","type":"lead","attributes":{"country":"FR","amount":1200.5}}}`)
					e.Hash = store.HashEntry(&e)
					c.hash = e.Hash
					dseq++
					d := allot.Decision{Seq: dseq, At: at, Kind: allot.DecisionAssigned, Item: id, Agent: agent, Queue: "fr-sales", Cause: "arrival",
						Explanation: &allot.Explanation{Rule: "france", Score: 55, Tier: "warm", Queue: "fr-sales", Policy: "round_robin",
							Candidates: candidates(agents, agent)}}
					bt.Entries = append(bt.Entries, e)
					bt.Decisions = append(bt.Decisions, d)
					bt.Items = append(bt.Items, it)
				}
				return bt
			}
			var cpu int64
			b.ResetTimer()
			for b.Loop() {
				b.StopTimer()
				bt := batch()
				b.StartTimer()
				c0 := cpuNanos()
				if err := s.Commit(b.Context(), bt); err != nil {
					b.Fatal(err)
				}
				cpu += cpuNanos() - c0
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "items/s")
			if cpuNanos() >= 0 {
				b.ReportMetric(float64(cpu)/float64(b.N), "cpu-ns/op")
			}
		}
	}
}

// candidates lists every agent as a candidate: three-agent regions as a
// mix of scored and filtered ones, larger ones as a round-robin queue's.
func candidates(agents []string, chosen string) allot.Candidates {
	if len(agents) == 3 {
		return allot.MustCandidates(
			allot.Candidate{Agent: "ana", Scores: []allot.Score{{Scorer: "recency", Value: 17}}, Chosen: chosen == "ana"},
			allot.Candidate{Agent: "bob", Scores: []allot.Score{{Scorer: "recency", Value: 12}}, Chosen: chosen == "bob"},
			allot.Candidate{Agent: "carl", Filter: "capacity", Reason: "3 of 3 leads"},
		)
	}
	cs := make([]allot.Candidate, len(agents))
	for i, a := range agents {
		cs[i] = allot.Candidate{Agent: a, Scores: []allot.Score{{Scorer: "round_robin", Value: 0}}, Chosen: a == chosen}
	}
	return allot.MustCandidates(cs...)
}

// BenchmarkListsApply measures the list index's share of a single-item run:
// applying new items of 50 agents, with their decisions, in index
// transactions of 1,600 items (200 ms at 8,000 per second) or of 8,000. One
// op = one item.
func BenchmarkListsApply(b *testing.B) {
	for _, per := range []int{1600, 8000} {
		b.Run(fmt.Sprintf("per=%d", per), func(b *testing.B) { benchListsApply(b, per) })
	}
}

func benchListsApply(b *testing.B, per int) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	next, seq := 0, uint64(0)
	batch := func() listBatch {
		lb := listBatch{region: "eu", base: seq}
		for range per {
			next++
			seq++
			agent := fmt.Sprintf("agent%04d", next%50)
			lb.items = append(lb.items, listItem{id: fmt.Sprintf("itm_%016d", next), status: "assigned", queue: "main", owner: agent, typ: "lead",
				createdAt: at.Add(time.Duration(next) * time.Millisecond).Format(timeLayout), seq: seq})
			lb.decs = append(lb.decs, listDecision{agent: agent, seq: seq})
		}
		lb.head, lb.dec = seq, seq
		return lb
	}
	b.ResetTimer()
	for i := 0; i < b.N; i += per {
		b.StopTimer()
		lb := batch()
		b.StartTimer()
		if err := s.lists.apply([]listBatch{lb}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkItemsList measures one page of 100 items of one owner (of 50) in
// a region of 20,000: the list index's keys, then the rows from the main
// table.
func BenchmarkItemsList(b *testing.B) {
	s, err := Open(b.Context(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	c := &testChain{region: "eu"}
	at := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	for i := 0; i < 20000; i += 500 {
		bt := &store.Batch{Region: "eu"}
		for j := i; j < i+500; j++ {
			id := fmt.Sprintf("itm_%08d", j)
			bt.Entries = append(bt.Entries, c.entry(id))
			bt.Items = append(bt.Items, allot.Item{ID: id, Type: "lead", Status: allot.StatusAssigned, Queue: "q",
				Owner: fmt.Sprintf("agent%04d", j%50), Attributes: map[string]any{"country": "FR"}, CreatedAt: at.Add(time.Duration(j) * time.Second)})
		}
		if err := s.Commit(b.Context(), bt); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		page, _, err := s.Items(b.Context(), store.ItemQuery{Region: "eu", Owner: "agent0007", Limit: 100})
		if err != nil || len(page) != 100 {
			b.Fatalf("%d items, %v", len(page), err)
		}
	}
}
