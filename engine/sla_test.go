package engine

import (
	"testing"
	"time"

	"github.com/allot/allot"
)

func slaConfig() *cfgB {
	return config().agent("ana", 5).agent("bo", 5).agent("cy", 5).
		queue("q", allot.RoundRobin, "ana", "bo", "cy").q(func(q *allot.Queue) { q.SLAMinutes = 15 }).defaultQueue("q")
}

func TestNeglectedItemIsReassignedAtItsDeadlineOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, slaConfig())
	h.arrive("x", nil) // ana at t0
	deadline := t0.Add(15 * time.Minute)
	if w := h.e.NextWake(); !w.Equal(deadline) {
		t.Fatalf("next wake %v, want the touch deadline %v", w, deadline)
	}
	h.clock.Set(deadline.Add(-time.Nanosecond))
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("re-assigned before the deadline: %+v", ds)
	}
	h.clock.Set(deadline.Add(time.Hour)) // the driver may be late; the breach happens at the deadline
	ds := h.apply(Tick{})
	if len(ds) < 1 || ds[0].Kind != allot.DecisionReassigned || ds[0].From != "ana" || ds[0].Agent == "ana" ||
		!ds[0].At.Equal(deadline) || ds[0].Cause != "sla_breach: not touched within 15 minutes" {
		t.Fatalf("at the deadline: %+v", ds)
	}
	// bo got it at the deadline; its own deadline, 15 minutes later, also
	// passed: one re-assignment to cy at that instant; cy's passed too, and
	// with all three excluded the item waits — each breach exactly once, at
	// its own deadline.
	if len(ds) != 3 || ds[1].From != "bo" || ds[1].Agent != "cy" || !ds[1].At.Equal(deadline.Add(15*time.Minute)) ||
		ds[2].Kind != allot.DecisionQueued || ds[2].From != "cy" || !ds[2].At.Equal(deadline.Add(30*time.Minute)) {
		t.Fatalf("decisions %+v", ds)
	}
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("a second tick re-fired: %+v", ds)
	}
}

func TestTouchedInTimeStaysPut(t *testing.T) {
	t.Parallel()
	h := newHarness(t, slaConfig())
	h.arrive("x", nil)
	h.clock.Advance(14 * time.Minute)
	h.apply(ItemTouched{ID: "x", Agent: "ana"})
	h.clock.Advance(24 * time.Hour)
	if ds := h.apply(Tick{}); len(ds) != 0 || h.owner("x") != "ana" {
		t.Fatalf("a touched item moved: %+v", ds)
	}
	if w := h.e.NextWake(); !w.IsZero() {
		t.Fatalf("a timer is still armed for %v", w)
	}
}

func TestEscalationAfterTooManyBreaches(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		edit      func(q *allot.Queue)
		wantAgent string
		wantQueue string
	}{
		{"to the overflow queue", func(q *allot.Queue) { q.Overflow, q.OverflowAfterMinutes = "escalations", 60 }, "dee", "escalations"},
		{"to the supervisor", func(q *allot.Queue) { q.Supervisor = "dee" }, "dee", "q"},
		{"recorded only", func(q *allot.Queue) {}, "ana", "q"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := config().agent("ana", 5).agent("bo", 5).agent("dee", 5).
				queue("q", allot.RoundRobin, "ana", "bo").q(func(q *allot.Queue) {
				q.SLAMinutes, q.MaxReassignments = 10, 1
				tt.edit(q)
			}).
				queue("escalations", allot.RoundRobin, "dee").defaultQueue("q")
			h := newHarness(t, b)
			h.arrive("x", nil)         // ana
			h.clock.Advance(time.Hour) // ana breaches (→ bo), bo breaches (→ escalation)
			ds := h.apply(Tick{})
			var esc *allot.Decision
			for i := range ds {
				if ds[i].Kind == allot.DecisionEscalated {
					esc = &ds[i]
				}
			}
			if esc == nil || esc.From != "bo" {
				t.Fatalf("no escalation from bo in %+v", ds)
			}
			it, _ := h.e.Item("x")
			if tt.name == "recorded only" {
				// Both members were excluded; the item waits in q.
				if it.Owner != "" || it.Queue != "q" {
					t.Fatalf("item %+v, want waiting in q", it)
				}
				return
			}
			if it.Owner != tt.wantAgent || it.Queue != tt.wantQueue {
				t.Fatalf("item owner %q queue %q, want %q %q", it.Owner, it.Queue, tt.wantAgent, tt.wantQueue)
			}
			// Escalated items are not taken back for neglect again.
			h.clock.Advance(24 * time.Hour)
			if ds := h.apply(Tick{}); len(ds) != 0 {
				t.Fatalf("escalated item moved again: %+v", ds)
			}
		})
	}
}

