package node_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

// TestReleasedBatchesReuseTheirArenas: results that are released give
// their batch's explanation memory back for later batches; results that are
// kept are never written over, however many batches follow; and what the
// callers were answered is what the store holds.
func TestReleasedBatchesReuseTheirArenas(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := openStore(t, filepath.Join(t.TempDir(), "allot.db"))
	n := newNode(t, st, nil)
	defer n.Close()
	if _, err := n.CreateRegion(ctx, "test", regionCfg("eu", 4, 1000)); err != nil {
		t.Fatal(err)
	}
	type kept struct {
		res node.Result
		js  string
	}
	var keep []kept
	submit := func(i int) node.Result {
		res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: arrive(fmt.Sprint("i", i), "")})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Decisions) == 0 || res.Decisions[0].Explanation == nil || len(res.Decisions[0].Explanation.Candidates.Records) != 4 {
			t.Fatalf("item %d: decisions %+v, want one explaining 4 candidates", i, res.Decisions)
		}
		return res
	}
	for i := range 20 { // kept, never released
		res := submit(i)
		keep = append(keep, kept{res, mustJSON(t, res.Decisions)})
	}
	if got := n.ReusedArenas(); got != 0 {
		t.Fatalf("%d batches reused an arena before any result was released", got)
	}
	// Released results, from goroutines of their own, as a server's
	// handlers release: their arenas come back and are reused.
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				res := submit(1000 + 100*w + i)
				_ = mustJSON(t, res.Decisions) // the answer is encoded...
				res.Release()                  // ...then released
				res.Release()                  // (again: nothing happens)
			}
		}()
	}
	wg.Wait()
	if got := n.ReusedArenas(); got == 0 {
		t.Fatal("no batch reused the arena of a released one")
	}
	for i, k := range keep {
		if js := mustJSON(t, k.res.Decisions); js != k.js {
			t.Fatalf("kept result %d changed after later batches reused released memory:\nthen %s\nnow  %s", i, k.js, js)
		}
		ds, err := st.Decisions(ctx, store.DecisionQuery{Region: "eu", Item: fmt.Sprint("i", i), Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 {
			t.Fatalf("item i%d: %d stored decisions, want 1", i, len(ds))
		}
		// The stored form and the answer explain the same.
		if got, want := mustJSON(t, ds[0].Explanation), mustJSON(t, k.res.Decisions[0].Explanation); got != want {
			t.Fatalf("item i%d: stored explanation differs from the answer:\nstored %s\nanswer %s", i, got, want)
		}
	}
}

// TestReleaseOfAResultWithoutDecisions does nothing and does not panic.
func TestReleaseOfAResultWithoutDecisions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	n := newNode(t, openStore(t, filepath.Join(t.TempDir(), "allot.db")), nil)
	defer n.Close()
	if _, err := n.CreateRegion(ctx, "test", regionCfg("eu", 1, 1)); err != nil {
		t.Fatal(err)
	}
	res, err := n.Submit(ctx, "eu", node.Command{Actor: "test", Event: engine.Tick{}})
	if err != nil {
		t.Fatal(err)
	}
	res.Release()
	var zero node.Result
	zero.Release()
	node.Lease{}.Release()
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// BenchmarkSubmitArrival measures one arrival through the node (decided,
// committed to SQLite in shared batches, answered) with 16 concurrent
// callers, on a region of 40 agents in one queue: "released" callers
// release each result after reading it (as the HTTP API does once the
// answer is written), so batches reuse explanation memory; "kept" callers
// do not. B/op is what the difference shows on a noisy machine.
func BenchmarkSubmitArrival(b *testing.B) {
	for _, release := range []bool{true, false} {
		name := map[bool]string{true: "released", false: "kept"}[release]
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "allot.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			n, err := node.Open(ctx, st, node.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer n.Close()
			if _, err := n.CreateRegion(ctx, "bench", regionCfg("eu", 40, 1000000)); err != nil {
				b.Fatal(err)
			}
			var next atomic.Int64
			b.SetParallelism(8) // 16 callers on 2 cores
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1)
					res, err := n.Submit(ctx, "eu", node.Command{Actor: "bench", Event: arrive(fmt.Sprint("i", i), "")})
					if err != nil {
						b.Error(err)
						return
					}
					if len(res.Decisions) == 0 || res.Decisions[0].Explanation == nil {
						b.Error("no explained decision")
						return
					}
					if release {
						res.Release()
					}
				}
			})
		})
	}
}
