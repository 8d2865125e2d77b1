package plugins

import (
	"github.com/allot/allot/routing"
)

// fixed is the fixed-point scale of ratio scores. Two distinct load ratios
// a/b and c/d with b, d ≤ allot.MaxCapacity (1e6) differ by at least 1e-12, so
// a scale of 1e12 keeps them distinct; the largest value, 1e6 · 1e12 = 1e18,
// fits an int64.
const fixed = 1_000_000_000_000

// Sticky prefers the owner of related work (the queue's sticky key): 1 for
// that agent, 0 for the rest. It comes first in a sticky queue's profile.
type Sticky struct{}

// Name implements routing.Plugin.
func (Sticky) Name() string { return "sticky" }

// Score implements routing.Scorer.
func (Sticky) Score(c *routing.Cycle, m *routing.Member) int64 {
	if c.Sticky == m.AgentState {
		return 1
	}
	return 0
}

// ScoreColumn implements routing.ColumnScorer.
func (Sticky) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	for i, m := range eligible {
		v := int64(0)
		if c.Sticky == m.AgentState {
			v = 1
		}
		col[i*stride] = v
	}
}

// Recency is round robin: the member whose last assignment from this queue is
// oldest scores highest (never assigned beats everyone).
type Recency struct{}

// Name implements routing.Plugin.
func (Recency) Name() string { return "round_robin" }

// Score implements routing.Scorer.
func (Recency) Score(_ *routing.Cycle, m *routing.Member) int64 { return -int64(m.LastSeq) }

// FairTurn and FairDeadline together are weighted round robin as proportionate-
// fair (Pfair) earliest-deadline-first scheduling over the eligible members:
// with W the eligible members' total weight and T their total virtual count,
// member i's next assignment is "released" when VC_i·W < (T+1)·w_i and due at
// ceil((VC_i+1)·W / w_i). Released members go first, earliest deadline first.
// For a stable set of members this keeps every member within ±1 of its
// weighted share after every assignment and exact after every full cycle of W
// assignments (a property test checks it).
type FairTurn struct{}

// Name implements routing.Plugin.
func (FairTurn) Name() string { return "weighted_turn" }

// PreScore implements routing.PreScorer.
func (FairTurn) PreScore(c *routing.Cycle, eligible []*routing.Member) {
	c.SumWeight, c.SumVC = 0, 0
	for _, m := range eligible {
		c.SumWeight += int64(m.Weight)
		c.SumVC += m.VC
	}
}

// ScoreColumn implements routing.ColumnScorer.
func (Recency) ScoreColumn(_ *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	for i, m := range eligible {
		col[i*stride] = -int64(m.LastSeq)
	}
}

// Score implements routing.Scorer.
func (FairTurn) Score(c *routing.Cycle, m *routing.Member) int64 {
	if m.VC*c.SumWeight < (c.SumVC+1)*int64(m.Weight) {
		return 1
	}
	return 0
}

// ScoreColumn implements routing.ColumnScorer.
func (FairTurn) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	w, t := c.SumWeight, c.SumVC+1
	for i, m := range eligible {
		v := int64(0)
		if m.VC*w < t*int64(m.Weight) {
			v = 1
		}
		col[i*stride] = v
	}
}

// FairDeadline is the deadline half of weighted round robin; see FairTurn,
// which must precede it in a profile (it computes the sums).
type FairDeadline struct{}

// Name implements routing.Plugin.
func (FairDeadline) Name() string { return "weighted_deadline" }

// Score implements routing.Scorer.
func (FairDeadline) Score(c *routing.Cycle, m *routing.Member) int64 {
	return -ceilDiv((m.VC+1)*c.SumWeight, int64(m.Weight))
}

// ScoreColumn implements routing.ColumnScorer.
func (FairDeadline) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	for i, m := range eligible {
		col[i*stride] = -ceilDiv((m.VC+1)*c.SumWeight, int64(m.Weight))
	}
}

// TierTurn and TierDeadline are FairTurn and FairDeadline over the counts of
// the item's tier only: quota-fair keeps every agent's share of each tier
// (hot, warm, cold) within ±1 of its weighted share.
type TierTurn struct{}

// Name implements routing.Plugin.
func (TierTurn) Name() string { return "tier_turn" }

// PreScore implements routing.PreScorer.
func (TierTurn) PreScore(c *routing.Cycle, eligible []*routing.Member) {
	c.SumWeight, c.SumTierVC = 0, 0
	for _, m := range eligible {
		c.SumWeight += int64(m.Weight)
		c.SumTierVC += m.TierVC[c.TierIndex]
	}
}