func TestOverflowAfterWaiting(t *testing.T) {
	t.Parallel()
	b := config().agent("ana", 1).agent("bo", 5).
		queue("q", allot.RoundRobin, "ana").q(func(q *allot.Queue) { q.Overflow, q.OverflowAfterMinutes = "backup", 10 }).
		queue("backup", allot.RoundRobin, "bo").defaultQueue("q")
	h := newHarness(t, b)
	h.arrive("busy", nil) // ana is full
	h.clock.Advance(2 * time.Minute)
	h.arrive("x", nil) // waits in q from t0+2m
	h.clock.Set(t0.Add(11*time.Minute + 59*time.Second))
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("overflowed early: %+v", ds)
	}
	h.clock.Set(t0.Add(30 * time.Minute))
	ds := h.apply(Tick{})
	if len(ds) != 1 || ds[0].Agent != "bo" || ds[0].Queue != "backup" || !ds[0].At.Equal(t0.Add(12*time.Minute)) ||
		ds[0].Cause != "overflow: waited 10 minutes in q with no eligible agent" {
		t.Fatalf("overflow: %+v", ds)
	}
}

func TestOverflowLoopIsRejected(t *testing.T) {
	t.Parallel()
	b := config().agent("ana", 1).
		queue("a", allot.RoundRobin, "ana").q(func(q *allot.Queue) { q.Overflow, q.OverflowAfterMinutes = "b", 5 }).
		queue("b", allot.RoundRobin, "ana").q(func(q *allot.Queue) { q.Overflow, q.OverflowAfterMinutes = "a", 5 })
	_, err := New(b.config(), "eu", &allot.ManualClock{T: t0})
	if allot.ErrorCode(err) != allot.EINVALID {
		t.Fatalf("overflow loop: %v", err)
	}
}

// TestShiftsAcrossDST checks that shifts start at their local wall-clock time
// on both sides of a DST change, in two zones, through the engine's timers.
func TestShiftsAcrossDST(t *testing.T) {
	t.Parallel()
	tests := []struct {
		zone   string
		before time.Time // a Monday before the change
		after  time.Time // a Monday after it
		start  [2]int    // UTC hour of 09:00 local before and after
	}{
		{"Europe/Paris", time.Date(2026, 3, 23, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 30, 0, 0, 0, 0, time.UTC), [2]int{8, 7}},
		{"America/New_York", time.Date(2026, 10, 26, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC), [2]int{13, 14}},
	}
	for _, tt := range tests {
		t.Run(tt.zone, func(t *testing.T) {
			t.Parallel()
			b := config().agent("ana", 100).a(func(a *allot.Agent) {
				a.Schedule = &allot.Schedule{TimeZone: tt.zone, Shifts: []allot.Shift{{Days: "mon-fri", Start: "09:00", End: "17:00"}}}
			}).queue("q", allot.RoundRobin, "ana").defaultQueue("q")
			clock := &allot.ManualClock{T: tt.before}
			e, err := New(b.config(), "eu", clock)
			if err != nil {
				t.Fatal(err)
			}
			for i, day := range []time.Time{tt.before, tt.after} {
				clock.Set(day)
				if _, err := e.Apply(ItemArrived{Item: allot.Item{ID: day.Format("x0102"), Type: "lead"}}); err != nil {
					t.Fatal(err)
				}
				want := day.Add(time.Duration(tt.start[i]) * time.Hour)
				clock.Set(want.Add(time.Minute))
				ds, _ := e.Apply(Tick{})
				if len(ds) != 1 || !ds[0].At.Equal(want) {
					t.Fatalf("%s: %+v, want the item assigned at %v", day.Format("2006-01-02"), ds, want)
				}
				// The shift ends at 17:00 local, 8 hours later on both sides.
				end := want.Add(8 * time.Hour)
				clock.Set(end.Add(-time.Second))
				e.Apply(Tick{})
				if st, _ := e.Agent("ana"); !st.OnShift {
					t.Fatalf("%s: off shift a second before 17:00 local (%v)", day.Format("2006-01-02"), end)
				}
				clock.Set(end)
				e.Apply(Tick{})
				if st, _ := e.Agent("ana"); st.OnShift {
					t.Fatalf("%s: still on shift at 17:00 local (%v)", day.Format("2006-01-02"), end)
				}
			}
		})
	}
}

