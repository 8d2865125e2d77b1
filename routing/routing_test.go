package routing_test

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"testing"
	"time"
	_ "time/tzdata" // zones for the tests, whatever the host has

	"pgregory.net/rapid"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
	"github.com/allot/allot/routing/plugins"
)

// Fake plugins: the pipeline is tested apart from the real filters and
// scorers, whose values the plugins tests pin down.

// rejecter rejects the agents it has a reason for.
type rejecter struct {
	name    string
	reasons map[string]string // agent id → reason
}

func (r rejecter) Name() string { return r.name }

func (r rejecter) Filter(_ *routing.Cycle, m *routing.Member) routing.Status {
	if why, ok := r.reasons[m.Agent.ID]; ok {
		return routing.Reject(why)
	}
	return routing.Status{}
}

// fixedScore gives each agent a fixed value (0 when unlisted).
type fixedScore struct {
	name string
	vals map[string]int64
}

func (s fixedScore) Name() string { return s.name }

func (s fixedScore) Score(_ *routing.Cycle, m *routing.Member) int64 { return s.vals[m.Agent.ID] }

// recorder logs PreScore and Score calls.
type recorder struct {
	name string
	log  *[]string
}

func (r recorder) Name() string { return r.name }

func (r recorder) PreScore(_ *routing.Cycle, eligible []*routing.Member) {
	ids := make([]string, len(eligible))
	for i, m := range eligible {
		ids[i] = m.Agent.ID
	}
	*r.log = append(*r.log, fmt.Sprintf("%s.pre%v", r.name, ids))
}

func (r recorder) Score(_ *routing.Cycle, m *routing.Member) int64 {
	*r.log = append(*r.log, r.name+"."+m.Agent.ID)
	return 0
}

var (
	_ routing.Filter    = rejecter{}
	_ routing.Scorer    = fixedScore{}
	_ routing.Scorer    = recorder{}
	_ routing.PreScorer = recorder{}
)

// members builds minimal eligible members with Pos set to their index.
func members(ids ...string) []*routing.Member {
	ms := make([]*routing.Member, len(ids))
	for i, id := range ids {
		ms[i] = &routing.Member{
			AgentState: &routing.AgentState{Routable: true, OnShift: true, Loc: time.UTC},
			Pos:        i,
			TierVC:     make([]int64, 1),
		}
		ms[i].SetAgent(&allot.Agent{ID: id, Weight: 1})
	}
	return ms
}

// scorers builds one fixedScore per column of rows; rows[i] are member i's
// values. Member ids are "m0", "m1", ...
func scorers(rows [][]int64) []routing.Scorer {
	if len(rows) == 0 {
		return nil
	}
	ss := make([]routing.Scorer, len(rows[0]))
	for j := range ss {
		s := fixedScore{name: fmt.Sprint("s", j), vals: map[string]int64{}}
		for i, row := range rows {
			s.vals[fmt.Sprint("m", i)] = row[j]
		}
		ss[j] = s
	}
	return ss
}

func ids(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint("m", i)
	}
	return out
}

func chosenID(m *routing.Member) string {
	if m == nil {
		return ""
	}
	return m.Agent.ID
}

func TestStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		s    routing.Status
		want bool
	}{
		{name: "zero", s: routing.Status{}, want: true},
		{name: "reject", s: routing.Reject("full"), want: false},
		{name: "reject with empty reason admits", s: routing.Reject(""), want: true},
	}
	for _, tt := range tests {
		if got := tt.s.OK(); got != tt.want {
			t.Errorf("%s: OK() = %v, want %v", tt.name, got, tt.want)
		}
	}
	if got := routing.Reject("full").Reason; got != "full" {
		t.Errorf("Reject(full).Reason = %q", got)
	}
}

func TestEligible(t *testing.T) {
	t.Parallel()
	p := &routing.Profile{Filters: []routing.Filter{
		rejecter{name: "f1", reasons: map[string]string{"b": "r1"}},
		rejecter{name: "f2", reasons: map[string]string{"b": "r2", "c": "r3"}},
	}}
	tests := []struct {
		name       string
		id         string
		wantReason string
		wantFilter string
	}{
		{name: "eligible", id: "a", wantReason: "", wantFilter: ""},
		{name: "first failing filter", id: "b", wantReason: "r1", wantFilter: "f1"},
		{name: "second filter", id: "c", wantReason: "r3", wantFilter: "f2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, f := p.Eligible(&routing.Cycle{}, members(tt.id)[0])
			if s.Reason != tt.wantReason || f != tt.wantFilter {
				t.Errorf("Eligible(%s) = %q, %q; want %q, %q", tt.id, s.Reason, f, tt.wantReason, tt.wantFilter)
			}
		})
	}
	if s, f := (&routing.Profile{}).Eligible(&routing.Cycle{}, members("a")[0]); !s.OK() || f != "" {
		t.Errorf("no filters: Eligible = %q, %q; want eligible", s.Reason, f)
	}
}

