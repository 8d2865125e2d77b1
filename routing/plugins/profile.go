package plugins

import (
	"fmt"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// filters is every queue's filter chain: first the static ones, which read
// only the item and the agent's config (who the agent is: exclusions,
// skills, attributes), then the runtime ones (what the agent is doing:
// presence, schedule, capacity, caps). An explanation names the first that
// rejects, so a candidate who could never take the item is told so rather
// than that it is busy now; and a member a static filter rejects costs no
// read of its agent's state (the filters are the inner loop of every
// decision, and those reads are most of its memory traffic).
var filters = []routing.Filter{
	Exclusion{}, Skills{}, Attributes{}, Presence{}, Schedule{}, Capacity{}, Caps{},
}

// static is the subset of filters that read only the item and the agent's
// config (routing.Profile.Static); TestStaticFiltersIgnoreRuntimeState checks
// that their verdicts do not change with the agent's runtime state.
var static = []routing.Filter{Exclusion{}, Skills{}, Attributes{}}

// rejections is every (filter, reason) the standard filters return, in
// filter order: what chain's codes index (routing.Profile.Rejections).
var rejections = []allot.Rejection{
	{Filter: Exclusion{}.Name(), Reason: ReasonExcluded},
	{Filter: Skills{}.Name(), Reason: ReasonSkill},
	{Filter: Attributes{}.Name(), Reason: ReasonAttribute},
	{Filter: Presence{}.Name(), Reason: ReasonNotRoutable},
	{Filter: Presence{}.Name(), Reason: ReasonManual},
	{Filter: Schedule{}.Name(), Reason: ReasonAbsent},
	{Filter: Schedule{}.Name(), Reason: ReasonOffShift},
	{Filter: Capacity{}.Name(), Reason: ReasonNoCapacity},
	{Filter: Capacity{}.Name(), Reason: ReasonTypeFull},
	{Filter: Caps{}.Name(), Reason: ReasonCapDay},
	{Filter: Caps{}.Name(), Reason: ReasonCapWeek},
}

// codeNoCapacity is code's value for ReasonNoCapacity (TestRejectionCodes).
const codeNoCapacity = 8

// code returns 1 + the index in rejections of filter f's rejection s, or 0
// when s admits. The reasons are constants, so the switch compares string
// pointers and lengths first; an unknown reason would be a bug that
// TestChainMatchesFilters catches, and it panics rather than explain wrong.
func code(s routing.Status) int {
	switch s.Reason {
	case "":
		return 0
	case ReasonExcluded:
		return 1
	case ReasonSkill:
		return 2
	case ReasonAttribute:
		return 3
	case ReasonNotRoutable:
		return 4
	case ReasonManual:
		return 5
	case ReasonAbsent:
		return 6
	case ReasonOffShift:
		return 7
	case ReasonNoCapacity:
		return 8
	case ReasonTypeFull:
		return 9
	case ReasonCapDay:
		return 10
	case ReasonCapWeek:
		return 11
	}
	panic("plugins: filter reason missing from rejections: " + s.Reason)
}

// chain is filters fused into one function (routing.Profile.Check): the same
// filters' methods in the same order, called directly so that they inline
// into one loop body instead of seven interface calls per member. It returns
// 0 or 1 + the index of the rejection in rejections. Keep it in step with
// filters; TestChainMatchesFilters checks that it decides and names exactly
// as running filters in order does.
func chain(c *routing.Cycle, m *routing.Member) int {
	if s := (Exclusion{}).Filter(c, m); !s.OK() {
		return code(s)
	}
	if s := (Skills{}).Filter(c, m); !s.OK() {
		return code(s)
	}
	// Attributes and Caps are too large to inline; both admit everyone
	// when there is nothing to check, so skip the call then.
	if len(c.Match) > 0 {
		if s := (Attributes{}).Filter(c, m); !s.OK() {
			return code(s)
		}
	}
	if s := (Presence{}).Filter(c, m); !s.OK() {
		return code(s)
	}
	if s := (Schedule{}).Filter(c, m); !s.OK() {
		return code(s)
	}
	// Capacity is too large to inline: its first test is written out
	// here, and the call made only for agents with per-type limits.
	if m.Load+c.Units > m.CapTotal {
		return codeNoCapacity
	}
	if len(m.PerType) > 0 {
		if s := (Capacity{}).Filter(c, m); !s.OK() {
			return code(s)
		}
	}
	if len(m.Caps) > 0 {
		if s := (Caps{}).Filter(c, m); !s.OK() {
			return code(s)
		}
	}
	return 0
}

// staticChain is static fused as chain is filters
// (routing.Profile.StaticCheck); TestStaticChainMatchesFilters checks it.
func staticChain(c *routing.Cycle, m *routing.Member) bool {
	if !(Exclusion{}).Filter(c, m).OK() || !(Skills{}).Filter(c, m).OK() {
		return false
	}
	return len(c.Match) == 0 || (Attributes{}).Filter(c, m).OK()
}

// policies maps each policy to its scorers, compared in order. Every list ends
// with round robin so that ties rotate; the final tie-break is queue order.
var policies = map[allot.Policy][]routing.Scorer{
	allot.RoundRobin:         {Recency{}},
	allot.WeightedRoundRobin: {FairTurn{}, FairDeadline{}, Recency{}},
	allot.LeastLoaded:        {Load{}, Recency{}},
	allot.MostAvailable:      {Room{}, Recency{}},
	allot.BestMatch:          {SkillFit{}, Load{}, Recency{}},
	allot.QuotaFair:          {TierTurn{}, TierDeadline{}, FairTurn{}, FairDeadline{}, Recency{}},
}

// ForQueue returns the profile for a validated queue: the common filters, then
// Sticky when the queue has a sticky key, then the policy's scorers.
func ForQueue(q *allot.Queue) (*routing.Profile, error) {
	sc, ok := policies[q.Policy]
	if !ok {
		return nil, fmt.Errorf("queue %q: unknown policy %q", q.ID, q.Policy)
	}
	p := &routing.Profile{Policy: q.Policy, Filters: filters, Check: chain, Rejections: rejections, Static: static, StaticCheck: staticChain}
	if q.StickyKey != "" {
		p.Scorers = append(p.Scorers, Sticky{})
	}
	p.Scorers = append(p.Scorers, sc...)
	p.Freeze()
	return p, nil
}
