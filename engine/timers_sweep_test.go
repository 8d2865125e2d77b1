package engine

import (
	"reflect"
	"testing"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/internal/gen"
)

// TestTimerSweepChangesNothing: sweeping stale timers out of the heap (every
// re-arm and close leaves one) gives the same decisions as never sweeping,
// on a stream where items arrive, some are touched, some close, and SLA
// timers fire and re-route the neglected ones.
func TestTimerSweepChangesNothing(t *testing.T) {
	run := func(min int) ([]allot.Decision, int) {
		old := sweepMin
		sweepMin = min
		defer func() { sweepMin = old }()
		o := gen.Options{Rules: 200, ScoringRules: 20, Queues: 10, Agents: 60, Capacity: 2, Seed: 3}
		clock := &allot.ManualClock{T: t0}
		e, err := New(gen.Config(o), "r0", clock)
		if err != nil {
			t.Fatal(err)
		}
		var out []allot.Decision
		items := gen.Items(600, 5)
		for i, it := range items {
			clock.T = clock.T.Add(20 * time.Second)
			ds, err := e.Apply(ItemArrived{Item: it})
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, ds...)
			switch {
			case i%3 == 0 && i >= 30:
				prev := items[i-30].ID
				if x, ok := e.items[prev]; ok && x.owner != nil && x.it.Status == allot.StatusAssigned {
					ds, err = e.Apply(ItemTouched{ID: prev, Agent: x.owner.Agent.ID})
					if err != nil {
						t.Fatal(err)
					}
					out = append(out, ds...)
				}
			case i%3 == 1 && i >= 40:
				ds, err = e.Apply(ItemClosed{ID: items[i-40].ID})
				if err == nil {
					out = append(out, ds...)
				}
			}
		}
		clock.T = clock.T.Add(3 * time.Hour)
		ds, _ := e.Apply(Tick{})
		return append(out, ds...), len(e.timers)
	}
	want, unswept := run(1 << 30)
	got, swept := run(1)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("decisions differ with sweeping: %d vs %d decisions", len(got), len(want))
	}
	reassigned := 0
	for _, d := range want {
		if d.Kind == allot.DecisionReassigned {
			reassigned++
		}
	}
	if reassigned == 0 {
		t.Fatalf("no SLA re-assignment happened: the stream does not exercise item timers")
	}
	if swept > unswept {
		t.Fatalf("swept heap %d > unswept %d", swept, unswept)
	}
	t.Logf("%d decisions, %d re-assignments; heap %d swept, %d unswept", len(want), reassigned, swept, unswept)
}