func TestRunExplanation(t *testing.T) {
	t.Parallel()
	p := &routing.Profile{
		Policy: "test_policy",
		Filters: []routing.Filter{
			rejecter{name: "f1", reasons: map[string]string{"b": "r1"}},
			rejecter{name: "f2", reasons: map[string]string{"b": "r2", "d": "r3"}},
		},
		Scorers: []routing.Scorer{
			fixedScore{name: "s1", vals: map[string]int64{"a": 1, "c": 2, "e": 2, "b": 99, "d": 99}},
			fixedScore{name: "s2", vals: map[string]int64{"a": 9, "c": 1, "e": 5}},
		},
	}
	ms := members("a", "b", "c", "d", "e")
	exp := &allot.Explanation{Rule: "r", Reason: "kept", Score: 7}
	got := p.Run(&routing.Cycle{}, ms, exp)
	if got != ms[4] {
		t.Fatalf("Run chose %q, want e", chosenID(got))
	}
	want := &allot.Explanation{
		Rule: "r", Reason: "kept", Score: 7,
		Policy: "test_policy",
		Candidates: allot.MustCandidates(
			allot.Candidate{Agent: "a", Scores: []allot.Score{{Scorer: "s1", Value: 1}, {Scorer: "s2", Value: 9}}},
			allot.Candidate{Agent: "b", Filter: "f1", Reason: "r1"},
			allot.Candidate{Agent: "c", Scores: []allot.Score{{Scorer: "s1", Value: 2}, {Scorer: "s2", Value: 1}}},
			allot.Candidate{Agent: "d", Filter: "f2", Reason: "r3"},
			allot.Candidate{Agent: "e", Scores: []allot.Score{{Scorer: "s1", Value: 2}, {Scorer: "s2", Value: 5}}, Chosen: true},
		),
	}
	if err := exp.Candidates.Validate(); err != nil {
		t.Fatal(err)
	}
	if !exp.Candidates.Equal(want.Candidates) || !reflect.DeepEqual(exp.Candidates.List(), want.Candidates.List()) {
		t.Errorf("candidates =\n%+v\nwant\n%+v", exp.Candidates.List(), want.Candidates.List())
	}
	gotRest, wantRest := *exp, *want
	gotRest.Candidates, wantRest.Candidates = allot.Candidates{}, allot.Candidates{}
	if !reflect.DeepEqual(gotRest, wantRest) {
		t.Errorf("explanation =\n%+v\nwant\n%+v", gotRest, wantRest)
	}
	if ch := exp.Chosen(); ch == nil || ch.Agent != "e" {
		t.Errorf("Chosen() = %+v, want e", ch)
	}
	if got, want := exp.Filtered(), map[string]int{"f1": 1, "f2": 1}; !reflect.DeepEqual(got, want) {
		t.Errorf("Filtered() = %v, want %v", got, want)
	}
}

