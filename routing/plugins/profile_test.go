package plugins_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
	"github.com/allot/allot/routing/plugins"
)

var wantFilters = []string{"exclusion", "skills", "attributes", "presence", "schedule", "capacity", "caps"}

func filterNames(p *routing.Profile) []string {
	var ns []string
	for _, f := range p.Filters {
		ns = append(ns, f.Name())
	}
	return ns
}

func scorerNames(p *routing.Profile) []string {
	var ns []string
	for _, s := range p.Scorers {
		ns = append(ns, s.Name())
	}
	return ns
}

func mustProfile(t *testing.T, policy allot.Policy, stickyKey string) *routing.Profile {
	t.Helper()
	p, err := plugins.ForQueue(&allot.Queue{ID: "q", Policy: policy, StickyKey: stickyKey})
	if err != nil {
		t.Fatalf("ForQueue(%q): %v", policy, err)
	}
	return p
}

func TestForQueue(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy allot.Policy
		sticky string
		want   []string
	}{
		{name: "round robin", policy: allot.RoundRobin, want: []string{"round_robin"}},
		{name: "weighted round robin", policy: allot.WeightedRoundRobin, want: []string{"weighted_turn", "weighted_deadline", "round_robin"}},
		{name: "least loaded", policy: allot.LeastLoaded, want: []string{"least_loaded", "round_robin"}},
		{name: "most available", policy: allot.MostAvailable, want: []string{"most_available", "round_robin"}},
		{name: "best match", policy: allot.BestMatch, want: []string{"skill_fit", "least_loaded", "round_robin"}},
		{name: "quota fair", policy: allot.QuotaFair, want: []string{"tier_turn", "tier_deadline", "weighted_turn", "weighted_deadline", "round_robin"}},
		{name: "sticky round robin", policy: allot.RoundRobin, sticky: "account_id", want: []string{"sticky", "round_robin"}},
		{name: "sticky weighted round robin", policy: allot.WeightedRoundRobin, sticky: "account_id", want: []string{"sticky", "weighted_turn", "weighted_deadline", "round_robin"}},
		{name: "sticky least loaded", policy: allot.LeastLoaded, sticky: "account_id", want: []string{"sticky", "least_loaded", "round_robin"}},
		{name: "sticky most available", policy: allot.MostAvailable, sticky: "account_id", want: []string{"sticky", "most_available", "round_robin"}},
		{name: "sticky best match", policy: allot.BestMatch, sticky: "account_id", want: []string{"sticky", "skill_fit", "least_loaded", "round_robin"}},
		{name: "sticky quota fair", policy: allot.QuotaFair, sticky: "account_id", want: []string{"sticky", "tier_turn", "tier_deadline", "weighted_turn", "weighted_deadline", "round_robin"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := mustProfile(t, tt.policy, tt.sticky)
			if p.Policy != tt.policy {
				t.Errorf("Policy = %q, want %q", p.Policy, tt.policy)
			}
			if got := scorerNames(p); !slices.Equal(got, tt.want) {
				t.Errorf("scorers = %v, want %v", got, tt.want)
			}
			if got := filterNames(p); !slices.Equal(got, wantFilters) {
				t.Errorf("filters = %v, want %v", got, wantFilters)
			}
		})
	}
}

func TestForQueueCoversEveryPolicy(t *testing.T) {
	t.Parallel()
	for _, pol := range allot.Policies {
		p := mustProfile(t, pol, "")
		ns := scorerNames(p)
		// Every list ends with round robin so that ties rotate.
		if len(ns) == 0 || ns[len(ns)-1] != "round_robin" {
			t.Errorf("%s: scorers = %v, want round_robin last", pol, ns)
		}
		if slices.Contains(ns, "sticky") {
			t.Errorf("%s without sticky key: scorers = %v contain sticky", pol, ns)
		}
	}
}

func TestForQueueUnknownPolicy(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy allot.Policy
	}{
		{name: "unknown", policy: "fastest"},
		{name: "empty (defaults are applied by the config)", policy: ""},
		{name: "case matters", policy: "Round_Robin"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := plugins.ForQueue(&allot.Queue{ID: "sales", Policy: tt.policy})
			if err == nil {
				t.Fatalf("ForQueue(%q) = %v, nil; want an error", tt.policy, p)
			}
			if p != nil {
				t.Errorf("ForQueue(%q) profile = %v, want nil", tt.policy, p)
			}
			if msg := err.Error(); !strings.Contains(msg, "sales") || !strings.Contains(msg, fmt.Sprintf("%q", tt.policy)) {
				t.Errorf("error %q should name the queue and the policy", msg)
			}
		})
	}
}

