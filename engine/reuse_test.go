package engine

import (
	"encoding/json"
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/allot/allot"
	"github.com/allot/allot/internal/gen"
)

// TestPropertyReusedExplanations runs the same random events through an
// engine that allocates every explanation and one that reuses explanation
// memory, turned on and off at random: every call's decisions, explanations
// included, are the same in both while they are valid (before the next
// call), and an explanation made while reuse was off still reads the same
// at the end, after all the calls that reused memory since.
func TestPropertyReusedExplanations(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		tw, steps := newTwins(t)
		var keep []kept
		on := false
		for si, s := range steps {
			if rapid.IntRange(0, 4).Draw(t, "toggle") == 0 {
				on = !on
				tw.other.ReuseExplanations(on)
			}
			got := tw.step(t, si, s, fmt.Sprintf("reuse %v", on))
			if !on {
				keep = appendKept(t, keep, si, got)
			}
		}
		// What was made with reuse off is intact after every reusing call.
		checkKept(t, keep, "made with reuse off, changed later")
	})
}

// twins are an engine that allocates every explanation and another, given
// the same config, clock steps and events, whose explanation memory a test
// manages.
type twins struct {
	plain, other *Engine
	ca, cb       *allot.ManualClock
}

// newTwins draws a config and steps and makes the twins.
func newTwins(t *rapid.T) (*twins, []step) {
	cfg := genConfig(t)
	alt := genConfig(t)
	steps := genSteps(t, cfg, alt)
	tw := &twins{ca: &allot.ManualClock{T: t0}, cb: &allot.ManualClock{T: t0}}
	var err error
	if tw.plain, err = New(cfg, "eu", tw.ca); err != nil {
		t.Fatalf("New: %v", err)
	}
	if tw.other, err = New(cfg, "eu", tw.cb); err != nil {
		t.Fatalf("New: %v", err)
	}
	return tw, steps
}

// step applies s to both and requires the same outcome; it returns the
// other engine's decisions.
func (tw *twins) step(t *rapid.T, si int, s step, mode string) []allot.Decision {
	tw.ca.Advance(s.advance)
	tw.cb.Advance(s.advance)
	want, werr := tw.plain.Apply(s.ev)
	got, gerr := tw.other.Apply(s.ev)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("step %d: errors differ: %v and %v", si, werr, gerr)
	}
	wj, gj := mustJSON(t, want), mustJSON(t, got)
	if len(want)+len(got) > 0 && wj != gj {
		t.Fatalf("step %d (%s): decisions differ:\nallocated %s\nother     %s", si, mode, wj, gj)
	}
	return got
}

// kept is a decision and its JSON when it was made.
type kept struct {
	step int
	d    allot.Decision
	js   string
}

func appendKept(t *rapid.T, keep []kept, si int, ds []allot.Decision) []kept {
	for _, d := range ds {
		keep = append(keep, kept{si, d, mustJSON(t, d)})
	}
	return keep
}

// checkKept requires every kept decision to read as it did when made.
func checkKept(t *rapid.T, keep []kept, what string) {
	for _, k := range keep {
		if js := mustJSON(t, k.d); js != k.js {
			t.Fatalf("the decision of step %d, %s:\nthen %s\nnow  %s", k.step, what, k.js, js)
		}
	}
}

func mustJSON(t *rapid.T, v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return string(b)
}

// TestReusedExplanationsOnTheGeneratedRegion runs the benchmark's steady
// state (arrivals and closes on the generated region) with and without
// reuse, comparing every call's decisions, and checks that reuse makes the
// explained decision allocate almost nothing.
func TestReusedExplanationsOnTheGeneratedRegion(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole process's allocations.
	cfg := gen.Config(gen.Options{Rules: 200, ScoringRules: 40, Queues: 20, Agents: 300, MembersPerAgent: 2, Capacity: 3, Seed: 1})
	items := gen.Items(3000, 7)
	plain, err := New(cfg, "r0", &allot.ManualClock{T: t0})
	if err != nil {
		t.Fatal(err)
	}
	reused, err := New(cfg, "r0", &allot.ManualClock{T: t0})
	if err != nil {
		t.Fatal(err)
	}
	reused.ReuseExplanations(true)
	const open = 500
	var buf []allot.Decision
	step := func(i int) {
		evs := []Event{ItemArrived{Item: items[i]}}
		if i >= open {
			evs = append(evs, ItemClosed{ID: items[i-open].ID})
		}
		for _, ev := range evs {
			want, werr := plain.Apply(ev)
			got, gerr := reused.ApplyTo(buf[:0], ev)
			if werr != nil || gerr != nil {
				t.Fatalf("item %d: %v / %v", i, werr, gerr)
			}
			wj, _ := json.Marshal(want)
			gj, _ := json.Marshal(got)
			if len(want)+len(got) > 0 && string(wj) != string(gj) {
				t.Fatalf("item %d: decisions differ:\nallocated %s\nreused    %s", i, wj, gj)
			}
			buf = got
		}
	}
	for i := range 2000 {
		step(i)
	}
	arrived := ItemArrived{}
	closed := ItemClosed{}
	i := 2000
	allocs := testing.AllocsPerRun(500, func() {
		arrived.Item = items[i]
		var err error
		if buf, err = reused.ApplyTo(buf[:0], &arrived); err != nil {
			t.Fatal(err)
		}
		closed.ID = items[i-open].ID
		if buf, err = reused.ApplyTo(buf[:0], &closed); err != nil {
			t.Fatal(err)
		}
		i++
	})
	if allocs > 0.5 {
		t.Errorf("an arrival and a close with reused explanations make %.2f allocations, want almost none", allocs)
	}
}