func TestRunExplanationInvariants(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rejects map[string]string // by the single filter "f"
		n       int
		want    string
	}{
		{name: "all eligible", n: 4, want: "m3"},
		{name: "best excluded", n: 4, rejects: map[string]string{"m3": "x"}, want: "m2"},
		{name: "only the first eligible", n: 4, rejects: map[string]string{"m1": "x", "m2": "y", "m3": "z"}, want: "m0"},
		{name: "one member", n: 1, want: "m0"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			// Scores grow with the position: the last eligible member wins.
			rows := make([][]int64, tt.n)
			for i := range rows {
				rows[i] = []int64{int64(i), int64(-i)}
			}
			p := &routing.Profile{Filters: []routing.Filter{rejecter{name: "f", reasons: tt.rejects}}, Scorers: scorers(rows)}
			ms := members(ids(tt.n)...)
			var exp allot.Explanation
			m := p.Run(&routing.Cycle{}, ms, &exp)
			if chosenID(m) != tt.want {
				t.Errorf("Run chose %q, want %q", chosenID(m), tt.want)
			}
			if exp.Candidates.Len() != len(ms) {
				t.Fatalf("%d candidates for %d members", exp.Candidates.Len(), len(ms))
			}
			chosen := 0
			for i, c := range exp.Candidates.List() {
				if c.Agent != ms[i].Agent.ID {
					t.Errorf("candidate %d is %q, want %q (member order)", i, c.Agent, ms[i].Agent.ID)
				}
				excluded := c.Filter != ""
				if excluded != (tt.rejects[c.Agent] != "") || c.Reason != tt.rejects[c.Agent] {
					t.Errorf("candidate %s: filter %q reason %q", c.Agent, c.Filter, c.Reason)
				}
				if excluded && (c.Scores != nil || c.Chosen) {
					t.Errorf("excluded candidate %s has scores %v / chosen %v", c.Agent, c.Scores, c.Chosen)
				}
				if !excluded {
					var names []string
					for _, s := range c.Scores {
						names = append(names, s.Scorer)
					}
					if !slices.Equal(names, []string{"s0", "s1"}) {
						t.Errorf("candidate %s scorers = %v, want [s0 s1]", c.Agent, names)
					}
				}
				if c.Chosen {
					chosen++
					if c.Agent != tt.want {
						t.Errorf("candidate %s marked chosen, want %s", c.Agent, tt.want)
					}
				}
			}
			if chosen != 1 {
				t.Errorf("%d candidates chosen, want exactly 1", chosen)
			}
			// The same run without an explanation chooses the same member.
			if m2 := p.Run(&routing.Cycle{}, ms, nil); m2 != m {
				t.Errorf("Run without explanation chose %q, with %q", chosenID(m2), chosenID(m))
			}
			// A frozen profile (scorer interfaces looked up once) decides
			// and explains the same.
			fp := &routing.Profile{Filters: p.Filters, Scorers: p.Scorers}
			fp.Freeze()
			var fexp allot.Explanation
			if fm := fp.Run(&routing.Cycle{}, ms, &fexp); fm != m {
				t.Errorf("frozen Run chose %q, unfrozen %q", chosenID(fm), chosenID(m))
			}
			if got, want := fexp.Candidates.List(), exp.Candidates.List(); !reflect.DeepEqual(got, want) {
				t.Errorf("frozen candidates = %+v, unfrozen %+v", got, want)
			}
		})
	}
}

func TestRunScoresDoNotAlias(t *testing.T) {
	t.Parallel()
	p := &routing.Profile{Scorers: scorers([][]int64{{1, 2}, {3, 4}, {5, 6}})}
	var exp allot.Explanation
	p.Run(&routing.Cycle{}, members(ids(3)...), &exp)
	// Appending to one candidate's scores must not overwrite the next one's.
	_ = append(exp.Candidates.ScoreValues(0), -1)
	want := []allot.Score{{Scorer: "s0", Value: 3}, {Scorer: "s1", Value: 4}}
	if got := exp.Candidates.At(1).Scores; !reflect.DeepEqual(got, want) {
		t.Errorf("candidate 1 scores = %v after appending to candidate 0's, want %v", got, want)
	}
}

func TestRunNoEligible(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		members []string
	}{
		{name: "all excluded", members: []string{"a", "b", "c"}},
		{name: "no members", members: nil},
	}
	all := map[string]string{"a": "ra", "b": "rb", "c": "rc"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			log := []string{}
			p := &routing.Profile{
				Policy: "p",
				Filters: []routing.Filter{
					rejecter{name: "f1", reasons: map[string]string{"b": "rb1"}},
					rejecter{name: "f2", reasons: all},
				},
				Scorers: []routing.Scorer{recorder{name: "rec", log: &log}},
			}
			ms := members(tt.members...)
			exp := &allot.Explanation{}
			if m := p.Run(&routing.Cycle{}, ms, exp); m != nil {
				t.Errorf("Run chose %q, want nil", m.Agent.ID)
			}
			if m := p.Run(&routing.Cycle{}, ms, nil); m != nil {
				t.Errorf("Run without explanation chose %q, want nil", m.Agent.ID)
			}
			if len(log) != 0 {
				t.Errorf("scorers called with no eligible member: %v", log)
			}
			if exp.Policy != "p" || exp.Candidates.Len() != len(ms) || exp.Chosen() != nil {
				t.Errorf("explanation = %+v, want policy p, %d candidates, none chosen", *exp, len(ms))
			}
			for _, c := range exp.Candidates.List() {
				if c.Filter == "" || c.Reason == "" || c.Scores != nil {
					t.Errorf("candidate %+v: want a filter, a reason and no scores", c)
				}
			}
			if len(ms) > 0 && (exp.Candidates.At(1).Filter != "f1" || exp.Candidates.At(1).Reason != "rb1") {
				t.Errorf("candidate b = %+v, want the first failing filter f1/rb1", exp.Candidates.At(1))
			}
		})
	}
}