func TestForQueueProfilesAreIndependent(t *testing.T) {
	t.Parallel()
	for _, pol := range allot.Policies {
		a := mustProfile(t, pol, "")
		want := scorerNames(a)
		a.Scorers[0] = plugins.Sticky{}
		_ = append(a.Scorers, plugins.Sticky{})
		s := mustProfile(t, pol, "k")
		s.Scorers[1] = plugins.Room{}
		if got := scorerNames(mustProfile(t, pol, "")); !slices.Equal(got, want) {
			t.Errorf("%s: after editing returned profiles, scorers = %v, want %v", pol, got, want)
		}
	}
}

// choose runs the policy's profile and returns the chosen member's id ("" for
// none), checking that the explanation agrees.
func choose(t *testing.T, policy allot.Policy, stickyKey string, c *routing.Cycle, ms []*routing.Member) string {
	t.Helper()
	p := mustProfile(t, policy, stickyKey)
	var exp allot.Explanation
	m := p.Run(c, ms, &exp)
	ch := exp.Chosen()
	switch {
	case m == nil && ch != nil:
		t.Fatalf("Run chose nobody but the explanation chose %q", ch.Agent)
	case m == nil:
		return ""
	case ch == nil || ch.Agent != m.Agent.ID:
		t.Fatalf("Run chose %q but the explanation chose %+v", m.Agent.ID, ch)
	}
	return m.Agent.ID
}