// TestReuseKeepsEarlierExplanationsScoringRules: an item's scoring-rule list
// shared with an explanation made while reuse was off is not written over
// when the item is classified again with reuse on.
func TestReuseKeepsEarlierExplanationsScoringRules(t *testing.T) {
	t.Parallel()
	b := config().agent("ann", 1).queue("q", allot.RoundRobin, "ann").defaultQueue("q").
		scoring("de", `item.country == "DE"`, 10).scoring("fr", `item.country == "FR"`, 20)
	h := newHarness(t, b)
	h.apply(AgentPresence{Agent: "ann", Status: "offline"}) // the item waits
	ds := h.arrive("x", map[string]any{"country": "FR"})
	if len(ds) != 1 || ds[0].Explanation == nil {
		t.Fatalf("arrival: %+v", ds)
	}
	kept := ds[0].Explanation
	if got := kept.ScoringRules.All(); len(got) != 1 || got[0] != "fr" {
		t.Fatalf("scoring rules = %v, want [fr]", got)
	}
	h.e.ReuseExplanations(true)
	ds = h.apply(ItemUpdated{ID: "x", Attributes: map[string]any{"country": "DE"}})
	if len(ds) == 0 || ds[len(ds)-1].Explanation == nil {
		t.Fatalf("update made no decision: %+v", ds)
	}
	if got := ds[len(ds)-1].Explanation.ScoringRules.All(); len(got) != 1 || got[0] != "de" {
		t.Fatalf("after the update scoring rules = %v, want [de]", got)
	}
	h.apply(Tick{})
	if got := kept.ScoringRules.All(); len(got) != 1 || got[0] != "fr" {
		t.Errorf("the explanation made with reuse off now says %v, want [fr]", got)
	}
}