func TestRunLexicographic(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		rows [][]int64 // one row per member, one column per scorer
		want string
	}{
		{name: "first scorer decides", rows: [][]int64{{3, 0}, {2, 9}}, want: "m0"},
		{name: "second decides only on a tie", rows: [][]int64{{2, 1}, {2, 5}}, want: "m1"},
		{name: "third decides", rows: [][]int64{{1, 1, 1}, {1, 1, 2}, {1, 0, 9}}, want: "m1"},
		{name: "later scorers ignored after a difference", rows: [][]int64{{1, 100, 100}, {2, 0, 0}, {1, 100, 101}}, want: "m1"},
		{name: "negative values", rows: [][]int64{{-5}, {-3}, {-4}}, want: "m1"},
		{name: "extremes", rows: [][]int64{{math.MinInt64}, {math.MaxInt64}, {0}}, want: "m1"},
		{name: "equal rows keep the earlier member", rows: [][]int64{{1, 2}, {1, 2}, {0, 9}}, want: "m0"},
		{name: "equal best rows keep the earlier one", rows: [][]int64{{0, 0}, {4, 4}, {4, 4}}, want: "m1"},
		{name: "all equal", rows: [][]int64{{7, 7}, {7, 7}, {7, 7}, {7, 7}}, want: "m0"},
		{name: "single member", rows: [][]int64{{-1, -1}}, want: "m0"},
		{name: "best is last", rows: [][]int64{{0}, {1}, {2}, {3}, {4}}, want: "m4"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := &routing.Profile{Scorers: scorers(tt.rows)}
			ms := members(ids(len(tt.rows))...)
			var exp allot.Explanation
			if got := chosenID(p.Run(&routing.Cycle{}, ms, &exp)); got != tt.want {
				t.Errorf("Run chose %q, want %q", got, tt.want)
			}
			if got := chosenID(p.Run(&routing.Cycle{}, ms, nil)); got != tt.want {
				t.Errorf("Run without explanation chose %q, want %q", got, tt.want)
			}
			for i, c := range exp.Candidates.List() {
				for j, s := range c.Scores {
					if s.Value != tt.rows[i][j] {
						t.Errorf("candidate %d score %d = %d, want %d", i, j, s.Value, tt.rows[i][j])
					}
				}
			}
		})
	}
}

func TestRunNoScorers(t *testing.T) {
	t.Parallel()
	p := &routing.Profile{Filters: []routing.Filter{rejecter{name: "f", reasons: map[string]string{"m0": "x"}}}}
	var exp allot.Explanation
	m := p.Run(&routing.Cycle{}, members(ids(3)...), &exp)
	if chosenID(m) != "m1" {
		t.Errorf("Run chose %q, want the first eligible m1", chosenID(m))
	}
	if ch := exp.Chosen(); ch == nil || ch.Agent != "m1" || ch.Scores != nil {
		t.Errorf("Chosen() = %+v, want m1 without scores", ch)
	}
}

func TestRunPreScore(t *testing.T) {
	t.Parallel()
	var log []string
	p := &routing.Profile{
		Filters: []routing.Filter{rejecter{name: "f", reasons: map[string]string{"b": "x", "d": "y"}}},
		Scorers: []routing.Scorer{
			recorder{name: "r1", log: &log},
			fixedScore{name: "plain"},
			recorder{name: "r2", log: &log},
		},
	}
	// Every PreScore first, with the eligible members in order; then each
	// scorer over every eligible member in order (a scorer without
	// ScoreColumn is called member by member). Frozen or not.
	want := []string{"r1.pre[a c e]", "r2.pre[a c e]", "r1.a", "r1.c", "r1.e", "r2.a", "r2.c", "r2.e"}
	for _, frozen := range []bool{false, true} {
		if frozen {
			p.Freeze()
		}
		log = nil
		p.Run(&routing.Cycle{}, members("a", "b", "c", "d", "e"), nil)
		if !slices.Equal(log, want) {
			t.Errorf("frozen %v: calls = %v, want %v", frozen, log, want)
		}
	}
}

