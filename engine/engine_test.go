package engine

import (
	"errors"
	"maps"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/allot/allot"
)

func TestPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  *cfgB
		// setup runs before the arrivals (e.g. preload agents).
		setup func(h *harness)
		items []map[string]any
		want  []string // owner of each arriving item, in order
	}{
		{
			name:  "round robin rotates in member order",
			cfg:   config().agent("ana", 10).agent("bo", 10).agent("cy", 10).queue("q", allot.RoundRobin, "ana", "bo", "cy").defaultQueue("q"),
			items: make([]map[string]any, 7),
			want:  []string{"ana", "bo", "cy", "ana", "bo", "cy", "ana"},
		},
		{
			name: "weighted round robin 3:1 gives exact shares per cycle of 4",
			cfg: config().agent("ana", 100).a(func(a *allot.Agent) { a.Weight = 3 }).agent("bo", 100).
				queue("q", allot.WeightedRoundRobin, "ana", "bo").defaultQueue("q"),
			items: make([]map[string]any, 8),
			want:  []string{"ana", "ana", "bo", "ana", "ana", "ana", "bo", "ana"},
		},
		{
			name: "least loaded counts load as a share of capacity",
			cfg:  config().agent("ana", 10).agent("bo", 2).queue("q", allot.LeastLoaded, "ana", "bo").defaultQueue("q"),
			// ana 0/10, bo 0/2 → tie → round robin → ana; then bo (0/2 < 1/10? no: 0 < 0.1) → bo;
			// then ana 1/10 vs bo 1/2 → ana; ana 2/10 vs bo 1/2 → ana.
			items: make([]map[string]any, 4),
			want:  []string{"ana", "bo", "ana", "ana"},
		},
		{
			name:  "most available prefers free units",
			cfg:   config().agent("ana", 2).agent("bo", 5).queue("q", allot.MostAvailable, "ana", "bo").defaultQueue("q"),
			items: make([]map[string]any, 5),
			// bo 5 free, then 4, 3, then ana 2 vs bo 2 → round robin (ana never assigned) → ana, then bo 2 vs ana 1 → bo
			want: []string{"bo", "bo", "bo", "ana", "bo"},
		},
		{
			name: "best match picks the highest skill fit",
			cfg: config().
				agent("ana", 10).a(func(a *allot.Agent) { a.Skills = map[string]int{"fr": 2} }).
				agent("bo", 10).a(func(a *allot.Agent) { a.Skills = map[string]int{"fr": 5} }).
				queue("q", allot.BestMatch, "ana", "bo").
				rule("french", `item.lang == "fr"`, "q").ru(func(r *allot.Rule) { r.Skills = []allot.SkillReq{{Skill: "fr", MinLevel: 1}} }),
			items: []map[string]any{{"lang": "fr"}, {"lang": "fr"}},
			// bo fits best both times: fit outranks load.
			want: []string{"bo", "bo"},
		},
		{
			name: "quota fair shares each tier by weight",
			cfg: config().agent("ana", 100).agent("bo", 100).
				queue("q", allot.QuotaFair, "ana", "bo").defaultQueue("q").
				scoring("hot", `item.budget > 1000`, 100).
				tiers(allot.Tier{Name: "hot", MinScore: 100}, allot.Tier{Name: "cold", MinScore: 0}),
			// Two hot then two cold: each tier alternates on its own.
			items: []map[string]any{{"budget": 5000}, {"budget": 9000}, {"budget": 1}, {"budget": 2}, {"budget": 7000}},
			want:  []string{"ana", "bo", "ana", "bo", "ana"},
		},
		{
			name: "quota fair: an agent who got the hot lead does not get the next hot one",
			cfg: config().agent("ana", 100).agent("bo", 100).
				queue("q", allot.QuotaFair, "ana", "bo").defaultQueue("q").
				scoring("hot", `item.budget > 1000`, 100).
				tiers(allot.Tier{Name: "hot", MinScore: 100}, allot.Tier{Name: "cold", MinScore: 0}),
			items: []map[string]any{{"budget": 5000}, {"budget": 1}, {"budget": 9000}, {"budget": 7000}},
			// hot→ana; cold: tier tie, overall ana 1 bo 0 → bo; hot: bo's turn; hot: ana.
			want: []string{"ana", "bo", "bo", "ana"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, tt.cfg)
			if tt.setup != nil {
				tt.setup(h)
			}
			var got []string
			for i, attrs := range tt.items {
				got = append(got, assignedTo(t, h.arrive(itemID(i), attrs)))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("owners = %v, want %v", got, tt.want)
			}
		})
	}
}

