package engine

import (
	"strconv"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/internal/gen"
	"github.com/allot/allot/rules"
)

// BenchmarkDecision measures one routing decision (classification against
// 4,000 rules, filtering and scoring the queue's members, assignment with its
// explanation) on the generated region of 4,000 rules, 500 queues and 10,000
// agents, in steady state: every iteration one item arrives and is assigned
// and an item assigned 20,000 iterations earlier closes, so agents keep room.
// One op = one decision (the close that frees capacity is included).
//
// Besides ns/op (wall time) it reports cpu-ns/op: the process's CPU time per
// op, GC workers included. On a shared machine wall time also counts the time
// other processes held the core; CPU time mostly does not, so it is the
// steadier figure to compare changes with.
func BenchmarkDecision(b *testing.B) {
	b.Run("explained", func(b *testing.B) { benchDecision(b, 0) })
	b.Run("summary", func(b *testing.B) { benchDecision(b, 0, WithoutCandidates()) })
	// Every candidate explained, the explanations' memory reused from one
	// call to the next (ReuseExplanations): how replay and the shadow
	// engine decide; the benchmark, like them, drops each call's decisions.
	b.Run("explained-reused", func(b *testing.B) { benchDecision(b, 0, reuseExplanations) })
	// Every candidate explained, cut from two arenas (UseArena) that take
	// turns per batch of 512 ops, each reset when its turn comes again: how
	// the server decides (a batch decides while the one before it commits
	// and answers; node.Options.MaxBatch is 512).
	b.Run("explained-batched", func(b *testing.B) { benchDecision(b, 512) })
}

func reuseExplanations(e *Engine) { e.ReuseExplanations(true) }

// benchDecision runs the steady state; batch > 0 cuts the explanations
// from two arenas that take turns every batch ops.
func benchDecision(b *testing.B, batch int, opts ...Option) {
	e, items := benchEngine(b, gen.Large, opts...)
	var arenas [2]Arena
	if batch > 0 {
		e.UseArena(&arenas[0])
	}
	const open = 20000
	// Ids and events are made before the clock starts: the benchmark
	// measures the engine, not fmt or the boxing of the caller's events.
	ids := make([]string, b.N)
	for i := range ids {
		ids[i] = strconv.Itoa(i)
	}
	var (
		arrived ItemArrived
		closed  ItemClosed
	)
	buf := make([]allot.Decision, 0, 16)
	assigned, decisions := 0, 0
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	for i := 0; i < b.N; i++ {
		if batch > 0 && i%batch == 0 {
			a := &arenas[(i/batch)%2]
			a.Reset()
			e.UseArena(a)
		}
		arrived.Item = items[i%len(items)]
		arrived.Item.ID = ids[i]
		ds, err := e.ApplyTo(buf[:0], &arrived)
		if err != nil {
			b.Fatal(err)
		}
		decisions += len(ds)
		if len(ds) > 0 && ds[0].Kind == allot.DecisionAssigned {
			assigned++
		}
		if i >= open {
			closed.ID = ids[i-open]
			ds, err := e.ApplyTo(buf[:0], &closed)
			if err != nil {
				b.Fatal(err)
			}
			decisions += len(ds)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
	b.ReportMetric(float64(assigned)/float64(b.N), "assigned/op")
	b.ReportMetric(float64(decisions)/float64(b.N), "decisions/op")
}

// BenchmarkExplain measures a dry-run decision (no state change).
func BenchmarkExplain(b *testing.B) {
	e, items := benchEngine(b, gen.Large)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	for i := 0; i < b.N; i++ {
		if _, err := e.Explain(items[i%len(items)]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}

// reportCPU reports the process CPU time per op since cpu0 (see
// BenchmarkDecision).
func reportCPU(b *testing.B, cpu0 int64) {
	if cpu1 := cpuNanos(); cpu0 >= 0 && cpu1 >= 0 {
		b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
	}
}

func benchEngine(b *testing.B, o gen.Options, opts ...Option) (*Engine, []allot.Item) {
	b.Helper()
	e, err := New(gen.Config(o), "r0", &allot.ManualClock{T: t0}, opts...)
	if err != nil {
		b.Fatal(err)
	}
	return e, gen.Items(50000, 7)
}

// BenchmarkClassifyGenerated measures rules.Set.Classify alone on the
// generated region (4,000 routing and 200 scoring rules, a fifth of them with
// non-indexable conjuncts) and its item stream.
func BenchmarkClassifyGenerated(b *testing.B) {
	cfg := gen.Config(gen.Large).WithDefaults()
	set, ps := rules.Compile(&cfg.Regions[0])
	if len(ps) > 0 {
		b.Fatal(ps)
	}
	items := gen.Items(10000, 7)
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuNanos()
	for i := 0; i < b.N; i++ {
		set.Classify(&items[i%len(items)])
	}
	b.StopTimer()
	reportCPU(b, cpu0)
}