func TestRunReusesCycle(t *testing.T) {
	t.Parallel()
	// A cycle carries scratch space between runs; a later run with fewer
	// members or other scorers must not see the earlier run's values.
	c := &routing.Cycle{}
	big := &routing.Profile{Scorers: scorers([][]int64{{0, 0, 0}, {1, 1, 1}, {9, 9, 9}, {2, 2, 2}})}
	if got := chosenID(big.Run(c, members(ids(4)...), nil)); got != "m2" {
		t.Fatalf("first run chose %q, want m2", got)
	}
	small := &routing.Profile{Scorers: scorers([][]int64{{5}, {6}})}
	var exp allot.Explanation
	if got := chosenID(small.Run(c, members(ids(2)...), &exp)); got != "m1" {
		t.Errorf("second run chose %q, want m1", got)
	}
	if exp.Candidates.Len() != 2 || exp.Candidates.At(0).Scores[0].Value != 5 || exp.Candidates.At(1).Scores[0].Value != 6 {
		t.Errorf("second run candidates = %+v", exp.Candidates.List())
	}
	none := &routing.Profile{Filters: []routing.Filter{rejecter{name: "f", reasons: map[string]string{"m0": "x"}}}, Scorers: small.Scorers}
	if got := none.Run(c, members(ids(1)...), nil); got != nil {
		t.Errorf("third run chose %q, want nil", got.Agent.ID)
	}
}

// richMembers builds members exercising every field the real plugins read.
// Type indices: lead 0, call 1.
func richMembers() []*routing.Member {
	// loads are the units of types 0, 1, ...
	mk := func(pos int, a allot.Agent, st routing.AgentState, m routing.Member, loads ...int) *routing.Member {
		st.SetAgent(&a)
		for t, n := range loads {
			st.AddTypeLoad(t, n)
		}
		if st.Loc == nil {
			st.Loc = time.UTC
		}
		m.AgentState = &st
		m.Pos = pos
		if m.TierVC == nil {
			m.TierVC = []int64{0, 0, 0}
		}
		return &m
	}
	day, week := routing.CivilDay(time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC), time.UTC)
	return []*routing.Member{
		mk(0, allot.Agent{ID: "ana", Weight: 2, Skills: map[string]int{"fr": 4, "de": 2},
			Attributes: map[string][]string{"languages": {"fr", "en"}, "zips": {"75", "10000-19999"}},
			Capacity:   allot.Capacity{Total: 5, PerType: map[string]int{"lead": 3}},
			Caps:       []allot.Cap{{PerDay: 10, PerWeek: 40}}},
			routing.AgentState{Routable: true, OnShift: true, Load: 2, Open: 2,
				Caps: []routing.CapCount{{Day: day, DayN: 3, Week: week, WeekN: 9}}},
			routing.Member{LastSeq: 7, Count: 4, VC: 4, TierVC: []int64{1, 2, 1}}, 1, 1),
		mk(1, allot.Agent{ID: "ben", Weight: 1, Skills: map[string]int{"fr": 5},
			Attributes: map[string][]string{"languages": {"fr"}, "zips": {"75"}},
			Capacity:   allot.Capacity{Total: 3}},
			routing.AgentState{Routable: true, OnShift: true, Load: 1, Open: 1},
			routing.Member{LastSeq: 3, Count: 1, VC: 1, TierVC: []int64{0, 1, 0}}, 1),
		mk(2, allot.Agent{ID: "cleo", Weight: 3, Skills: map[string]int{"fr": 2},
			Attributes: map[string][]string{"languages": {"de"}},
			Capacity:   allot.Capacity{Total: 8}},
			routing.AgentState{Routable: true, OnShift: true},
			routing.Member{}),
		mk(3, allot.Agent{ID: "dan", Weight: 1, Skills: map[string]int{"fr": 3},
			Attributes: map[string][]string{"languages": {"fr"}, "zips": {"750"}},
			Capacity:   allot.Capacity{Total: 4}, Manual: true},
			routing.AgentState{Routable: true, OnShift: true, Load: 1, Open: 1},
			routing.Member{LastSeq: 1, Count: 1, VC: 1, TierVC: []int64{1, 0, 0}}, 0, 1),
		mk(4, allot.Agent{ID: "eva", Weight: 5, Skills: map[string]int{"fr": 1},
			Attributes: map[string][]string{"languages": {"fr"}, "zips": {"75"}},
			Capacity:   allot.Capacity{Total: 6}},
			routing.AgentState{Routable: true, OnShift: true, Load: 5, Open: 5},
			routing.Member{LastSeq: 9, Count: 5, VC: 5, TierVC: []int64{2, 2, 1}}, 5),
	}
}