func TestAbsencePolicies(t *testing.T) {
	t.Parallel()
	start := t0.Add(time.Hour)
	tests := []struct {
		policy allot.AbsencePolicy
		want   map[string]string // item → owner after the absence starts
	}{
		{allot.AbsenceKeep, map[string]string{"touched": "ana", "untouched": "ana"}},
		{"", map[string]string{"touched": "ana", "untouched": "ana"}},
		{allot.AbsenceReassignUntouched, map[string]string{"touched": "ana", "untouched": "bo"}},
		{allot.AbsenceReassignAll, map[string]string{"touched": "bo", "untouched": "bo"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.policy), func(t *testing.T) {
			t.Parallel()
			b := config().agent("ana", 5).a(func(a *allot.Agent) {
				a.Absences = []allot.Absence{{Start: start, End: start.Add(8 * time.Hour)}}
				a.AbsencePolicy = tt.policy
			}).agent("bo", 5).a(func(a *allot.Agent) { a.Presence = "offline" }).
				queue("q", allot.RoundRobin, "ana", "bo").defaultQueue("q")
			h := newHarness(t, b)
			h.arrive("touched", nil)
			h.arrive("untouched", nil)
			h.apply(ItemTouched{ID: "touched", Agent: "ana"})
			h.apply(AgentPresence{Agent: "bo", Status: "available"})
			h.clock.Set(start.Add(time.Minute))
			ds := h.apply(Tick{})
			for id, want := range tt.want {
				if got := h.owner(id); got != want {
					t.Errorf("%s owned by %q, want %q (decisions %+v)", id, got, want, ds)
				}
			}
			for _, d := range ds {
				if d.Kind != allot.DecisionReassigned || d.From != "ana" || !d.At.Equal(start) || d.Cause == "" {
					t.Errorf("decision %+v, want a re-assignment from ana at the absence's start", d)
				}
			}
		})
	}
}

func TestAgingLetsOldItemsOvertake(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 1).
		queue("q", allot.RoundRobin, "ana").q(func(q *allot.Queue) { q.AgingMinutes, q.AgingMax = 10, 3 }).defaultQueue("q"))
	h.arrive("busy", nil)
	h.arriveP("old", 0, nil) // waits from t0
	h.clock.Advance(25 * time.Minute)
	h.arriveP("urgent", 2, nil) // arrives at t0+25m with priority 2
	// At t0+25m "old" has aged twice (10m, 20m): priority 2, and it arrived
	// first, so it is ahead of "urgent".
	if it, _ := h.e.Item("old"); it.Priority != 2 {
		t.Fatalf("old's priority after 25 minutes = %d, want 2", it.Priority)
	}
	if q, _ := h.e.Queue("q"); q.Waiting[0] != "old" {
		t.Fatalf("waiting order %v, want old first", q.Waiting)
	}
	if ds := h.apply(ItemClosed{ID: "busy"}); assignedTo(t, ds) != "ana" || ds[0].Item != "old" {
		t.Fatalf("after close: %+v, want old pushed first", ds)
	}
	h.clock.Advance(24 * time.Hour)
	h.apply(Tick{})
	if it, _ := h.e.Item("urgent"); it.Priority != 2+3 {
		t.Fatalf("urgent's priority after a day = %d, want 2 + the cap of 3", it.Priority)
	}
	if it, _ := h.e.Item("old"); it.Priority != 2 {
		t.Fatalf("old's priority = %d: an assigned item must not age further", it.Priority)
	}
	if w := h.e.NextWake(); !w.IsZero() {
		t.Fatalf("aging is capped: no timer should be left, got %v", w)
	}
}

