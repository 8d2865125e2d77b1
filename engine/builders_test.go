package engine

import (
	"time"

	"github.com/allot/allot"
)

// t0 is a Monday, 09:00 UTC.
var t0 = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

// cfgB builds a one-region config fluently.
type cfgB struct{ r allot.Region }

func config() *cfgB { return &cfgB{r: allot.Region{ID: "eu"}} }

func (b *cfgB) queue(id string, policy allot.Policy, members ...string) *cfgB {
	b.r.Queues = append(b.r.Queues, allot.Queue{ID: id, Policy: policy, Members: members})
	return b
}

// q edits the last queue.
func (b *cfgB) q(f func(q *allot.Queue)) *cfgB { f(&b.r.Queues[len(b.r.Queues)-1]); return b }

func (b *cfgB) agent(id string, capacity int) *cfgB {
	b.r.Agents = append(b.r.Agents, allot.Agent{ID: id, Capacity: allot.Capacity{Total: capacity}, Presence: "available"})
	return b
}

// a edits the last agent.
func (b *cfgB) a(f func(a *allot.Agent)) *cfgB { f(&b.r.Agents[len(b.r.Agents)-1]); return b }

func (b *cfgB) rule(name, when, queue string) *cfgB {
	b.r.Rules = append(b.r.Rules, allot.Rule{Name: name, When: when, Queue: queue})
	return b
}

// ru edits the last rule.
func (b *cfgB) ru(f func(r *allot.Rule)) *cfgB { f(&b.r.Rules[len(b.r.Rules)-1]); return b }

func (b *cfgB) scoring(name, when string, points int) *cfgB {
	b.r.ScoringRules = append(b.r.ScoringRules, allot.ScoringRule{Name: name, When: when, Points: points})
	return b
}

func (b *cfgB) tiers(ts ...allot.Tier) *cfgB { b.r.Tiers = ts; return b }

func (b *cfgB) defaultQueue(q string) *cfgB { b.r.DefaultQueue = q; return b }

func (b *cfgB) config() allot.Config { return allot.Config{Regions: []allot.Region{b.r}} }

// tb is what the harness needs of *testing.T and *rapid.T.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
}

// harness drives an engine under a manual clock.
type harness struct {
	t     tb
	clock *allot.ManualClock
	e     *Engine
	log   []allot.Decision
}

func newHarness(t tb, b *cfgB) *harness {
	t.Helper()
	clock := &allot.ManualClock{T: t0}
	e, err := New(b.config(), "eu", clock)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return &harness{t: t, clock: clock, e: e}
}

func (h *harness) apply(ev Event) []allot.Decision {
	h.t.Helper()
	ds, err := h.e.Apply(ev)
	if err != nil {
		h.t.Fatalf("Apply(%#v): %v", ev, err)
	}
	h.log = append(h.log, ds...)
	return ds
}

func (h *harness) arrive(id string, attrs map[string]any) []allot.Decision {
	h.t.Helper()
	return h.apply(ItemArrived{Item: allot.Item{ID: id, Type: "lead", Attributes: attrs}})
}

func (h *harness) arriveP(id string, priority int, attrs map[string]any) []allot.Decision {
	h.t.Helper()
	return h.apply(ItemArrived{Item: allot.Item{ID: id, Type: "lead", Priority: priority, Attributes: attrs}})
}

// owner returns the owner of open item id ("" when waiting).
func (h *harness) owner(id string) string {
	h.t.Helper()
	it, ok := h.e.Item(id)
	if !ok {
		h.t.Fatalf("no open item %q", id)
	}
	return it.Owner
}

// assignedTo returns the agent of the single assignment in ds ("" if none).
func assignedTo(t tb, ds []allot.Decision) string {
	t.Helper()
	agent := ""
	for _, d := range ds {
		if d.Kind == allot.DecisionAssigned || d.Kind == allot.DecisionReassigned {
			if agent != "" {
				t.Fatalf("more than one assignment: %+v", ds)
			}
			agent = d.Agent
		}
	}
	return agent
}
