package plugins_test

import (
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/allot/allot/routing"
	"github.com/allot/allot/routing/plugins"
)

// fixed is the scale of ratio scores (plugins.fixed).
const fixed = 1_000_000_000_000

// scoreAll runs the PreScore of pre (when non-nil) over ms, as the pipeline
// does with the eligible members, then s.Score for each member.
func scoreAll(s routing.Scorer, pre routing.PreScorer, c *routing.Cycle, ms []*routing.Member) []int64 {
	if pre != nil {
		pre.PreScore(c, ms)
	}
	got := make([]int64, len(ms))
	for i, m := range ms {
		got[i] = s.Score(c, m)
	}
	return got
}

// scorerCase is one row of a scorer table: want holds one value per member.
type scorerCase struct {
	name string
	c    *cycleB
	ms   []*agentB
	want []int64
}

func runScorerTable(t *testing.T, s routing.Scorer, pre routing.PreScorer, tests []scorerCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := scoreAll(s, pre, tt.c.build(), members(tt.ms...))
			if !slices.Equal(got, tt.want) {
				t.Errorf("%s scores = %v, want %v", s.Name(), got, tt.want)
			}
		})
	}
}

func TestScorerNames(t *testing.T) {
	t.Parallel()
	tests := []struct {
		s    routing.Scorer
		want string
	}{
		{plugins.Sticky{}, "sticky"},
		{plugins.Recency{}, "round_robin"},
		{plugins.FairTurn{}, "weighted_turn"},
		{plugins.FairDeadline{}, "weighted_deadline"},
		{plugins.TierTurn{}, "tier_turn"},
		{plugins.TierDeadline{}, "tier_deadline"},
		{plugins.Load{}, "least_loaded"},
		{plugins.Room{}, "most_available"},
		{plugins.SkillFit{}, "skill_fit"},
	}
	for _, tt := range tests {
		if got := tt.s.Name(); got != tt.want {
			t.Errorf("%T.Name() = %q, want %q", tt.s, got, tt.want)
		}
	}
}

func TestRecency(t *testing.T) {
	t.Parallel()
	runScorerTable(t, plugins.Recency{}, nil, []scorerCase{
		{name: "never assigned scores 0", c: cycle(), ms: []*agentB{agent("a")}, want: []int64{0}},
		{name: "never assigned beats assigned", c: cycle(), ms: []*agentB{agent("a").last(1), agent("b")}, want: []int64{-1, 0}},
		{name: "older beats newer", c: cycle(), ms: []*agentB{agent("a").last(9), agent("b").last(4), agent("c").last(7)}, want: []int64{-9, -4, -7}},
		{name: "large sequence", c: cycle(), ms: []*agentB{agent("a").last(1 << 40)}, want: []int64{-(1 << 40)}},
	})
}

func TestFairTurn(t *testing.T) {
	t.Parallel()
	// Released when VC·W < (T+1)·w.
	runScorerTable(t, plugins.FairTurn{}, plugins.FairTurn{}, []scorerCase{
		{name: "all fresh are released", c: cycle(), ms: []*agentB{agent("a"), agent("b").weight(3)}, want: []int64{1, 1}},
		{name: "equal weights, one ahead", c: cycle(), ms: []*agentB{agent("a").vc(1), agent("b"), agent("c")}, want: []int64{0, 1, 1}},
		{name: "equal weights, all level", c: cycle(), ms: []*agentB{agent("a").vc(2), agent("b").vc(2)}, want: []int64{1, 1}},
		// W=4, T=1: a: 1·4 < 2·2 is false (boundary), b: 0 < 2.
		{name: "boundary is not released", c: cycle(), ms: []*agentB{agent("a").weight(2).vc(1), agent("b").weight(1).vc(0), agent("c").vc(0)}, want: []int64{0, 1, 1}},
		// W=4, T=2: a: 2·4 < 3·3, b: 0 < 3.
		{name: "heavy member released again", c: cycle(), ms: []*agentB{agent("a").weight(3).vc(2), agent("b").vc(0)}, want: []int64{1, 1}},
		// W=4, T=3: a: 3·4 < 4·3 is false, b: 0 < 4.
		{name: "heavy member done for the round", c: cycle(), ms: []*agentB{agent("a").weight(3).vc(3), agent("b").vc(0)}, want: []int64{0, 1}},
	})
}

