package plugins

import (
	"fmt"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// filters is every queue's filter chain, cheapest and most selective first.
var filters = []routing.Filter{
	Presence{}, Schedule{}, Exclusion{}, Capacity{}, Skills{}, Attributes{}, Caps{},
}

// static is the subset of filters that read only the item and the agent's
// config (routing.Profile.Static); TestStaticFiltersIgnoreRuntimeState checks
// that their verdicts do not change with the agent's runtime state.
var static = []routing.Filter{Exclusion{}, Skills{}, Attributes{}}

// chain is filters fused into one function (routing.Profile.Check): the same
// filters' methods in the same order, called directly so that they inline
// into one loop body instead of seven interface calls per member. Keep it in
// step with filters; TestChainMatchesFilters checks that it decides and names
// exactly as running filters in order does.
func chain(c *routing.Cycle, m *routing.Member) (routing.Status, string) {
	if s := (Presence{}).Filter(c, m); !s.OK() {
		return s, Presence{}.Name()
	}
	if s := (Schedule{}).Filter(c, m); !s.OK() {
		return s, Schedule{}.Name()
	}
	if s := (Exclusion{}).Filter(c, m); !s.OK() {
		return s, Exclusion{}.Name()
	}
	if s := (Capacity{}).Filter(c, m); !s.OK() {
		return s, Capacity{}.Name()
	}
	if s := (Skills{}).Filter(c, m); !s.OK() {
		return s, Skills{}.Name()
	}
	// Attributes and Caps are too large to inline; both admit everyone
	// when there is nothing to check, so skip the call then.
	if len(c.Match) > 0 {
		if s := (Attributes{}).Filter(c, m); !s.OK() {
			return s, Attributes{}.Name()
		}
	}
	if len(m.Caps) > 0 {
		if s := (Caps{}).Filter(c, m); !s.OK() {
			return s, Caps{}.Name()
		}
	}
	return routing.Status{}, ""
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
	p := &routing.Profile{Policy: q.Policy, Filters: filters, Check: chain, Static: static}
	if q.StickyKey != "" {
		p.Scorers = append(p.Scorers, Sticky{})
	}
	p.Scorers = append(p.Scorers, sc...)
	return p, nil
}