func itemID(i int) string { return "i" + string(rune('a'+i/26)) + string(rune('a'+i%26)) }

func TestPushBestWaitingItemWhenCapacityFrees(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 1).queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	h.arriveP("first", 0, nil)
	for i, p := range []int{1, 5, 3} {
		ds := h.arriveP(itemID(i), p, nil)
		if ds[0].Kind != allot.DecisionQueued {
			t.Fatalf("item %d: %v, want queued", i, ds[0].Kind)
		}
	}
	qs, _ := h.e.Queue("q")
	if want := []string{"ab", "ac", "aa"}; !reflect.DeepEqual(qs.Waiting, []string{"i" + want[0], "i" + want[1], "i" + want[2]}) {
		t.Fatalf("waiting = %v, want priority order iab, iac, iaa", qs.Waiting)
	}
	ds := h.apply(ItemClosed{ID: "first"})
	if len(ds) != 1 || ds[0].Item != "iab" || ds[0].Agent != "ana" || ds[0].Cause != "capacity_freed" {
		t.Fatalf("after close: %+v, want the priority-5 item iab pushed to ana", ds)
	}
}

func TestWaitingOrder(t *testing.T) {
	t.Parallel()
	due := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	a := &item{it: allot.Item{Priority: 1}, arrival: 9}
	b := &item{it: allot.Item{Priority: 0, Score: 90}, arrival: 1}
	c := &item{it: allot.Item{Priority: 0, Score: 50, DueAt: due(5)}, arrival: 3}
	d := &item{it: allot.Item{Priority: 0, Score: 50, DueAt: due(10)}, arrival: 2}
	e := &item{it: allot.Item{Priority: 0, Score: 50}, arrival: 0}
	f := &item{it: allot.Item{Priority: 0, Score: 50}, arrival: 4}
	order := []*item{a, b, c, d, e, f}
	for i := range order {
		for j := range order {
			if got, want := better(order[i], order[j]), i < j; got != want {
				t.Errorf("better(%d, %d) = %v, want %v", i, j, got, want)
			}
		}
	}
}

func TestFIFOQueueIgnoresPriority(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 1).queue("q", allot.RoundRobin, "ana").q(func(q *allot.Queue) { q.Order = "fifo" }).defaultQueue("q"))
	h.arriveP("busy", 0, nil)
	h.arriveP("low", 0, nil)
	h.arriveP("high", 9, nil)
	ds := h.apply(ItemClosed{ID: "busy"})
	if assignedTo(t, ds) != "ana" || ds[0].Item != "low" {
		t.Fatalf("fifo queue pushed %+v, want the earliest item low", ds)
	}
}