func TestPolicies(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		policy allot.Policy
		sticky string
		c      *cycleB
		ms     []*agentB
		want   string
	}{
		// round robin
		{name: "round robin: never assigned first", policy: allot.RoundRobin, c: cycle(),
			ms: []*agentB{agent("a").last(5), agent("b"), agent("c").last(3)}, want: "b"},
		{name: "round robin: oldest assignment", policy: allot.RoundRobin, c: cycle(),
			ms: []*agentB{agent("a").last(5), agent("b").last(9), agent("c").last(2)}, want: "c"},
		{name: "round robin: ignores load", policy: allot.RoundRobin, c: cycle(),
			ms: []*agentB{agent("a").last(5).load(0), agent("b").last(1).capacity(5).load(4)}, want: "b"},
		{name: "round robin: tie to queue order", policy: allot.RoundRobin, c: cycle(),
			ms: []*agentB{agent("a").last(5), agent("b"), agent("c")}, want: "b"},
		{name: "round robin: skips ineligible", policy: allot.RoundRobin, c: cycle(),
			ms: []*agentB{agent("a").last(5), agent("b").offShift(), agent("c").last(3).capacity(1).load(1)}, want: "a"},
		{name: "round robin: nobody eligible", policy: allot.RoundRobin, c: cycle(),
			ms: []*agentB{agent("a").presence("break", false), agent("b").absent()}, want: ""},

		// weighted round robin
		{name: "wrr: heavier first when fresh", policy: allot.WeightedRoundRobin, c: cycle(),
			ms: []*agentB{agent("a"), agent("b").weight(3), agent("c")}, want: "b"},
		{name: "wrr: behind its share", policy: allot.WeightedRoundRobin, c: cycle(),
			ms: []*agentB{agent("a").vc(2).last(3), agent("b").vc(1).last(2)}, want: "b"},
		{name: "wrr: turn decides before deadline and round robin", policy: allot.WeightedRoundRobin, c: cycle(),
			// W=4, T=1: every deadline is 4, but a (w 2) is not released:
			// 1·4 < 2·2 is false. Round robin alone would pick a.
			ms: []*agentB{agent("a").weight(2).vc(1).last(1), agent("b").last(3), agent("c").last(2)}, want: "c"},
		{name: "wrr: equal deadlines fall to round robin", policy: allot.WeightedRoundRobin, c: cycle(),
			ms: []*agentB{agent("a").vc(1).last(7), agent("b").vc(1).last(6)}, want: "b"},

		// least loaded
		{name: "least loaded: lowest ratio", policy: allot.LeastLoaded, c: cycle(),
			ms: []*agentB{agent("a").capacity(4).load(2), agent("b").capacity(4).load(1), agent("c").capacity(2).load(1)}, want: "b"},
		{name: "least loaded: ratio, not units", policy: allot.LeastLoaded, c: cycle(),
			ms: []*agentB{agent("a").capacity(2).load(1), agent("b").capacity(10).load(3)}, want: "b"},
		{name: "least loaded: tie to round robin", policy: allot.LeastLoaded, c: cycle(),
			ms: []*agentB{agent("a").capacity(4).load(1).last(7), agent("b").capacity(8).load(2).last(3), agent("c").capacity(4).load(3)}, want: "b"},
		{name: "least loaded: full tie to queue order", policy: allot.LeastLoaded, c: cycle(),
			ms: []*agentB{agent("a").capacity(4).load(3), agent("b").capacity(4).load(1), agent("c").capacity(4).load(1)}, want: "b"},
		{name: "least loaded: full member filtered", policy: allot.LeastLoaded, c: cycle().units(2),
			ms: []*agentB{agent("a").capacity(2).load(1), agent("b").capacity(10).load(8)}, want: "b"},

		// most available
		{name: "most available: most free units", policy: allot.MostAvailable, c: cycle(),
			ms: []*agentB{agent("a").capacity(3), agent("b").capacity(10).load(5), agent("c").capacity(4)}, want: "b"},
		{name: "most available: tie to round robin", policy: allot.MostAvailable, c: cycle(),
			ms: []*agentB{agent("a").capacity(5).load(1).last(2), agent("b").capacity(4).last(1)}, want: "b"},

		// best match
		{name: "best match: highest fit even when more loaded", policy: allot.BestMatch, c: cycle().need("fr", 2),
			ms: []*agentB{agent("a").skill("fr", 2), agent("b").skill("fr", 5).capacity(4).load(3).last(9), agent("c").skill("fr", 3)}, want: "b"},
		{name: "best match: unqualified filtered", policy: allot.BestMatch, c: cycle().need("fr", 4),
			ms: []*agentB{agent("a").skill("fr", 3).skill("de", 5), agent("b").skill("fr", 4).load(9), agent("c")}, want: "b"},
		{name: "best match: equal fit to least loaded", policy: allot.BestMatch, c: cycle().need("fr", 1),
			ms: []*agentB{agent("a").skill("fr", 4).load(5), agent("b").skill("fr", 4).load(2), agent("c").skill("fr", 3)}, want: "b"},
		{name: "best match: no skills required is least loaded", policy: allot.BestMatch, c: cycle(),
			ms: []*agentB{agent("a").skill("fr", 5).load(3), agent("b").load(1).last(4), agent("c").load(1).last(2)}, want: "c"},

		// quota fair
		{name: "quota fair: by the item's tier counts", policy: allot.QuotaFair, c: cycle().tier(1),
			ms: []*agentB{agent("a").vc(2).tierVC(0, 2, 0), agent("b").vc(5).tierVC(5, 0, 0)}, want: "b"},
		{name: "quota fair: other tier", policy: allot.QuotaFair, c: cycle().tier(0),
			ms: []*agentB{agent("a").vc(2).tierVC(0, 2, 0), agent("b").vc(5).tierVC(5, 0, 0)}, want: "a"},
		{name: "quota fair: tier tie to overall counts", policy: allot.QuotaFair, c: cycle().tier(2),
			ms: []*agentB{agent("a").vc(4).tierVC(3, 1, 0).last(1), agent("b").vc(1).tierVC(0, 1, 0).last(2)}, want: "b"},
		{name: "quota fair: weighted tier share", policy: allot.QuotaFair, c: cycle().tier(0),
			// Tier 0, W=4, T=2: a (w 3) 2·4 < 3·3 released, due ceil(12/3)=4;
			// b 0 < 3 released, due 4. Overall, T=4: a 4·4 < 5·3 is false.
			ms: []*agentB{agent("a").weight(3).vc(4).tierVC(2, 2, 0), agent("b").vc(0).tierVC(0, 0, 0)}, want: "b"},

		// sticky
		{name: "sticky owner wins over the policy", policy: allot.LeastLoaded, sticky: "account_id",
			ms: []*agentB{agent("a"), agent("owner").capacity(10).load(9).last(99)}, want: "owner"},
		{name: "ineligible sticky owner: policy decides", policy: allot.LeastLoaded, sticky: "account_id",
			ms: []*agentB{agent("a").load(2), agent("b").load(1), agent("owner").offShift()}, want: "b"},
		{name: "no sticky owner: policy decides", policy: allot.RoundRobin, sticky: "account_id", c: cycle(),
			ms: []*agentB{agent("a").last(2), agent("b").last(1)}, want: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ms := members(tt.ms...)
			c := tt.c
			if c == nil { // sticky rows: the owner is the member named "owner"
				c = cycle()
				for _, m := range ms {
					if m.Agent.ID == "owner" {
						c.sticky(m)
					}
				}
			}
			if got := choose(t, tt.policy, tt.sticky, c.build(), ms); got != tt.want {
				t.Errorf("%s chose %q, want %q", tt.policy, got, tt.want)
			}
		})
	}
}