// TestReconfigureKeepsReuse: a config change, through an event or called
// directly, leaves ReuseExplanations and UseArena as the caller set them.
func TestReconfigureKeepsReuse(t *testing.T) {
	t.Parallel()
	cfg := config().agent("ann", 1).queue("q", allot.RoundRobin, "ann").defaultQueue("q").config()
	e, err := New(cfg, "eu", &allot.ManualClock{T: t0})
	if err != nil {
		t.Fatal(err)
	}
	e.ReuseExplanations(true)
	if _, err := e.Apply(ConfigChanged{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if !e.ReusingExplanations() {
		t.Error("a config change event turned reuse off")
	}
	if _, err := e.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if !e.ReusingExplanations() {
		t.Error("Reconfigure turned reuse off")
	}
	e.ReuseExplanations(false)
	a := &Arena{}
	e.UseArena(a)
	if _, err := e.Apply(ConfigChanged{Config: cfg}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Reconfigure(cfg); err != nil {
		t.Fatal(err)
	}
	if e.UsingArena() != a {
		t.Error("a config change dropped the caller's arena")
	}
}

// TestPropertyArenaExplanations runs the same random events through an
// engine that allocates every explanation and one that cuts them from
// caller-owned arenas (UseArena), switching between two arenas and
// resetting the idle one at random, as a server does with its batches:
// every call's decisions are the same in both, and every decision cut from
// an arena still reads as it did when it was made until that arena is
// reset, however many calls came since.
func TestPropertyArenaExplanations(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		tw, steps := newTwins(t)
		var arenas [2]Arena
		var live [2][]kept // decisions cut from each arena since its reset
		cur := 0
		tw.other.UseArena(&arenas[cur])
		const what = "changed before its arena was reset"
		for si, s := range steps {
			if rapid.IntRange(0, 3).Draw(t, "switch") == 0 {
				// The batch on the current arena is done deciding; the
				// other one's decisions were answered: check and reset it.
				cur = 1 - cur
				checkKept(t, live[cur], what)
				arenas[cur].Reset()
				live[cur] = live[cur][:0]
				tw.other.UseArena(&arenas[cur])
			}
			got := tw.step(t, si, s, "arena")
			if tw.other.UsingArena() != &arenas[cur] {
				t.Fatalf("step %d: the engine dropped its arena (%T)", si, s.ev)
			}
			live[cur] = appendKept(t, live[cur], si, got)
		}
		checkKept(t, live[0], what)
		checkKept(t, live[1], what)
	})
}

// TestArenaOnTheGeneratedRegion runs the benchmark's steady state with
// explanations cut from two arenas taking turns per batch of 64 calls (the
// server's use), comparing every call's decisions with an allocating
// engine's and every batch's decisions again before its arena is reset, and
// checks that the arena makes the explained decision allocate almost nothing.
func TestArenaOnTheGeneratedRegion(t *testing.T) {
	// Not parallel: AllocsPerRun counts the whole process's allocations.
	cfg := gen.Config(gen.Options{Rules: 200, ScoringRules: 40, Queues: 20, Agents: 300, MembersPerAgent: 2, Capacity: 3, Seed: 1})
	items := gen.Items(3000, 7)
	plain, err := New(cfg, "r0", &allot.ManualClock{T: t0})
	if err != nil {
		t.Fatal(err)
	}
	cut, err := New(cfg, "r0", &allot.ManualClock{T: t0})
	if err != nil {
		t.Fatal(err)
	}
	var arenas [2]Arena
	var batch [2][]allot.Decision
	var want [2][]string
	cur, calls := 0, 0
	cut.UseArena(&arenas[0])
	turn := func() {
		cur = 1 - cur
		for i, w := range want[cur] { // (empty while allocations are counted)
			if js, _ := json.Marshal(batch[cur][i]); string(js) != w {
				t.Fatalf("a decision changed before its arena was reset:\nthen %s\nnow  %s", w, js)
			}
		}
		arenas[cur].Reset()
		batch[cur], want[cur] = batch[cur][:0], want[cur][:0]
		cut.UseArena(&arenas[cur])
	}
	apply := func(ev Event, compare bool) {
		if calls++; calls%64 == 0 {
			turn()
		}
		n := len(batch[cur])
		var err error
		batch[cur], err = cut.ApplyTo(batch[cur], ev)
		if err != nil {
			t.Fatal(err)
		}
		if !compare {
			return
		}
		ds, err := plain.Apply(ev)
		if err != nil {
			t.Fatal(err)
		}
		wj, _ := json.Marshal(ds)
		gj, _ := json.Marshal(batch[cur][n:])
		if len(ds)+len(batch[cur][n:]) > 0 && string(wj) != string(gj) {
			t.Fatalf("decisions differ:\nallocated %s\narena     %s", wj, gj)
		}
		for _, d := range batch[cur][n:] {
			js, _ := json.Marshal(d)
			want[cur] = append(want[cur], string(js))
		}
	}
	const open = 500
	for i := range 2000 {
		apply(ItemArrived{Item: items[i]}, true)
		if i >= open {
			apply(ItemClosed{ID: items[i-open].ID}, true)
		}
	}
	for k := range batch {
		batch[k], want[k] = batch[k][:0], want[k][:0]
	}
	arrived := ItemArrived{}
	closed := ItemClosed{}
	i := 2000
	allocs := testing.AllocsPerRun(500, func() {
		arrived.Item = items[i]
		apply(&arrived, false)
		closed.ID = items[i-open].ID
		apply(&closed, false)
		i++
	})
	if allocs > 0.5 {
		t.Errorf("an arrival and a close with explanations cut from arenas make %.2f allocations, want almost none", allocs)
	}
}

// TestReuseTakesPrecedenceOverTheArena: with both set, explanations are
// cut from the engine's own reused memory; with reuse off, from the arena.
func TestReuseTakesPrecedenceOverTheArena(t *testing.T) {
	t.Parallel()
	b := config().agent("ann", 5).queue("q", allot.RoundRobin, "ann").defaultQueue("q")
	h := newHarness(t, b)
	a := &Arena{}
	h.e.UseArena(a)
	h.e.ReuseExplanations(true)
	if ds := h.arrive("x", map[string]any{"country": "FR"}); len(ds) != 1 || ds[0].Explanation == nil {
		t.Fatalf("arrival: %+v", ds)
	}
	if n := len(a.a.exps); n != 0 {
		t.Fatalf("with reuse on, %d explanations were cut from the arena", n)
	}
	h.e.ReuseExplanations(false)
	ds := h.arrive("y", map[string]any{"country": "FR"})
	if len(ds) != 1 || ds[0].Explanation == nil {
		t.Fatalf("arrival: %+v", ds)
	}
	if n := len(a.a.exps); n != 1 || ds[0].Explanation != &a.a.exps[0] {
		t.Fatalf("with reuse off, the arena holds %d explanations, want the arrival's", n)
	}
}