func TestRuleActions(t *testing.T) {
	t.Parallel()
	seven := 7
	b := config().
		agent("ana", 5).a(func(a *allot.Agent) {
		a.Skills = map[string]int{"de": 2}
		a.Attributes = map[string][]string{"langs": {"de"}, "zip": {"10000-19999"}}
	}).
		agent("bo", 5).a(func(a *allot.Agent) {
		a.Skills = map[string]int{"de": 4}
		a.Attributes = map[string][]string{"langs": {"fr", "de"}, "zip": {"75"}}
	}).
		queue("de", allot.RoundRobin, "ana", "bo").q(func(q *allot.Queue) { q.SLAMinutes = 30 }).
		queue("other", allot.RoundRobin, "ana").
		rule("german-expert", `item.country == "DE" && item.tier_hint == "vip"`, "de").ru(func(r *allot.Rule) {
		r.Skills = []allot.SkillReq{{Skill: "de", MinLevel: 3}}
		r.Priority = &seven
		r.SLAMinutes = 5
	}).
		rule("german", `item.country == "DE"`, "de").ru(func(r *allot.Rule) {
		r.Match = []allot.AttrMatch{{Item: "zip", Agent: "zip", Op: allot.MatchTerritory}}
	}).
		rule("french", `item.country == "FR"`, "de").ru(func(r *allot.Rule) {
		r.Match = []allot.AttrMatch{{Item: "lang", Agent: "langs"}}
	})
	tests := []struct {
		name      string
		attrs     map[string]any
		wantRule  string
		wantAgent string
		wantPrio  int
		wantDue   time.Duration
	}{
		{"skill level filters ana out", map[string]any{"country": "DE", "tier_hint": "vip"}, "german-expert", "bo", 7, 5 * time.Minute},
		{"territory range", map[string]any{"country": "DE", "zip": "12345"}, "german", "ana", 0, 30 * time.Minute},
		{"territory prefix", map[string]any{"country": "DE", "zip": "75011"}, "german", "bo", 0, 30 * time.Minute},
		{"language in agent's list", map[string]any{"country": "FR", "lang": "fr"}, "french", "bo", 0, 30 * time.Minute},
		{"missing required attribute waits", map[string]any{"country": "FR"}, "french", "", 0, 30 * time.Minute},
		{"no rule, no default queue: unroutable", map[string]any{"country": "IT"}, "", "", 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, b)
			ds := h.arrive("x", tt.attrs)
			it, _ := h.e.Item("x")
			if it.Rule != tt.wantRule || it.Owner != tt.wantAgent || it.Priority != tt.wantPrio {
				t.Errorf("rule %q owner %q priority %d, want %q %q %d", it.Rule, it.Owner, it.Priority, tt.wantRule, tt.wantAgent, tt.wantPrio)
			}
			var wantDue time.Time
			if tt.wantDue > 0 {
				wantDue = t0.Add(tt.wantDue)
			}
			if !it.DueAt.Equal(wantDue) {
				t.Errorf("due %v, want %v", it.DueAt, wantDue)
			}
			if tt.wantRule == "" && ds[0].Kind != allot.DecisionUnroutable {
				t.Errorf("kind %v, want unroutable", ds[0].Kind)
			}
		})
	}
}

