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
	p := &routing.Profile{Policy: q.Policy, Filters: filters}
	if q.StickyKey != "" {
		p.Scorers = append(p.Scorers, Sticky{})
	}
	p.Scorers = append(p.Scorers, sc...)
	return p, nil
}