func TestRunDoesNotModifyMembers(t *testing.T) {
	t.Parallel()
	for _, pol := range allot.Policies {
		for _, sticky := range []string{"", "account"} {
			t.Run(fmt.Sprint(pol, "/", sticky), func(t *testing.T) {
				t.Parallel()
				p, err := plugins.ForQueue(&allot.Queue{ID: "q", Policy: pol, StickyKey: sticky})
				if err != nil {
					t.Fatal(err)
				}
				ms := richMembers()
				c := &routing.Cycle{
					Item: &allot.Item{ID: "i", Type: "lead", Attributes: map[string]any{
						"language": "fr", "zip": "75011",
					}},
					Units:     1,
					TierIndex: 1,
					Skills:    []allot.SkillReq{{Skill: "fr", MinLevel: 2}},
					Match: []allot.AttrMatch{
						{Item: "language", Agent: "languages", Op: allot.MatchIn},
						{Item: "zip", Agent: "zips", Op: allot.MatchTerritory},
					},
					Excluded: []string{"nobody"},
					Now:      time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC),
				}
				if sticky != "" {
					c.Sticky = ms[1].AgentState
				}
				var exp allot.Explanation
				m := p.Run(c, ms, &exp)
				if m == nil {
					t.Fatalf("nobody chosen: %+v", exp.Candidates.List())
				}
				if got := p.Run(c, ms, nil); got != m {
					t.Errorf("second run chose %q, first %q", chosenID(got), chosenID(m))
				}
				if want := richMembers(); !reflect.DeepEqual(ms, want) {
					t.Errorf("Run modified members:\n got %+v\nwant %+v", ms, want)
				}
			})
		}
	}
}