func TestFairTurnPreScoreSums(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name            string
		ms              []*agentB
		wantW, wantVC   int64
		presetW, preset int64
	}{
		{name: "one member", ms: []*agentB{agent("a").weight(7).vc(3)}, wantW: 7, wantVC: 3},
		{name: "several", ms: []*agentB{agent("a").weight(2).vc(5), agent("b").weight(3).vc(1), agent("c").vc(0)}, wantW: 6, wantVC: 6},
		{name: "stale sums are replaced", ms: []*agentB{agent("a").vc(1)}, wantW: 1, wantVC: 1, presetW: 100, preset: 100},
		{name: "no member", ms: nil, wantW: 0, wantVC: 0, presetW: 5, preset: 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := cycle().build()
			c.SumWeight, c.SumVC = tt.presetW, tt.preset
			plugins.FairTurn{}.PreScore(c, members(tt.ms...))
			if c.SumWeight != tt.wantW || c.SumVC != tt.wantVC {
				t.Errorf("PreScore sums W=%d VC=%d, want W=%d VC=%d", c.SumWeight, c.SumVC, tt.wantW, tt.wantVC)
			}
		})
	}
}

func TestFairDeadline(t *testing.T) {
	t.Parallel()
	// Deadline = ceil((VC+1)·W / w), negated.
	runScorerTable(t, plugins.FairDeadline{}, plugins.FairTurn{}, []scorerCase{
		{name: "equal weights fresh", c: cycle(), ms: []*agentB{agent("a"), agent("b"), agent("c")}, want: []int64{-3, -3, -3}},
		{name: "equal weights, one ahead", c: cycle(), ms: []*agentB{agent("a").vc(1), agent("b"), agent("c")}, want: []int64{-6, -3, -3}},
		// W=4: a: 4/2=2, b: 4/1=4.
		{name: "heavier is due earlier", c: cycle(), ms: []*agentB{agent("a").weight(2), agent("b"), agent("c")}, want: []int64{-2, -4, -4}},
		// W=4: a: ceil(4/3)=2, ceil(8/3)=3; b: 4.
		{name: "rounds up", c: cycle(), ms: []*agentB{agent("a").weight(3), agent("b")}, want: []int64{-2, -4}},
		{name: "rounds up after one", c: cycle(), ms: []*agentB{agent("a").weight(3).vc(1), agent("b")}, want: []int64{-3, -4}},
		{name: "exact division is not rounded", c: cycle(), ms: []*agentB{agent("a").weight(2).vc(1), agent("b").weight(2)}, want: []int64{-4, -2}},
	})
}

func TestFairDeadlineUsesReleasedSet(t *testing.T) {
	t.Parallel()
	// A member that is not released may still have the earliest deadline:
	// FairTurn must be compared first.
	ms := members(agent("a").weight(3).vc(3), agent("b").vc(0))
	c := cycle().build()
	turn := scoreAll(plugins.FairTurn{}, plugins.FairTurn{}, c, ms)
	dl := scoreAll(plugins.FairDeadline{}, nil, c, ms)
	// W=4: a: ceil(16/3)=6, b: 4.
	if want := []int64{0, 1}; !slices.Equal(turn, want) {
		t.Errorf("turn = %v, want %v", turn, want)
	}
	if want := []int64{-6, -4}; !slices.Equal(dl, want) {
		t.Errorf("deadline = %v, want %v", dl, want)
	}
}