func TestSkillRelaxation(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().
		agent("ana", 5).a(func(a *allot.Agent) { a.Skills = map[string]int{"fr": 2} }).
		agent("bo", 5).
		queue("q", allot.RoundRobin, "ana", "bo").
		rule("r", "", "q").ru(func(r *allot.Rule) {
		r.Skills = []allot.SkillReq{{Skill: "fr", MinLevel: 1}, {Skill: "legal", MinLevel: 3, DropAfterMinutes: 10}, {Skill: "vip", MinLevel: 1, DropAfterMinutes: 20}}
	}))
	if ds := h.arrive("x", nil); ds[0].Kind != allot.DecisionQueued {
		t.Fatalf("ana lacks legal and vip: %+v", ds)
	}
	h.clock.Advance(15 * time.Minute)
	ds := h.apply(Tick{})
	if len(ds) != 1 || ds[0].Kind != allot.DecisionQueued || ds[0].Cause != "relaxed: dropped skill legal after 10 minutes" || !ds[0].At.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("after 10 minutes: %+v, want legal dropped (vip still required)", ds)
	}
	h.clock.Advance(10 * time.Minute)
	ds = h.apply(Tick{})
	if len(ds) != 1 || ds[0].Agent != "ana" || ds[0].Cause != "relaxed: dropped skill vip after 20 minutes" {
		t.Fatalf("after 20 minutes: %+v, want assigned to ana once vip is dropped", ds)
	}
	// A skill without a drop time is never dropped: bo (no fr) never gets it,
	// however long it waits.
	h.apply(AgentPresence{Agent: "ana", Status: "offline"})
	h.arrive("y", nil)
	h.clock.Advance(48 * time.Hour)
	h.apply(Tick{})
	if it, _ := h.e.Item("y"); it.Owner != "" {
		t.Fatalf("y went to %q without the required skill fr", it.Owner)
	}
}

func TestHolidaysAreLocalDaysOff(t *testing.T) {
	t.Parallel()
	b := config().agent("ana", 5).a(func(a *allot.Agent) {
		a.Schedule = &allot.Schedule{TimeZone: "America/New_York", Shifts: []allot.Shift{{Days: "mon-sun", Start: "00:00", End: "24:00"}}}
	}).queue("q", allot.RoundRobin, "ana").defaultQueue("q")
	b.r.Holidays = []allot.Holiday{{Date: "2026-11-26", Name: "Thanksgiving"}, {Date: "2026-11-27"}}
	h := newHarness(t, b)
	// 2026-11-26 00:00 in New York is 05:00 UTC.
	start := time.Date(2026, 11, 26, 5, 0, 0, 0, time.UTC)
	end := time.Date(2026, 11, 28, 5, 0, 0, 0, time.UTC)
	h.clock.Set(start.Add(-time.Minute))
	if got := assignedTo(t, h.arrive("before", nil)); got != "ana" {
		t.Fatalf("the evening before: %q", got)
	}
	h.clock.Set(start)
	ds := h.arrive("during", nil)
	if ds[0].Kind != allot.DecisionQueued || ds[0].Explanation.Candidates.At(0).Filter != "schedule" {
		t.Fatalf("on the holiday: %+v, want queued (absent)", ds)
	}
	if w := h.e.NextWake(); !w.Equal(end) {
		t.Fatalf("next wake %v, want the end of the two-day holiday %v", w, end)
	}
	h.clock.Set(end.Add(time.Hour))
	if ds := h.apply(Tick{}); assignedTo(t, ds) != "ana" || !ds[0].At.Equal(end) {
		t.Fatalf("after the holiday: %+v, want assigned at %v", ds, end)
	}
}

func TestOutOfHoursQueue(t *testing.T) {
	t.Parallel()
	b := config().
		agent("day", 5).a(func(a *allot.Agent) {
		a.Schedule = &allot.Schedule{TimeZone: "UTC", Shifts: []allot.Shift{{Days: "mon-fri", Start: "09:00", End: "17:00"}}}
	}).
		agent("night", 5).
		queue("office", allot.RoundRobin, "day").q(func(q *allot.Queue) { q.OutOfHours = "always" }).
		queue("always", allot.RoundRobin, "night").defaultQueue("office")
	h := newHarness(t, b) // t0: Monday 09:00, day is working
	if got := assignedTo(t, h.arrive("a", nil)); got != "day" {
		t.Fatalf("in hours: %q", got)
	}
	h.clock.Set(t0.Add(10 * time.Hour)) // 19:00
	ds := h.arrive("b", nil)
	if assignedTo(t, ds) != "night" || ds[0].Queue != "always" || ds[0].Cause != "arrival; out_of_hours: no member of office is working" {
		t.Fatalf("out of hours: %+v", ds)
	}
}