// Score implements routing.Scorer.
func (TierTurn) Score(c *routing.Cycle, m *routing.Member) int64 {
	if m.TierVC[c.TierIndex]*c.SumWeight < (c.SumTierVC+1)*int64(m.Weight) {
		return 1
	}
	return 0
}

// ScoreColumn implements routing.ColumnScorer.
func (TierTurn) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	w, t, k := c.SumWeight, c.SumTierVC+1, c.TierIndex
	for i, m := range eligible {
		v := int64(0)
		if m.TierVC[k]*w < t*int64(m.Weight) {
			v = 1
		}
		col[i*stride] = v
	}
}

// TierDeadline is the deadline half of quota-fair; TierTurn must precede it.
type TierDeadline struct{}

// Name implements routing.Plugin.
func (TierDeadline) Name() string { return "tier_deadline" }

// Score implements routing.Scorer.
func (TierDeadline) Score(c *routing.Cycle, m *routing.Member) int64 {
	return -ceilDiv((m.TierVC[c.TierIndex]+1)*c.SumWeight, int64(m.Weight))
}

// ScoreColumn implements routing.ColumnScorer.
func (TierDeadline) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	w, k := c.SumWeight, c.TierIndex
	for i, m := range eligible {
		col[i*stride] = -ceilDiv((m.TierVC[k]+1)*w, int64(m.Weight))
	}
}

// Load prefers the least loaded member: used capacity as a fraction of total
// capacity, counting every item type's units.
type Load struct{}

// Name implements routing.Plugin.
func (Load) Name() string { return "least_loaded" }

// Score implements routing.Scorer.
func (Load) Score(_ *routing.Cycle, m *routing.Member) int64 {
	if m.CapTotal <= 0 {
		return -fixed
	}
	return -int64(m.Load) * fixed / int64(m.CapTotal)
}

// ScoreColumn implements routing.ColumnScorer.
func (l Load) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	for i, m := range eligible {
		col[i*stride] = l.Score(c, m)
	}
}

// Room prefers the member with the most free capacity units.
type Room struct{}

// Name implements routing.Plugin.
func (Room) Name() string { return "most_available" }

// Score implements routing.Scorer.
func (Room) Score(_ *routing.Cycle, m *routing.Member) int64 {
	return int64(m.CapTotal - m.Load)
}

// ScoreColumn implements routing.ColumnScorer.
func (Room) ScoreColumn(_ *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	for i, m := range eligible {
		col[i*stride] = int64(m.CapTotal - m.Load)
	}
}

// SkillFit scores 0–100: the member's levels in the required skills (capped at
// 5) averaged and scaled, so an agent at level 5 in every required skill
// scores 100. With no required skills every member scores 0 and later scorers
// decide.
type SkillFit struct{}

// Name implements routing.Plugin.
func (SkillFit) Name() string { return "skill_fit" }

// Score implements routing.Scorer.
func (SkillFit) Score(c *routing.Cycle, m *routing.Member) int64 {
	if len(c.Skills) == 0 {
		return 0
	}
	sum := 0
	for j := range c.Skills {
		lv := min(c.SkillLevel(j, m), 5)
		sum += lv
	}
	return int64(sum * 100 / (5 * len(c.Skills)))
}

// ScoreColumn implements routing.ColumnScorer.
func (f SkillFit) ScoreColumn(c *routing.Cycle, eligible []*routing.Member, col []int64, stride int) {
	for i, m := range eligible {
		col[i*stride] = f.Score(c, m)
	}
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

var (
	_ routing.Scorer    = Sticky{}
	_ routing.Scorer    = Recency{}
	_ routing.Scorer    = FairTurn{}
	_ routing.PreScorer = FairTurn{}
	_ routing.Scorer    = FairDeadline{}
	_ routing.Scorer    = TierTurn{}
	_ routing.PreScorer = TierTurn{}
	_ routing.Scorer    = TierDeadline{}
	_ routing.Scorer    = Load{}
	_ routing.Scorer    = Room{}
	_ routing.Scorer    = SkillFit{}

	_ routing.ColumnScorer = Sticky{}
	_ routing.ColumnScorer = Recency{}
	_ routing.ColumnScorer = FairTurn{}
	_ routing.ColumnScorer = FairDeadline{}
	_ routing.ColumnScorer = TierTurn{}
	_ routing.ColumnScorer = TierDeadline{}
	_ routing.ColumnScorer = Load{}
	_ routing.ColumnScorer = Room{}
	_ routing.ColumnScorer = SkillFit{}
)