func TestExplanationNamesFilterAndScores(t *testing.T) {
	t.Parallel()
	b := config().
		agent("ana", 5).a(func(a *allot.Agent) { a.Presence, a.Skills = "lunch", map[string]int{"fr": 3} }).
		agent("bo", 5).a(func(a *allot.Agent) { a.Skills = map[string]int{"fr": 1} }).
		agent("cy", 5).a(func(a *allot.Agent) { a.Skills = map[string]int{"fr": 3} }).
		agent("di", 5).a(func(a *allot.Agent) { a.Presence = "lunch" }).
		queue("q", allot.RoundRobin, "ana", "bo", "cy", "di").
		scoring("big", `item.budget >= 100`, 40).
		rule("fr", `item.lang == "fr"`, "q").ru(func(r *allot.Rule) { r.Skills = []allot.SkillReq{{Skill: "fr", MinLevel: 2}} })
	h := newHarness(t, b)
	ds := h.arrive("x", map[string]any{"lang": "fr", "budget": 150})
	d := ds[0]
	exp := d.Explanation
	if d.Agent != "cy" || exp.Rule != "fr" || exp.Score != 40 || !reflect.DeepEqual(exp.ScoringRules.All(), []string{"big"}) {
		t.Fatalf("decision %+v explanation %+v", d, exp)
	}
	// di is at lunch and lacks the skill: the static filter (who the
	// agent is) is named before the runtime one (what it is doing).
	want := []struct{ agent, filter string }{{"ana", "presence"}, {"bo", "skills"}, {"cy", ""}, {"di", "skills"}}
	for i, w := range want {
		c := exp.Candidates.At(i)
		if c.Agent != w.agent || c.Filter != w.filter {
			t.Errorf("candidate %d = %+v, want agent %s filtered by %q", i, c, w.agent, w.filter)
		}
	}
	if c := exp.Candidates.At(2); !c.Chosen || len(c.Scores) != 1 || c.Scores[0].Scorer != "round_robin" {
		t.Errorf("chosen candidate %+v, want chosen with its round_robin score", c)
	}
	if got := exp.Filtered(); !reflect.DeepEqual(got, map[string]int{"presence": 1, "skills": 2}) {
		t.Errorf("Filtered() = %v", got)
	}

	// The summary (WithoutCandidates) decides the same and keeps rule,
	// score, tier, queue, policy and reason, without candidates or the
	// scoring rules' names.
	clock := &allot.ManualClock{T: t0}
	se, err := New(b.config(), "eu", clock, WithoutCandidates())
	if err != nil {
		t.Fatal(err)
	}
	sds, err := se.Apply(ItemArrived{Item: allot.Item{ID: "x", Type: "lead", Attributes: map[string]any{"lang": "fr", "budget": 150}}})
	if err != nil {
		t.Fatal(err)
	}
	sd, sx := sds[0], sds[0].Explanation
	if sd.Agent != "cy" || sx.Rule != "fr" || sx.Score != 40 || sx.Tier != exp.Tier || sx.Queue != "q" || sx.Policy != exp.Policy ||
		sx.Reason != exp.Reason || !sx.Candidates.IsZero() || !sx.ScoringRules.IsZero() {
		t.Fatalf("summary decision %+v explanation %+v; want the full one's without candidates and scoring rules", sd, sx)
	}
}

func TestExplainDoesNotChangeState(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 1).agent("bo", 1).queue("q", allot.RoundRobin, "ana", "bo").defaultQueue("q"))
	d1, err := h.e.Explain(allot.Item{Type: "lead"})
	if err != nil {
		t.Fatal(err)
	}
	d2, _ := h.e.Explain(allot.Item{Type: "lead"})
	if d1.Agent != "ana" || d2.Agent != "ana" {
		t.Fatalf("explain picked %q then %q; want ana both times (no state change)", d1.Agent, d2.Agent)
	}
	if got := assignedTo(t, h.arrive("x", nil)); got != "ana" {
		t.Fatalf("real arrival went to %q, want ana as explained", got)
	}
	if _, err := h.e.Explain(allot.Item{}); allot.ErrorCode(err) != allot.EINVALID {
		t.Fatalf("Explain without type: %v, want invalid", err)
	}
}

func TestStickyOwnership(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).agent("bo", 5).
		queue("q", allot.RoundRobin, "ana", "bo").q(func(q *allot.Queue) { q.StickyKey = "account_id" }).defaultQueue("q"))
	h.arrive("a1", map[string]any{"account_id": "acme"}) // ana
	h.arrive("b1", map[string]any{"account_id": "bolt"}) // bo
	ds := h.arrive("a2", map[string]any{"account_id": "acme"})
	if assignedTo(t, ds) != "ana" || !ds[0].Explanation.Sticky {
		t.Fatalf("related item went to %q (sticky %v), want ana", ds[0].Agent, ds[0].Explanation.Sticky)
	}
	// When the related owner is not eligible, the policy decides.
	h.apply(AgentPresence{Agent: "ana", Status: "offline"})
	ds = h.arrive("a3", map[string]any{"account_id": "acme"})
	if assignedTo(t, ds) != "bo" || ds[0].Explanation.Sticky {
		t.Fatalf("with ana offline the item went to %q, want bo (not sticky)", ds[0].Agent)
	}
}