func TestTierTurn(t *testing.T) {
	t.Parallel()
	a := func() *agentB { return agent("a").vc(9).tierVC(1, 0, 4) }
	b := func() *agentB { return agent("b").vc(0).tierVC(0, 2, 0) }
	runScorerTable(t, plugins.TierTurn{}, plugins.TierTurn{}, []scorerCase{
		// W=2. tier 0: T=1: a: 1·2 < 2·1 false; b: 0 < 2.
		{name: "tier 0", c: cycle().tier(0), ms: []*agentB{a(), b()}, want: []int64{0, 1}},
		// tier 1: T=2: a: 0 < 3; b: 2·2 < 3 false.
		{name: "tier 1", c: cycle().tier(1), ms: []*agentB{a(), b()}, want: []int64{1, 0}},
		// tier 2: T=4: a: 4·2 < 5 false; b: 0 < 5.
		{name: "tier 2", c: cycle().tier(2), ms: []*agentB{a(), b()}, want: []int64{0, 1}},
		{name: "overall count is ignored", c: cycle().tier(1), ms: []*agentB{agent("a").vc(100).tierVC(0, 0, 0), agent("b").tierVC(0, 0, 0)}, want: []int64{1, 1}},
		// W=3, T=1: a (w 2): 1·3 < 2·2; b: 0 < 2.
		{name: "weighted", c: cycle().tier(0), ms: []*agentB{agent("a").weight(2).tierVC(1, 0, 0), agent("b").tierVC(0, 0, 0)}, want: []int64{1, 1}},
	})
}

func TestTierTurnPreScoreSums(t *testing.T) {
	t.Parallel()
	for tier, want := range []int64{5, 1, 7} {
		c := cycle().tier(tier).build()
		c.SumTierVC, c.SumWeight = 99, 99
		plugins.TierTurn{}.PreScore(c, members(
			agent("a").weight(2).vc(50).tierVC(2, 1, 3),
			agent("b").weight(5).vc(50).tierVC(3, 0, 4),
		))
		if c.SumWeight != 7 || c.SumTierVC != want {
			t.Errorf("tier %d: PreScore sums W=%d TierVC=%d, want W=7 TierVC=%d", tier, c.SumWeight, c.SumTierVC, want)
		}
	}
}

func TestTierDeadline(t *testing.T) {
	t.Parallel()
	a := func() *agentB { return agent("a").weight(3).tierVC(0, 2, 1) }
	b := func() *agentB { return agent("b").tierVC(3, 0, 1) }
	// W=4. Deadline = ceil((TierVC+1)·4 / w).
	runScorerTable(t, plugins.TierDeadline{}, plugins.TierTurn{}, []scorerCase{
		// a: ceil(4/3)=2; b: 16.
		{name: "tier 0", c: cycle().tier(0), ms: []*agentB{a(), b()}, want: []int64{-2, -16}},
		// a: ceil(12/3)=4; b: 4.
		{name: "tier 1", c: cycle().tier(1), ms: []*agentB{a(), b()}, want: []int64{-4, -4}},
		// a: ceil(8/3)=3; b: 8.
		{name: "tier 2", c: cycle().tier(2), ms: []*agentB{a(), b()}, want: []int64{-3, -8}},
	})
}

func TestLoad(t *testing.T) {
	t.Parallel()
	runScorerTable(t, plugins.Load{}, nil, []scorerCase{
		{name: "empty", c: cycle(), ms: []*agentB{agent("a").capacity(4)}, want: []int64{0}},
		{name: "fractions", c: cycle(), ms: []*agentB{
			agent("a").capacity(4).load(1),
			agent("b").capacity(4).load(2),
			agent("c").capacity(3).load(1),
			agent("d").capacity(8).load(2),
		}, want: []int64{-fixed / 4, -fixed / 2, -fixed / 3, -fixed / 4}},
		{name: "full", c: cycle(), ms: []*agentB{agent("a").capacity(5).load(5)}, want: []int64{-fixed}},
		{name: "over full", c: cycle(), ms: []*agentB{agent("a").capacity(2).load(3)}, want: []int64{-3 * fixed / 2}},
		{name: "zero capacity counts as full", c: cycle(), ms: []*agentB{agent("a").capacity(0)}, want: []int64{-fixed}},
		{name: "zero capacity with load", c: cycle(), ms: []*agentB{agent("a").capacity(0).load(3)}, want: []int64{-fixed}},
		{name: "units of every type count", c: cycle().typ("call"), ms: []*agentB{agent("a").capacity(10).load(6).typeLoad("lead", 6)}, want: []int64{-6 * fixed / 10}},
		{name: "large capacity", c: cycle(), ms: []*agentB{agent("a").capacity(1_000_000).load(999_999)}, want: []int64{-999_999_000_000}},
	})
}

