package engine

import (
	"fmt"
	"reflect"
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

// TestRollbackRestoresDecisions: applying config B and then config A again
// (a rollback) decides the same items exactly as A did: same rule, queue,
// tier, score and agent.
func TestRollbackRestoresDecisions(t *testing.T) {
	t.Parallel()
	a := config().agent("ana", 50).a(func(a *allot.Agent) { a.Skills = map[string]int{"fr": 3} }).agent("bo", 50).
		queue("fr", allot.BestMatch, "ana", "bo").queue("rest", allot.RoundRobin, "bo").
		scoring("big", `item.budget > 500`, 70).tiers(allot.Tier{Name: "hot", MinScore: 60}, allot.Tier{Name: "cold", MinScore: 0}).
		rule("french", `item.country == "FR"`, "fr").ru(func(r *allot.Rule) { r.Skills = []allot.SkillReq{{Skill: "fr", MinLevel: 2}} }).
		defaultQueue("rest")
	b := config().agent("ana", 50).agent("bo", 50).
		queue("fr", allot.RoundRobin, "bo").queue("rest", allot.RoundRobin, "ana").
		rule("french", `item.country == "DE"`, "fr").defaultQueue("rest")
	h := newHarness(t, a)
	items := []allot.Item{
		{Type: "lead", Attributes: map[string]any{"country": "FR", "budget": 900.0}},
		{Type: "lead", Attributes: map[string]any{"country": "FR", "budget": 10.0}},
		{Type: "lead", Attributes: map[string]any{"country": "DE"}},
		{Type: "lead"},
	}
	explain := func() []string {
		var out []string
		for _, it := range items {
			d, err := h.e.Explain(it)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %s %s %d %s", d.Explanation.Rule, d.Queue, d.Explanation.Tier, d.Explanation.Score, d.Agent))
		}
		return out
	}
	before := explain()
	h.apply(ConfigChanged{Config: b.config()})
	if during := explain(); reflect.DeepEqual(during, before) {
		t.Fatalf("config B decides like A (%v): the test would prove nothing", during)
	}
	h.apply(ConfigChanged{Config: a.config()})
	if after := explain(); !reflect.DeepEqual(after, before) {
		t.Fatalf("after the rollback:\n%v\nbefore the change:\n%v", after, before)
	}
}