func TestReleaseNeverGoesBackToSameAgent(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).agent("bo", 5).queue("q", allot.RoundRobin, "ana", "bo").defaultQueue("q"))
	h.arrive("x", nil)
	if h.owner("x") != "ana" {
		t.Fatal("setup")
	}
	ds := h.apply(ItemReleased{ID: "x", Agent: "ana", Reason: "wrong language"})
	if len(ds) != 1 || ds[0].Kind != allot.DecisionReassigned || ds[0].Agent != "bo" || ds[0].From != "ana" {
		t.Fatalf("release: %+v, want reassigned to bo from ana", ds)
	}
	ds = h.apply(ItemReleased{ID: "x", Agent: "bo"})
	if ds[0].Kind != allot.DecisionQueued {
		t.Fatalf("second release: %+v, want queued (both agents excluded)", ds)
	}
	var ex *allot.Candidate
	for i := range ds[0].Explanation.Candidates.Len() {
		if c := ds[0].Explanation.Candidates.At(i); c.Agent == "ana" {
			ex = &c
		}
	}
	if ex == nil || ex.Filter != "exclusion" {
		t.Fatalf("ana's candidate %+v, want excluded by the exclusion filter", ex)
	}
	if _, err := h.e.Apply(ItemReleased{ID: "x", Agent: "bo"}); allot.ErrorCode(err) != allot.ECONFLICT {
		t.Fatalf("releasing a waiting item: %v, want conflict", err)
	}
}

func TestManualAgentsOnlyOnRequest(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).a(func(a *allot.Agent) { a.Manual = true }).
		queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	h.arriveP("lo", 1, nil)
	h.arriveP("hi", 8, nil)
	if h.owner("lo") != "" || h.owner("hi") != "" {
		t.Fatal("manual agent was pushed work")
	}
	ds := h.apply(AgentNext{Agent: "ana"})
	if assignedTo(t, ds) != "ana" || ds[0].Item != "hi" || ds[0].Cause != "next" {
		t.Fatalf("next: %+v, want the priority-8 item", ds)
	}
	if ds := h.apply(AgentNext{Agent: "ana"}); ds[0].Item != "lo" {
		t.Fatalf("second next: %+v", ds)
	}
	if ds := h.apply(AgentNext{Agent: "ana"}); len(ds) != 0 {
		t.Fatalf("next with nothing waiting: %+v, want no decision", ds)
	}
}

func TestRerouteOnAttributeChange(t *testing.T) {
	t.Parallel()
	for _, reroute := range []bool{false, true} {
		h := newHarness(t, config().agent("ana", 5).agent("bo", 5).
			queue("fr", allot.RoundRobin, "ana").q(func(q *allot.Queue) { q.Reroute = reroute }).
			queue("de", allot.RoundRobin, "bo").
			rule("fr", `item.country == "FR"`, "fr").rule("de", `item.country == "DE"`, "de"))
		h.arrive("x", map[string]any{"country": "FR"})
		ds := h.apply(ItemUpdated{ID: "x", Attributes: map[string]any{"country": "DE"}})
		it, _ := h.e.Item("x")
		if reroute {
			if len(ds) != 1 || ds[0].Kind != allot.DecisionReassigned || it.Owner != "bo" || it.Queue != "de" || ds[0].Cause != "rerouted" {
				t.Errorf("reroute on: %+v item %+v, want moved to bo", ds, it)
			}
			if st, _ := h.e.Agent("ana"); st.Load != 0 {
				t.Errorf("ana's load %d after reroute, want 0", st.Load)
			}
		} else if len(ds) != 0 || it.Owner != "ana" {
			t.Errorf("reroute off: %+v owner %q, want unchanged", ds, it.Owner)
		}
	}
}

func TestWaitingItemFollowsUpdatedRules(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).a(func(a *allot.Agent) { a.Presence = "offline" }).agent("bo", 5).
		queue("fr", allot.RoundRobin, "ana").queue("de", allot.RoundRobin, "bo").
		rule("fr", `item.country == "FR"`, "fr").rule("de", `item.country == "DE"`, "de"))
	h.arrive("x", map[string]any{"country": "FR"})
	ds := h.apply(ItemUpdated{ID: "x", Attributes: map[string]any{"country": "DE"}})
	if assignedTo(t, ds) != "bo" {
		t.Fatalf("%+v, want the waiting item to move to de and go to bo", ds)
	}
	if q, _ := h.e.Queue("fr"); len(q.Waiting) != 0 {
		t.Fatalf("fr still holds %v", q.Waiting)
	}
}

