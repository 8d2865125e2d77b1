package node

import (
	"sync"
	"sync/atomic"

	"github.com/allot/allot/engine"
)

// The explanations of a batch's decisions are cut from an arena of the
// batch's own (engine.Engine.UseArena) instead of being allocated one by
// one, and the arena is reused by a later batch once nothing uses them any
// more: the store has encoded them (the commit) and every caller answered
// with them has said it is done (Result.Release). A result never released
// keeps its batch's arena from being reused, and the garbage collector
// reclaims it with the result: releasing is an optimisation a caller opts
// into, never a duty. docs/architecture.md, "Batch arenas", has the design.

// lease is one flight's arena (nil: the flight allocates) while decisions
// cut from it may be in use.
// refs counts the writer's hold (dropped once the commit goroutine is done
// with the batch) and one per answer that carried decisions; released marks
// which answers have been released, so that releasing twice is harmless.
type lease struct {
	pool     *arenaPool
	arena    *engine.Arena
	refs     atomic.Int32
	released []atomic.Bool // by index in the flight's batch
}

// drop releases one hold; the last returns the arena to the pool.
func (l *lease) drop() {
	if l.refs.Add(-1) == 0 && l.arena != nil {
		l.pool.put(l.arena)
	}
}

// Lease is a result's hold on the memory of its decisions' explanations
// (see Result.Release). The zero Lease holds nothing.
type Lease struct {
	l *lease
	i int32
}

// Release gives the hold back: the caller no longer reads, encodes or
// refers to the explanations of the result's decisions, and their memory
// may be reused by later decisions. Releasing a lease again, or the zero
// Lease, does nothing.
func (l Lease) Release() {
	if l.l != nil && l.l.released[l.i].CompareAndSwap(false, true) {
		l.l.drop()
	}
}

// arenaPool holds the arenas of a region's released batches for reuse. The
// writer takes from it; releases, from any goroutine, put back.
//
// A batch cuts from an arena only where that pays: an arena's first chunks
// are allocated whole, which costs more than allocating the explanations
// one by one unless the arena is used again. So when the pool is empty a
// new arena is made only while the region's results are being released (a
// put within the last probeEvery batches) and, to find out when they start
// to be, for one batch in probeEvery; the other batches allocate as usual.
// A caller that never releases (the CLI, an embedder) thus pays for one
// arena per probeEvery batches, and a server that releases runs on reused
// arenas.
type arenaPool struct {
	mu      sync.Mutex
	free    []*engine.Arena
	gets    uint64         // batches that asked for an arena
	lastPut uint64         // gets at the latest put
	reuses  *atomic.Uint64 // the node's count (Node.ReusedArenas), or nil
}

// maxPooledArenas bounds the arenas a region keeps: two batches are in
// flight at a time (one deciding, one committing), plus those whose answers
// are still being written; 4 made new arenas (and their first chunks) under
// 16 concurrent callers, 8 did not (BenchmarkSubmitArrival). probeEvery: see
// arenaPool.
const (
	maxPooledArenas = 8
	probeEvery      = 64
)

// get returns an arena for a batch, or nil for a batch that allocates.
func (p *arenaPool) get() *engine.Arena {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.gets++
	if n := len(p.free); n > 0 {
		a := p.free[n-1]
		p.free = p.free[:n-1]
		if p.reuses != nil {
			p.reuses.Add(1)
		}
		return a
	}
	if p.gets-p.lastPut <= probeEvery || p.gets%probeEvery == 1 {
		return &engine.Arena{}
	}
	return nil
}

func (p *arenaPool) put(a *engine.Arena) {
	a.Reset()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastPut = p.gets
	if len(p.free) < maxPooledArenas {
		p.free = append(p.free, a)
	}
}

// newLease returns a lease on a pooled arena, held by the writer.
func (p *arenaPool) newLease() *lease {
	l := &lease{pool: p, arena: p.get()}
	l.refs.Store(1)
	return l
}

// hand counts the answers of the flight that carry decisions as holds and
// gives each its Lease; the commit goroutine calls it before it answers.
func (l *lease) hand(replies []reply) {
	if l.arena == nil {
		return // the batch allocated: nothing to give back
	}
	n := 0
	for i := range replies {
		if len(replies[i].res.Decisions) > 0 {
			n++
		}
	}
	if n == 0 {
		return
	}
	l.released = make([]atomic.Bool, len(replies))
	l.refs.Add(int32(n))
	for i := range replies {
		if len(replies[i].res.Decisions) > 0 {
			replies[i].res.lease = Lease{l: l, i: int32(i)}
		}
	}
}
