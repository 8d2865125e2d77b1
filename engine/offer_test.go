package engine

import (
	"testing"
	"time"

	"github.com/allot/allot"
)

func offerConfig() *cfgB {
	b := config().agent("ana", 5).agent("bo", 5).
		queue("q", allot.RoundRobin, "ana", "bo").q(func(q *allot.Queue) { q.OfferTimeoutSeconds = 30 }).defaultQueue("q")
	b.r.AwayAfterMissedOffers = 2
	return b
}

func TestOfferAcceptDeclineTimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offerConfig())
	ds := h.arrive("x", nil)
	if len(ds) != 1 || ds[0].Kind != allot.DecisionOffered || ds[0].Agent != "ana" {
		t.Fatalf("arrival: %+v, want offered to ana", ds)
	}
	if it, _ := h.e.Item("x"); it.Status != allot.StatusOffered {
		t.Fatalf("status %s, want offered", it.Status)
	}
	if st, _ := h.e.Agent("ana"); st.Load != 1 {
		t.Fatalf("an offer must reserve capacity: ana's load %d", st.Load)
	}
	// Decline: the next best agent, never back to ana.
	ds = h.apply(ItemReleased{ID: "x", Agent: "ana", Reason: "busy"})
	if len(ds) != 1 || ds[0].Kind != allot.DecisionOffered || ds[0].Agent != "bo" || ds[0].From != "ana" || ds[0].Cause != "declined: busy" {
		t.Fatalf("decline: %+v", ds)
	}
	// Timeout: exactly at 30 s, and then the item waits (ana declined it).
	h.clock.Advance(30*time.Second - time.Nanosecond)
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("timed out early: %+v", ds)
	}
	h.clock.Advance(time.Nanosecond)
	ds = h.apply(Tick{})
	if len(ds) != 1 || ds[0].Kind != allot.DecisionQueued || ds[0].From != "bo" || ds[0].Cause != "offer_timeout: not accepted within 30 seconds" {
		t.Fatalf("timeout: %+v", ds)
	}
	// Accept: an offer accepted is touched.
	ds = h.arrive("y", nil)
	if ds[0].Kind != allot.DecisionOffered {
		t.Fatalf("y: %+v", ds)
	}
	h.apply(ItemTouched{ID: "y", Agent: ds[0].Agent})
	if it, _ := h.e.Item("y"); it.Status != allot.StatusWorking {
		t.Fatalf("accepted offer has status %s, want working", it.Status)
	}
	h.clock.Advance(time.Hour)
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("an accepted offer moved: %+v", ds)
	}
}

func TestMissedOffersSetAgentAway(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offerConfig())
	h.apply(AgentPresence{Agent: "bo", Status: "offline"})
	h.arrive("a", nil) // offered to ana
	h.clock.Advance(31 * time.Second)
	h.apply(Tick{})    // first miss: a waits (ana excluded)
	h.arrive("b", nil) // offered to ana
	h.arrive("c", nil) // offered to ana
	h.clock.Advance(31 * time.Second)
	ds := h.apply(Tick{}) // b times out: second miss in a row → ana away, c returned at once
	st, _ := h.e.Agent("ana")
	if st.Presence != "offline" || st.Routable {
		t.Fatalf("after two missed offers ana is %+v, want offline; decisions %+v", st, ds)
	}
	if h.owner("c") != "" || st.Load != 0 {
		t.Fatalf("ana's pending offer c was not returned (owner %q, load %d)", h.owner("c"), st.Load)
	}
}

func TestGoingOfflineReturnsOffersKeepsAcceptedWork(t *testing.T) {
	t.Parallel()
	h := newHarness(t, offerConfig())
	h.arrive("x", nil) // ana
	h.arrive("y", nil) // bo
	h.arrive("z", nil) // ana
	h.apply(ItemTouched{ID: "x", Agent: "ana"})
	ds := h.apply(AgentPresence{Agent: "ana", Status: "lunch"})
	if h.owner("x") != "ana" {
		t.Fatal("accepted work must stay owned when the agent goes offline")
	}
	if len(ds) != 1 || ds[0].Item != "z" || ds[0].From != "ana" || ds[0].Agent != "bo" || ds[0].Kind != allot.DecisionOffered {
		t.Fatalf("going to lunch: %+v, want z offered to bo at once", ds)
	}
}

func TestOfflineAtShiftEnd(t *testing.T) {
	t.Parallel()
	b := config().agent("ana", 5).a(func(a *allot.Agent) {
		a.Schedule = &allot.Schedule{TimeZone: "UTC", Shifts: []allot.Shift{{Days: "mon-sun", Start: "08:00", End: "10:00"}}}
	}).queue("q", allot.RoundRobin, "ana").defaultQueue("q")
	b.r.OfflineAtShiftEnd = true
	h := newHarness(t, b) // t0 is 09:00: on shift
	h.arrive("x", nil)
	h.clock.Set(t0.Add(2 * time.Hour))
	h.apply(Tick{})
	if st, _ := h.e.Agent("ana"); st.Presence != "offline" || h.owner("x") != "ana" {
		t.Fatalf("after the shift: %+v, owner %q; want offline with the item kept", st, h.owner("x"))
	}
	// The next shift does not log her in: she receives nothing until she does.
	h.clock.Set(t0.Add(24 * time.Hour))
	h.apply(Tick{})
	if ds := h.arrive("y", nil); ds[0].Kind != allot.DecisionQueued {
		t.Fatalf("next day: %+v, want queued until ana logs in", ds)
	}
	if got := assignedTo(t, h.apply(AgentPresence{Agent: "ana", Status: "available"})); got != "ana" {
		t.Fatalf("logging in: %q", got)
	}
}