func TestScheduleShiftStartDispatches(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).a(func(a *allot.Agent) {
		a.Schedule = &allot.Schedule{TimeZone: "Europe/Paris", Shifts: []allot.Shift{{Days: "mon-fri", Start: "14:00", End: "18:00"}}}
	}).queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	// t0 is 10:00 in Paris: off shift.
	if ds := h.arrive("x", nil); ds[0].Kind != allot.DecisionQueued || ds[0].Explanation.Candidates.At(0).Filter != "schedule" {
		t.Fatalf("%+v, want queued because of the schedule", ds)
	}
	wake := h.e.NextWake()
	if want := time.Date(2026, 11, 23, 13, 0, 0, 0, time.UTC); !wake.Equal(want) {
		t.Fatalf("next wake %v, want %v (14:00 Paris)", wake, want)
	}
	h.clock.Set(wake.Add(-time.Second))
	if ds := h.apply(Tick{}); len(ds) != 0 {
		t.Fatalf("a second early: %+v", ds)
	}
	h.clock.Set(wake.Add(time.Hour))
	ds := h.apply(Tick{})
	if assignedTo(t, ds) != "ana" || !ds[0].At.Equal(wake) || ds[0].Cause != "schedule" {
		t.Fatalf("at shift start: %+v, want assigned at exactly %v", ds, wake)
	}
}

func TestAbsence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).a(func(a *allot.Agent) {
		a.Absences = []allot.Absence{{Start: t0.Add(time.Hour), End: t0.Add(3 * time.Hour)}}
	}).agent("bo", 5).queue("q", allot.RoundRobin, "ana", "bo").defaultQueue("q"))
	h.arrive("a", nil) // ana
	h.clock.Advance(90 * time.Minute)
	h.arrive("b", nil) // bo
	if got := assignedTo(t, h.arrive("c", nil)); got != "bo" {
		t.Fatalf("during ana's absence the item went to %q", got)
	}
	h.clock.Advance(2 * time.Hour)
	if got := assignedTo(t, h.arrive("d", nil)); got != "ana" {
		t.Fatalf("after ana's absence the item went to %q, want ana (her turn)", got)
	}
}

func TestDailyCapResetsAtLocalMidnight(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 50).a(func(a *allot.Agent) {
		a.Caps = []allot.Cap{{Type: "lead", PerDay: 2}}
	}).queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	h.arrive("a", nil)
	h.arrive("b", nil)
	ds := h.arrive("c", nil)
	if ds[0].Kind != allot.DecisionQueued || ds[0].Explanation.Candidates.At(0).Filter != "caps" {
		t.Fatalf("third lead of the day: %+v, want queued by caps", ds)
	}
	midnight := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	if w := h.e.NextWake(); !w.Equal(midnight) {
		t.Fatalf("next wake %v, want %v", w, midnight)
	}
	h.clock.Set(midnight.Add(time.Minute))
	if got := assignedTo(t, h.apply(Tick{})); got != "ana" {
		t.Fatalf("after midnight: %q", got)
	}
}