// assign records an assignment of an item of tier ti to m, as the engine does.
func assign(m *routing.Member, seq uint64, ti int) {
	m.LastSeq = seq
	m.Count++
	m.VC++
	m.TierVC[ti]++
}

func TestWeightedRoundRobinShares(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		weights []int
	}{
		{name: "3:1", weights: []int{3, 1}},
		{name: "2:1:1", weights: []int{2, 1, 1}},
		{name: "1:1:1", weights: []int{1, 1, 1}},
		{name: "5:3:2:1", weights: []int{5, 3, 2, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var bs []*agentB
			var w int64
			for i, wi := range tt.weights {
				bs = append(bs, agent(fmt.Sprint("a", i)).weight(wi))
				w += int64(wi)
			}
			ms := members(bs...)
			p := mustProfile(t, allot.WeightedRoundRobin, "")
			c := cycle().build()
			for k := int64(1); k <= 3*w; k++ {
				m := p.Run(c, ms, nil)
				assign(m, uint64(k), 0)
				for _, m := range ms {
					// Within ±1 of the weighted share k·w_i/W, exactly after every W.
					lag := m.Count*w - k*int64(m.Agent.Weight)
					if lag <= -w || lag >= w || (k%w == 0 && lag != 0) {
						t.Fatalf("after %d assignments %s (weight %d) has %d", k, m.Agent.ID, m.Agent.Weight, m.Count)
					}
				}
			}
		})
	}
}

func TestQuotaFairTierShares(t *testing.T) {
	t.Parallel()
	ms := members(agent("a").weight(2), agent("b"))
	p := mustProfile(t, allot.QuotaFair, "")
	// A stream of items: hot (0), warm (1) and cold (2) mixed.
	tiers := []int{0, 1, 1, 0, 2, 0, 1, 0, 2, 1, 1, 0, 2, 2, 0, 1, 0, 0, 2, 1, 2}
	per := make([]int64, 3)
	for k, ti := range tiers {
		c := cycle().tier(ti).build()
		m := p.Run(c, ms, nil)
		assign(m, uint64(k+1), ti)
		per[ti]++
		for _, m := range ms {
			lag := m.TierVC[ti]*3 - per[ti]*int64(m.Agent.Weight)
			if lag <= -3 || lag >= 3 {
				t.Fatalf("after item %d (tier %d): %s has %d of %d", k, ti, m.Agent.ID, m.TierVC[ti], per[ti])
			}
		}
	}
	for ti := range per {
		if got, want := ms[0].TierVC[ti]+ms[1].TierVC[ti], per[ti]; got != want {
			t.Errorf("tier %d: %d assignments counted, want %d", ti, got, want)
		}
	}
}

func TestRunAllocatesNothing(t *testing.T) {
	// Not parallel: testing.AllocsPerRun refuses parallel tests.
	//
	// Filters and scorers never allocate on the success path, and a cycle's
	// scratch space is reused: a warm run without explanation allocates nothing.
	for _, pol := range allot.Policies {
		t.Run(string(pol), func(t *testing.T) {
			p := mustProfile(t, pol, "account")
			ms := members(
				agent("a").skill("fr", 3).attr("languages", "fr").attr("zips", "75", "10000-19999").
					withCap(allot.Cap{PerDay: 9}, routing.CapCount{Day: dayNum(2026, 11, 23), DayN: 1}).load(2).last(4).vc(2),
				agent("b").skill("fr", 5).attr("languages", "en", "fr").attr("zips", "750").weight(3).load(1).last(2).vc(1),
				agent("c").skill("fr", 1).attr("languages", "fr").attr("zips", "75"),
				agent("d").skill("fr", 4).attr("languages", "fr").attr("zips", "75").loc(paris).perType("lead", 4).typeLoad("lead", 1).load(1),
			)
			c := cycle().need("fr", 2).tier(1).exclude("x").
				match(allot.AttrMatch{Item: "language", Agent: "languages"}).attr("language", "fr").
				match(allot.AttrMatch{Item: "zip", Agent: "zips", Op: allot.MatchTerritory}).attr("zip", "75011").
				sticky(ms[3]).build()
			if p.Run(c, ms, nil) == nil {
				t.Fatal("nobody chosen")
			}
			if n := testing.AllocsPerRun(50, func() { p.Run(c, ms, nil) }); n != 0 {
				t.Errorf("Run allocates %v times per run, want 0", n)
			}
		})
	}
}