func TestRoom(t *testing.T) {
	t.Parallel()
	runScorerTable(t, plugins.Room{}, nil, []scorerCase{
		{name: "free units", c: cycle(), ms: []*agentB{agent("a").capacity(10).load(4), agent("b").capacity(3)}, want: []int64{6, 3}},
		{name: "full", c: cycle(), ms: []*agentB{agent("a").capacity(2).load(2)}, want: []int64{0}},
		{name: "zero capacity", c: cycle(), ms: []*agentB{agent("a").capacity(0)}, want: []int64{0}},
		{name: "over full is negative", c: cycle(), ms: []*agentB{agent("a").capacity(2).load(3)}, want: []int64{-1}},
	})
}

func TestSkillFit(t *testing.T) {
	t.Parallel()
	runScorerTable(t, plugins.SkillFit{}, nil, []scorerCase{
		{name: "no required skills: 0 for all", c: cycle(), ms: []*agentB{agent("a").skill("fr", 5), agent("b"), agent("c").skill("de", 1)}, want: []int64{0, 0, 0}},
		{name: "one skill by level", c: cycle().need("fr", 1), ms: []*agentB{
			agent("a").skill("fr", 1),
			agent("b").skill("fr", 3),
			agent("c").skill("fr", 5),
			agent("d"),
		}, want: []int64{20, 60, 100, 0}},
		{name: "capped at level 5", c: cycle().need("fr", 1), ms: []*agentB{agent("a").skill("fr", 9)}, want: []int64{100}},
		{name: "capped per skill before averaging", c: cycle().need("fr", 1).need("de", 1), ms: []*agentB{agent("a").skill("fr", 10).skill("de", 1)}, want: []int64{60}},
		{name: "averaged over requirements", c: cycle().need("fr", 1).need("tax", 2), ms: []*agentB{agent("a").skill("fr", 5).skill("tax", 2)}, want: []int64{70}},
		// (4+2+1)·100/15 = 46.67: truncated.
		{name: "truncated", c: cycle().need("fr", 1).need("de", 1).need("es", 1), ms: []*agentB{agent("a").skill("fr", 4).skill("de", 2).skill("es", 1)}, want: []int64{46}},
		{name: "unrequired skills ignored", c: cycle().need("fr", 1), ms: []*agentB{agent("a").skill("fr", 2).skill("de", 5)}, want: []int64{40}},
		{name: "all at 5 is 100", c: cycle().need("fr", 1).need("de", 1), ms: []*agentB{agent("a").skill("fr", 5).skill("de", 5)}, want: []int64{100}},
	})
}

func TestSkillFitRange(t *testing.T) {
	t.Parallel()
	// Every combination of levels 0–7 in two skills stays within 0–100.
	c := cycle().need("fr", 1).need("de", 1).build()
	for fr := range 8 {
		for de := range 8 {
			got := plugins.SkillFit{}.Score(c, member(agent("a").skill("fr", fr).skill("de", de)))
			if got < 0 || got > 100 {
				t.Errorf("SkillFit(fr %d, de %d) = %d, want 0–100", fr, de, got)
			}
		}
	}
}