func TestCapacityUnitsAcrossTypes(t *testing.T) {
	t.Parallel()
	b := config().agent("ana", 3).a(func(a *allot.Agent) { a.Capacity.PerType = map[string]int{"case": 2} }).
		queue("q", allot.RoundRobin, "ana").defaultQueue("q")
	b.r.ItemTypes = []allot.ItemType{{Name: "case", Units: 2}, {Name: "lead", Units: 1}}
	h := newHarness(t, b)
	h.apply(ItemArrived{Item: allot.Item{ID: "c1", Type: "case"}})
	ds := h.apply(ItemArrived{Item: allot.Item{ID: "c2", Type: "case"}})
	if ds[0].Kind != allot.DecisionQueued || ds[0].Explanation.Candidates.At(0).Reason == "" {
		t.Fatalf("second case: %+v, want queued (type limit)", ds)
	}
	if got := assignedTo(t, h.apply(ItemArrived{Item: allot.Item{ID: "l1", Type: "lead"}})); got != "ana" {
		t.Fatalf("a lead fits in the third unit, went to %q", got)
	}
	if st, _ := h.e.Agent("ana"); st.Load != 3 || st.Open != 2 || !maps.Equal(st.TypeLoad, map[string]int{"case": 2, "lead": 1}) {
		t.Fatalf("load %d open %d by type %v, want 3, 2 and case 2, lead 1", st.Load, st.Open, st.TypeLoad)
	}
	// A type the region does not configure takes one unit and is counted
	// under its own name; a type whose items have all closed is not listed.
	h.apply(ItemClosed{ID: "l1"})
	if got := assignedTo(t, h.apply(ItemArrived{Item: allot.Item{ID: "w1", Type: "webform"}})); got != "ana" {
		t.Fatalf("a webform fits in the third unit, went to %q", got)
	}
	h.apply(ItemClosed{ID: "c1"}) // c2, waiting for room of its type, takes the units
	if st, _ := h.e.Agent("ana"); st.Load != 3 || !maps.Equal(st.TypeLoad, map[string]int{"case": 2, "webform": 1}) {
		t.Fatalf("load %d by type %v, want 3 and case 2, webform 1", st.Load, st.TypeLoad)
	}
}

func TestPresence(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).a(func(a *allot.Agent) { a.Presence = "offline" }).
		queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	h.arrive("x", nil)
	if h.owner("x") != "" {
		t.Fatal("offline agent got work")
	}
	if got := assignedTo(t, h.apply(AgentPresence{Agent: "ana", Status: "available"})); got != "ana" {
		t.Fatalf("coming online: %q", got)
	}
	_, err := h.e.Apply(AgentPresence{Agent: "ana", Status: "napping"})
	var ae *allot.Error
	if !errors.As(err, &ae) || ae.Code != allot.EINVALID || ae.Problems[0].Path != "status" {
		t.Fatalf("unknown status: %v", err)
	}
}