func TestHandBackAndMakeUpCredit(t *testing.T) {
	t.Parallel()
	start, end := t0.Add(time.Hour), t0.Add(3*time.Hour)
	b := config().agent("ana", 10).a(func(a *allot.Agent) {
		a.Absences = []allot.Absence{{Start: start, End: end}}
	}).agent("bo", 10).
		queue("q", allot.WeightedRoundRobin, "ana", "bo").defaultQueue("q")
	b.r.AbsencePolicy = allot.AbsenceReassignUntouched
	b.r.HandBack = true
	h := newHarness(t, b)
	h.arrive("a1", nil) // ana
	h.arrive("b1", nil) // bo
	h.clock.Set(start)
	h.apply(Tick{}) // a1 handed to bo
	if h.owner("a1") != "bo" {
		t.Fatalf("a1 owned by %q during ana's absence", h.owner("a1"))
	}
	// Four more while ana is away: all to bo.
	for i := range 4 {
		h.arrive(itemID(i), nil)
	}
	h.clock.Set(end)
	ds := h.apply(Tick{})
	if h.owner("a1") != "ana" || len(ds) == 0 || ds[0].Cause != "hand_back" || ds[0].From != "bo" {
		t.Fatalf("after the absence: a1 owned by %q, decisions %+v; want handed back to ana", h.owner("a1"), ds)
	}
	// Make-up credit 0: ana resumes at her fair share instead of taking the
	// next four items in a row to catch up.
	var got []string
	for i := range 4 {
		got = append(got, assignedTo(t, h.arrive("n"+itemID(i), nil)))
	}
	if n := countOf(got, "ana"); n > 3 {
		t.Fatalf("ana took %d of the next 4 (%v): flooded to catch up", n, got)
	}
}

func countOf(xs []string, s string) int {
	n := 0
	for _, x := range xs {
		if x == s {
			n++
		}
	}
	return n
}

// TestHolidayOnADSTDay: the holiday is the local calendar day, 25 hours long
// when New York falls back on 2026-11-01.
func TestHolidayOnADSTDay(t *testing.T) {
	t.Parallel()
	b := config().agent("ana", 5).a(func(a *allot.Agent) {
		a.Schedule = &allot.Schedule{TimeZone: "America/New_York", Shifts: []allot.Shift{{Days: "mon-sun", Start: "00:00", End: "24:00"}}}
	}).queue("q", allot.RoundRobin, "ana").defaultQueue("q")
	b.r.Holidays = []allot.Holiday{{Date: "2026-11-01"}}
	clock := &allot.ManualClock{T: time.Date(2026, 10, 31, 12, 0, 0, 0, time.UTC)}
	e, err := New(b.config(), "eu", clock)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 4, 0, 0, 0, time.UTC) // 00:00 EDT
	end := time.Date(2026, 11, 2, 5, 0, 0, 0, time.UTC)   // 00:00 EST, 25 hours later
	for _, c := range []struct {
		at     time.Time
		absent bool
	}{{start.Add(-time.Second), false}, {start, true}, {end.Add(-time.Second), true}, {end, false}} {
		clock.Set(c.at)
		e.Apply(Tick{})
		if st, _ := e.Agent("ana"); st.Absent != c.absent {
			t.Fatalf("at %v absent=%v, want %v", c.at, st.Absent, c.absent)
		}
	}
}

// A closed item's state is reused by the next arrival (Engine.newItem); the
// closed item's armed timer must stay void for the item that reuses it: the
// new item is taken back at its own deadline, not at the closed one's.
func TestReusedItemStateIgnoresTheClosedItemsTimer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, slaConfig())
	h.arrive("x", nil) // ana at t0, deadline t0+15m
	old := h.e.items["x"]
	h.clock.Advance(10 * time.Minute)
	h.apply(ItemClosed{ID: "x"})
	h.arrive("y", map[string]any{"n": "1"}) // at t0+10m, deadline t0+25m
	if h.e.items["y"] != old {
		t.Fatal("the arrival did not reuse the closed item's state; the test would not test reuse")
	}
	if it, _ := h.e.Item("y"); it.ID != "y" || it.Attributes["n"] != "1" || it.Status != allot.StatusAssigned {
		t.Fatalf("reused state holds %+v", it)
	}
	h.clock.Set(t0.Add(20 * time.Minute)) // past x's deadline, before y's
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("the closed item's timer fired for the item reusing its state: %+v", ds)
	}
	h.clock.Set(t0.Add(25 * time.Minute))
	if ds := h.apply(Tick{}); len(ds) == 0 || ds[0].Item != "y" || ds[0].Kind != allot.DecisionReassigned ||
		!ds[0].At.Equal(t0.Add(25*time.Minute)) {
		t.Fatalf("at y's deadline: %+v", ds)
	}
}