func TestSticky(t *testing.T) {
	t.Parallel()
	owner := agent("a")
	other := agent("b")
	// The same agent state seen through another queue's membership.
	sameAgent := &agentB{m: &routing.Member{AgentState: owner.m.AgentState, TierVC: make([]int64, 3)}}
	tests := []scorerCase{
		{name: "no sticky owner", c: cycle(), ms: []*agentB{agent("a"), agent("b")}, want: []int64{0, 0}},
		{name: "owner scores 1", c: cycle().sticky(owner.m), ms: []*agentB{owner, other}, want: []int64{1, 0}},
		{name: "owner through another membership", c: cycle().sticky(owner.m), ms: []*agentB{other, sameAgent}, want: []int64{0, 1}},
		{name: "same id, other state", c: cycle().sticky(owner.m), ms: []*agentB{agent("a")}, want: []int64{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// The rows share members, so Pos is left alone (members() sets it).
			ms := make([]*routing.Member, len(tt.ms))
			for i, b := range tt.ms {
				ms[i] = b.m
			}
			got := scoreAll(plugins.Sticky{}, nil, tt.c.build(), ms)
			if !slices.Equal(got, tt.want) {
				t.Errorf("sticky scores = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestLoadDistinctRatiosStayDistinct pins the fixed-point scale: load ratios
// that differ only in the sixth significant digit must not tie.
func TestLoadDistinctRatiosStayDistinct(t *testing.T) {
	t.Parallel()
	a := member(agent("a").capacity(999_999).load(1))
	b := member(agent("b").capacity(1_000_000).load(1))
	c := &routing.Cycle{}
	if sa, sb := (plugins.Load{}).Score(c, a), (plugins.Load{}).Score(c, b); sa >= sb {
		t.Fatalf("load 1/999999 scored %d, 1/1000000 scored %d: the less loaded agent must score higher", sa, sb)
	}
}

// TestColumnScorersMatchScore checks every built-in scorer's ScoreColumn (what
// the pipeline calls) against its Score, member by member, over random members
// and items: each value lands in the scorer's column of the rows and nothing
// else in the rows changes.
func TestColumnScorersMatchScore(t *testing.T) {
	t.Parallel()
	type scorer interface {
		routing.Scorer
		routing.ColumnScorer
	}
	scorers := []scorer{
		plugins.Sticky{}, plugins.Recency{}, plugins.FairTurn{}, plugins.FairDeadline{},
		plugins.TierTurn{}, plugins.TierDeadline{}, plugins.Load{}, plugins.Room{}, plugins.SkillFit{},
	}
	rapid.Check(t, func(t *rapid.T) {
		ms, c := genMembersAndCycle(t)
		c.TierIndex = rapid.IntRange(0, 2).Draw(t, "tier")
		for _, m := range ms {
			m.LastSeq = rapid.Uint64Range(0, 1<<40).Draw(t, "lastSeq")
			m.VC = rapid.Int64Range(0, 50).Draw(t, "vc")
			for k := range m.TierVC {
				m.TierVC[k] = rapid.Int64Range(0, 20).Draw(t, "tierVC")
			}
			m.Weight = rapid.IntRange(1, 100).Draw(t, "weight")
		}
		if rapid.Bool().Draw(t, "sticky") {
			c.Sticky = ms[rapid.IntRange(0, len(ms)-1).Draw(t, "stickyMember")].AgentState
		}
		stride := rapid.IntRange(1, 5).Draw(t, "stride")
		j := rapid.IntRange(0, stride-1).Draw(t, "column")
		for _, s := range scorers {
			if ps, ok := s.(routing.PreScorer); ok {
				ps.PreScore(c, ms)
			}
			rows := make([]int64, stride*len(ms))
			for i := range rows {
				rows[i] = -7
			}
			s.ScoreColumn(c, ms, rows[j:], stride)
			for i, m := range ms {
				for k := range stride {
					got := rows[i*stride+k]
					switch want := s.Score(c, m); {
					case k == j && got != want:
						t.Fatalf("%s: member %d: ScoreColumn gave %d, Score %d", s.Name(), i, got, want)
					case k != j && got != -7:
						t.Fatalf("%s: ScoreColumn wrote %d into column %d of row %d, outside its column %d", s.Name(), got, k, i, j)
					}
				}
			}
		}
	})
}