func TestEventErrorsChangeNothing(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 5).queue("q", allot.RoundRobin, "ana").defaultQueue("q"))
	h.arrive("x", map[string]any{"a": "b"})
	before := h.e.Items()
	tests := []struct {
		name string
		ev   Event
		code string
		path string
	}{
		{"duplicate id", ItemArrived{Item: allot.Item{ID: "x", Type: "lead"}}, allot.ECONFLICT, ""},
		{"missing id", ItemArrived{Item: allot.Item{Type: "lead"}}, allot.EINVALID, "id"},
		{"missing type", ItemArrived{Item: allot.Item{ID: "y"}}, allot.EINVALID, "type"},
		{"reserved attribute", ItemArrived{Item: allot.Item{ID: "y", Type: "lead", Attributes: map[string]any{"score": 3}}}, allot.EINVALID, "attributes.score"},
		{"bad attribute value", ItemArrived{Item: allot.Item{ID: "y", Type: "lead", Attributes: map[string]any{"m": map[string]any{}}}}, allot.EINVALID, "attributes.m"},
		{"update unknown", ItemUpdated{ID: "nope"}, allot.ENOTFOUND, ""},
		{"update bad value", ItemUpdated{ID: "x", Attributes: map[string]any{"m": []int{1}}}, allot.EINVALID, "attributes.m"},
		{"touch by non-owner", ItemTouched{ID: "x", Agent: "bo"}, allot.ECONFLICT, ""},
		{"close unknown", ItemClosed{ID: "nope"}, allot.ENOTFOUND, ""},
		{"unknown agent", AgentPresence{Agent: "zed", Status: "available"}, allot.ENOTFOUND, ""},
		{"next unknown agent", AgentNext{Agent: "zed"}, allot.ENOTFOUND, ""},
		{"nil event", nil, allot.EINVALID, ""},
	}
	for _, tt := range tests {
		ds, err := h.e.Apply(tt.ev)
		if allot.ErrorCode(err) != tt.code {
			t.Errorf("%s: error %v, want code %s", tt.name, err, tt.code)
		}
		if tt.path != "" {
			var ae *allot.Error
			if !errors.As(err, &ae) || len(ae.Problems) == 0 || ae.Problems[0].Path != tt.path {
				t.Errorf("%s: error %v, want problem at %s", tt.name, err, tt.path)
			}
		}
		if len(ds) != 0 {
			t.Errorf("%s: decisions %+v", tt.name, ds)
		}
	}
	if after := h.e.Items(); !reflect.DeepEqual(before, after) {
		t.Errorf("state changed by failed events:\n%+v\n%+v", before, after)
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  *cfgB
		path string
		msg  string
	}{
		{"unknown queue in rule", config().agent("a", 1).queue("q", allot.RoundRobin, "a").rule("r", "", "nope"), "regions[0].rules[0].queue", "unknown queue"},
		{"CEL that does not compile", config().agent("a", 1).queue("q", allot.RoundRobin, "a").rule("r", "item.x ==", "q"), "regions[0].rules[0].when", ""},
		{"CEL that does not type-check", config().agent("a", 1).queue("q", allot.RoundRobin, "a").rule("r", `nothing.x == 1`, "q"), "regions[0].rules[0].when", ""},
		{"negative capacity", config().agent("a", -1).queue("q", allot.RoundRobin, "a"), "regions[0].agents[0].capacity.total", "between 0"},
		{"unknown time zone", config().agent("a", 1).a(func(a *allot.Agent) {
			a.Schedule = &allot.Schedule{TimeZone: "Mars/Olympus", Shifts: []allot.Shift{{Days: "mon", Start: "09:00", End: "10:00"}}}
		}), "regions[0].agents[0].schedule.time_zone", "unknown time zone"},
		{"duplicate agent", config().agent("a", 1).agent("a", 1), "regions[0].agents[1].id", "duplicate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := New(tt.cfg.config(), "eu", &allot.ManualClock{T: t0})
			var ae *allot.Error
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *allot.Error", err)
			}
			found := false
			for _, p := range ae.Problems {
				if p.Path == tt.path && strings.Contains(p.Message, tt.msg) {
					found = true
				}
			}
			if !found {
				t.Errorf("problems %v, want one at %s containing %q", ae.Problems, tt.path, tt.msg)
			}
		})
	}
	if _, err := New(config().config(), "us", &allot.ManualClock{}); allot.ErrorCode(err) != allot.EINVALID {
		t.Errorf("unknown region: %v", err)
	}
}

func TestTransfer(t *testing.T) {
	t.Parallel()
	h := newHarness(t, config().agent("ana", 1).agent("bo", 1).agent("cy", 1).a(func(a *allot.Agent) { a.Presence = "offline" }).
		queue("q", allot.RoundRobin, "ana", "bo").defaultQueue("q"))
	h.arrive("x", nil) // ana
	h.arrive("w", nil) // bo
	h.arrive("v", nil) // waits
	if _, err := h.e.Apply(ItemTransferred{ID: "x", To: "bo"}); allot.ErrorCode(err) != allot.ECONFLICT {
		t.Fatalf("transfer to a full agent: %v, want conflict", err)
	}
	ds := h.apply(ItemTransferred{ID: "x", To: "cy", Reason: "speaks Basque"})
	// x moves to cy (offline, not a member: the manager's call); ana frees up and gets v.
	if len(ds) != 2 || ds[0].Kind != allot.DecisionReassigned || ds[0].Agent != "cy" || ds[0].From != "ana" || ds[0].Cause != "transfer" ||
		ds[1].Item != "v" || ds[1].Agent != "ana" {
		t.Fatalf("decisions %+v", ds)
	}
	if st, _ := h.e.Agent("cy"); st.Load != 1 {
		t.Fatalf("cy load %d", st.Load)
	}
	if _, err := h.e.Apply(ItemTransferred{ID: "x", To: "nobody"}); allot.ErrorCode(err) != allot.ENOTFOUND {
		t.Fatalf("unknown agent: %v", err)
	}
}
