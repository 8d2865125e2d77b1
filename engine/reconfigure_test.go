package engine

import (
	"testing"

	"github.com/allot/allot"
)

func TestReconfigureCarriesStateOver(t *testing.T) {
	t.Parallel()
	base := func() *cfgB {
		return config().agent("ana", 1).agent("bo", 1).queue("q", allot.RoundRobin, "ana", "bo").defaultQueue("q")
	}
	h := newHarness(t, base())
	h.arrive("a", nil) // ana
	h.arrive("b", nil) // bo
	h.arrive("c", nil) // waits: both full
	h.apply(AgentPresence{Agent: "bo", Status: "break"})

	// Remove ana, add cy (capacity 2): ana's item is routed again and goes
	// to cy, and cy's remaining room takes the waiting item.
	next := config().agent("bo", 1).agent("cy", 2).queue("q", allot.RoundRobin, "bo", "cy").defaultQueue("q")
	ds := h.apply(ConfigChanged{Config: next.config()})
	got := map[string]string{}
	for _, d := range ds {
		got[d.Item] = string(d.Kind) + ":" + d.Agent + ":" + d.From
	}
	if got["a"] != "reassigned:cy:ana" || got["c"] != "assigned:cy:" {
		t.Fatalf("decisions %v, want a reassigned from ana to cy and c assigned to cy", got)
	}
	if h.owner("b") != "bo" {
		t.Fatal("bo's item must stay with bo")
	}
	if st, _ := h.e.Agent("bo"); st.Presence != "break" || st.Load != 1 {
		t.Fatalf("bo after reconfigure: %+v, want presence kept and load 1", st)
	}
	// Fairness counters carry: bo was assigned once from q, cy twice.
	if st, _ := h.e.Agent("bo"); st.Assigned["q"] != 1 {
		t.Fatalf("bo's count in q = %d, want 1", st.Assigned["q"])
	}
}

func TestReconfigureInvalidChangesNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 1).queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	h.arrive("a", nil)
	bad := config().agent("ana", -3).queue("q", allot.RoundRobin, "ana").defaultQueue("q")
	if _, err := h.e.Apply(ConfigChanged{Config: bad.config()}); allot.ErrorCode(err) != allot.EINVALID {
		t.Fatalf("bad config: %v, want invalid", err)
	}
	if h.owner("a") != "ana" || h.e.Region().Agents[0].Capacity.Total != 1 {
		t.Fatal("a failed reconfigure changed the engine")
	}
}