func TestCivilDay(t *testing.T) {
	t.Parallel()
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	apia, err := time.LoadLocation("Pacific/Apia")
	if err != nil {
		t.Fatal(err)
	}
	// 2026-11-23 is a Monday, day 20780.
	const mon = 20780
	tests := []struct {
		name     string
		t        time.Time
		loc      *time.Location
		wantDay  int64
		wantWeek int64
	}{
		{name: "epoch is a Thursday", t: time.Unix(0, 0), loc: time.UTC, wantDay: 0, wantWeek: -3},
		{name: "first Monday after the epoch", t: time.Date(1970, 1, 5, 0, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: 4, wantWeek: 4},
		{name: "first Sunday after the epoch", t: time.Date(1970, 1, 4, 23, 59, 59, 0, time.UTC), loc: time.UTC, wantDay: 3, wantWeek: -3},
		{name: "Monday", t: time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: mon, wantWeek: mon},
		{name: "Tuesday", t: time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: mon + 1, wantWeek: mon},
		{name: "Sunday ends the week", t: time.Date(2026, 11, 29, 23, 59, 59, 999, time.UTC), loc: time.UTC, wantDay: mon + 6, wantWeek: mon},
		{name: "next Monday", t: time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: mon + 7, wantWeek: mon + 7},
		{name: "day before the epoch", t: time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: -1, wantWeek: -3},
		{name: "Monday before the epoch", t: time.Date(1969, 12, 29, 0, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: -3, wantWeek: -3},
		{name: "Sunday before the epoch", t: time.Date(1969, 12, 28, 12, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: -4, wantWeek: -10},
		{name: "Monday a week before the epoch", t: time.Date(1969, 12, 22, 12, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: -10, wantWeek: -10},
		{name: "1900-01-01 was a Monday", t: time.Date(1900, 1, 1, 8, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: -25567, wantWeek: -25567},
		{name: "1899-12-31 was a Sunday", t: time.Date(1899, 12, 31, 8, 0, 0, 0, time.UTC), loc: time.UTC, wantDay: -25568, wantWeek: -25574},
		{name: "late UTC is the next day in Paris", t: time.Date(2026, 11, 23, 23, 30, 0, 0, time.UTC), loc: paris, wantDay: mon + 1, wantWeek: mon},
		{name: "late Sunday UTC is the next week in Paris", t: time.Date(2026, 11, 29, 23, 30, 0, 0, time.UTC), loc: paris, wantDay: mon + 7, wantWeek: mon + 7},
		{name: "early Monday in Paris is Sunday in UTC", t: time.Date(2026, 11, 23, 0, 30, 0, 0, paris), loc: time.UTC, wantDay: mon - 1, wantWeek: mon - 7},
		{name: "early Monday in Paris in Paris", t: time.Date(2026, 11, 23, 0, 30, 0, 0, paris), loc: paris, wantDay: mon, wantWeek: mon},
		{name: "early UTC is the day before in New York", t: time.Date(2026, 11, 23, 3, 0, 0, 0, time.UTC), loc: ny, wantDay: mon - 1, wantWeek: mon - 7},
		// DST days: 23 and 25 hours long; every instant keeps its local date.
		{name: "Paris spring forward, start", t: time.Date(2026, 3, 29, 0, 0, 0, 0, paris), loc: paris, wantDay: 20541, wantWeek: 20535},
		{name: "Paris spring forward, after the gap", t: time.Date(2026, 3, 29, 3, 0, 0, 0, paris), loc: paris, wantDay: 20541, wantWeek: 20535},
		{name: "Paris spring forward, end", t: time.Date(2026, 3, 29, 23, 59, 59, 0, paris), loc: paris, wantDay: 20541, wantWeek: 20535},
		{name: "Paris fall back, start", t: time.Date(2026, 10, 25, 0, 0, 0, 0, paris), loc: paris, wantDay: 20751, wantWeek: 20745},
		{name: "Paris fall back, end", t: time.Date(2026, 10, 25, 23, 59, 59, 0, paris), loc: paris, wantDay: 20751, wantWeek: 20745},
		{name: "Paris after fall back", t: time.Date(2026, 10, 26, 0, 0, 0, 0, paris), loc: paris, wantDay: 20752, wantWeek: 20752},
		{name: "New York spring forward", t: time.Date(2026, 3, 8, 23, 30, 0, 0, ny), loc: ny, wantDay: 20520, wantWeek: 20514},
		{name: "New York fall back, repeated hour", t: time.Date(2026, 11, 1, 6, 30, 0, 0, time.UTC), loc: ny, wantDay: 20758, wantWeek: 20752},
		// Samoa skipped 2011-12-30: Thursday 29 was followed by Saturday 31.
		{name: "Apia before the skipped day", t: time.Date(2011, 12, 29, 23, 59, 0, 0, apia), loc: apia, wantDay: 15337, wantWeek: 15334},
		{name: "Apia after the skipped day", t: time.Date(2011, 12, 29, 23, 59, 0, 0, apia).Add(2 * time.Minute), loc: apia, wantDay: 15339, wantWeek: 15334},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			day, week := routing.CivilDay(tt.t, tt.loc)
			if day != tt.wantDay || week != tt.wantWeek {
				t.Errorf("CivilDay(%v, %v) = %d, %d; want %d, %d", tt.t, tt.loc, day, week, tt.wantDay, tt.wantWeek)
			}
		})
	}
}

func TestCivilDayWeekIsMonday(t *testing.T) {
	t.Parallel()
	// For every day of ±30 years around the epoch: the week starts on the
	// Monday on or before the day.
	for d := int64(-11000); d <= 11000; d++ {
		at := time.Unix(d*86400+43200, 0).UTC()
		day, week := routing.CivilDay(at, time.UTC)
		if day != d {
			t.Fatalf("CivilDay(%v) day = %d, want %d", at, day, d)
		}
		wd := time.Unix(week*86400, 0).UTC().Weekday()
		if wd != time.Monday || day-week < 0 || day-week > 6 {
			t.Fatalf("CivilDay(%v) week = %d (%v), want the Monday on or before day %d", at, week, wd, day)
		}
	}
}

// TestRunExplanationIndexedByPosition pins that explanation rows follow the
// members slice, whatever the members' Pos fields say (a bug once marked the
// wrong candidate chosen and panicked on sparse positions).
func TestRunExplanationIndexedByPosition(t *testing.T) {
	t.Parallel()
	ms := members(ids(3)...)
	for i, m := range ms {
		m.Pos = []int{7, 3, 0}[i]
	}
	p := &routing.Profile{Scorers: scorers([][]int64{{1}, {5}, {2}})}
	exp := &allot.Explanation{}
	got := p.Run(&routing.Cycle{}, ms, exp)
	if chosenID(got) != "m1" {
		t.Fatalf("chose %s, want m1", chosenID(got))
	}
	for i, c := range exp.Candidates.List() {
		if c.Agent != ms[i].Agent.ID {
			t.Errorf("candidate %d is %s, want %s", i, c.Agent, ms[i].Agent.ID)
		}
		if c.Chosen != (c.Agent == "m1") {
			t.Errorf("candidate %s chosen=%v", c.Agent, c.Chosen)
		}
		if want := []int64{1, 5, 2}[i]; len(c.Scores) != 1 || c.Scores[0].Value != want {
			t.Errorf("candidate %s scores %v, want %d", c.Agent, c.Scores, want)
		}
	}
}

// A profile with a fused Check names candidates through the cycle's shared
// table (no table per decision) and leaves the table as it was; a profile
// without one, whose filters may give any reason, makes a table of its own
// even when the cycle has one, so the shared table is never written.
func TestRunSharesTheQueueTable(t *testing.T) {
	t.Parallel()
	rj := []allot.Rejection{{Filter: "f", Reason: "no"}}
	fused := &routing.Profile{
		Filters:    []routing.Filter{rejecter{name: "f", reasons: map[string]string{"m1": "no"}}},
		Check:      func(_ *routing.Cycle, m *routing.Member) int { return map[string]int{"m1": 1}[m.Agent.ID] },
		Rejections: rj,
		Scorers:    scorers([][]int64{{1}, {2}, {3}}),
	}
	ms := members(ids(3)...)
	names := fused.Names(ms)
	before := *names
	var exp allot.Explanation
	if m := fused.Run(&routing.Cycle{Names: names}, ms, &exp); chosenID(m) != "m2" {
		t.Fatalf("chose %q, want m2", chosenID(m))
	}
	if exp.Candidates.Names != names {
		t.Error("a fused profile made a table of its own instead of sharing the cycle's")
	}
	if !reflect.DeepEqual(*names, before) {
		t.Errorf("the shared table changed: %+v, was %+v", *names, before)
	}
	if got, ok := exp.Candidates.Rejected(1); !ok || got != rj[0] {
		t.Errorf("candidate m1 rejected by %+v, %v; want %+v", got, ok, rj[0])
	}

	slow := &routing.Profile{
		Filters: []routing.Filter{rejecter{name: "g", reasons: map[string]string{"m0": "other"}}},
		Scorers: fused.Scorers,
	}
	var exp2 allot.Explanation
	slow.Run(&routing.Cycle{Names: names}, ms, &exp2)
	if exp2.Candidates.Names == names || !reflect.DeepEqual(*names, before) {
		t.Error("a profile without Check wrote to the cycle's shared table")
	}
	if got, ok := exp2.Candidates.Rejected(0); !ok || got != (allot.Rejection{Filter: "g", Reason: "other"}) {
		t.Errorf("candidate m0 rejected by %+v, %v; want g/other", got, ok)
	}
	if err := exp2.Candidates.Validate(); err != nil {
		t.Error(err)
	}
}

// TestPropertyRunPicksTheLexicographicBest: for random rows of one to six
// scorers, with values drawn from a few so that ties reach every column
// (each row width has its own comparison code in pick), Run chooses the
// first member whose row no other row beats, with or without an explanation.
func TestPropertyRunPicksTheLexicographicBest(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 6).Draw(t, "scorers")
		vals := rapid.SampledFrom([]int64{math.MinInt64, -1, 0, 1, 2, math.MaxInt64})
		rows := make([][]int64, rapid.IntRange(1, 12).Draw(t, "members"))
		for i := range rows {
			rows[i] = rapid.SliceOfN(vals, n, n).Draw(t, fmt.Sprint("row", i))
		}
		want := 0
		for i := range rows {
			if slices.Compare(rows[i], rows[want]) > 0 {
				want = i
			}
		}
		p := &routing.Profile{Scorers: scorers(rows)}
		ms := members(ids(len(rows))...)
		var exp allot.Explanation
		if got := p.Run(&routing.Cycle{}, ms, &exp); got != ms[want] {
			t.Fatalf("Run chose %s, want %s (rows %v)", chosenID(got), chosenID(ms[want]), rows)
		}
		if got := p.Run(&routing.Cycle{}, ms, nil); got != ms[want] {
			t.Fatalf("Run without explanation chose %s, want %s (rows %v)", chosenID(got), chosenID(ms[want]), rows)
		}
	})
}
