package node

import (
	"sync/atomic"
	"testing"

	"github.com/allot/allot/engine"
)

// TestArenaPoolMakesArenasOnlyWhileReleased: a region whose results are
// never released makes an arena for its first probeEvery batches and then
// for one batch in probeEvery; once results are released, batches reuse
// the released arenas (counted) and make new ones when the pool runs dry.
func TestArenaPoolMakesArenasOnlyWhileReleased(t *testing.T) {
	t.Parallel()
	var reuses atomic.Uint64
	p := &arenaPool{reuses: &reuses}
	made := 0
	for range 10 * probeEvery {
		if p.get() != nil {
			made++
		}
	}
	if want := probeEvery + 9; made != want {
		t.Fatalf("without releases %d of %d batches got an arena, want %d", made, 10*probeEvery, want)
	}
	a := p.get()
	for a == nil {
		a = p.get() // the next probe
	}
	p.put(a)
	if got := p.get(); got != a {
		t.Fatalf("after a put the pool gave %p, want the released arena %p", got, a)
	}
	if reuses.Load() != 1 {
		t.Fatalf("reuses = %d, want 1", reuses.Load())
	}
	// Released recently: an empty pool makes arenas again.
	for i := range probeEvery - 1 { // (the reuse above was one of them)
		if p.get() == nil {
			t.Fatalf("batch %d after a release got no arena", i)
		}
	}
	// The pool keeps at most maxPooledArenas.
	for range 3 * maxPooledArenas {
		p.put(new(engine.Arena))
	}
	if len(p.free) > maxPooledArenas {
		t.Fatalf("the pool holds %d arenas, want at most %d", len(p.free), maxPooledArenas)
	}
}
