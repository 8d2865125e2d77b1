package routing

import (
	"slices"
	"time"

	"github.com/allot/allot"
)

// Plugin is the base of every extension point.
type Plugin interface {
	// Name is the stable identifier shown in explanations and metrics.
	Name() string
}

// Filter decides whether a member may receive the cycle's item.
type Filter interface {
	Plugin
	// Filter returns the zero Status when m is eligible. A rejection is an
	// expected outcome, not an error.
	Filter(c *Cycle, m *Member) Status
}

// Scorer gives eligible members an order key: higher is better. A policy
// compares members on its scorers in order (lexicographically).
type Scorer interface {
	Plugin
	Score(c *Cycle, m *Member) int64
}

// PreScorer is implemented by scorers that need aggregates over all eligible
// members (e.g. their total weight) before scoring any of them.
type PreScorer interface {
	PreScore(c *Cycle, eligible []*Member)
}

// ColumnScorer is implemented by scorers that score every eligible member in
// one call: ScoreColumn sets col[i*stride] to Score(c, eligible[i]) for every
// i (col is the scorer's column of the cycle's rows). One call per item
// instead of one interface call per member; the built-in scorers all
// implement it, and TestColumnScorersMatchScore checks that they agree with
// Score.
type ColumnScorer interface {
	ScoreColumn(c *Cycle, eligible []*Member, col []int64, stride int)
}

// Status is a filter's verdict. The zero value means eligible.
type Status struct {
	// Reason says why the member was excluded; "" means eligible. Reasons are
	// constant strings so that rejecting allocates nothing.
	Reason string
}

// OK reports whether the status admits the member.
func (s Status) OK() bool { return s.Reason == "" }

// Reject returns a rejecting status.
func Reject(reason string) Status { return Status{Reason: reason} }

// AgentState is an agent's runtime state, shared by all its queue memberships.
// The engine keeps it current; plugins only read it.
//
// The filters and scorers read every member of a queue for every item, so the
// fields they read sit together here, the config's among them: Manual,
// CapTotal, PerType and Weight are copies of Agent's, set only by SetAgent
// (the engine calls it when it builds the state, and a config change builds
// new states), so the per-member loop does not touch the agent's config.
type AgentState struct {
	Routable bool // Presence is a routable status
	OnShift  bool // inside working hours (true when the agent has no schedule)
	Absent   bool // inside a scheduled absence
	Manual   bool // Agent.Manual

	// What every filter run reads comes first, within one cache line,
	// with Weight, which the weighted policies read for every eligible
	// member.
	Load     int            // capacity units of open owned items, all types
	CapTotal int            // Agent.Capacity.Total
	PerType  map[string]int // Agent.Capacity.PerType
	Caps     []CapCount     // aligned with Agent.Caps
	Weight   int            // Agent.Weight

	// An assignment and a close update Open and one type's load (and
	// Load): these share the second line.
	Open int // number of open owned items
	// typeLoad is the capacity units per item type, by type index (see
	// Cycle.TypeIndex), of the first inlineTypes types, in the state (an
	// assignment and a close update it: no line of its own to miss);
	// typeLoadMore those of the types after them. See TypeLoadOf.
	typeLoad [inlineTypes]int
	ID       string // Agent.ID
	Index    int    // position in the region's agent list

	Agent        *allot.Agent
	typeLoadMore []int
	Presence     string

	// Loc is the agent's time zone (schedule's, else the region's), used for
	// caps' days and weeks.
	Loc *time.Location

	// The padding makes the size a multiple of a cache line: in an array
	// of states that starts on a line (the engine's is one allocation,
	// page-aligned once it is large) every state's hot fields above then
	// sit in one line instead of straddling two (TestAgentStateLayout).
	_ [8]byte
}

// inlineTypes is how many item types' loads an AgentState holds inline.
const inlineTypes = 4

// SetAgent makes a the state's agent and copies its hot fields (see
// AgentState).
func (s *AgentState) SetAgent(a *allot.Agent) {
	s.Agent = a
	s.ID = a.ID
	s.Manual = a.Manual
	s.CapTotal = a.Capacity.Total
	s.Weight = a.Weight
	s.PerType = a.Capacity.PerType
}

// TypeLoadOf returns the units of open owned items of the type with index t
// (0 for a negative or never used index).
func (s *AgentState) TypeLoadOf(t int) int {
	switch {
	case t < 0:
		return 0
	case t < inlineTypes:
		return s.typeLoad[t]
	case t-inlineTypes < len(s.typeLoadMore):
		return s.typeLoadMore[t-inlineTypes]
	}
	return 0
}

// TypeLoads returns the number of type indexes TypeLoadOf may be nonzero
// for: every index from it on has no load.
func (s *AgentState) TypeLoads() int { return inlineTypes + len(s.typeLoadMore) }

// AddTypeLoad adds units (negative: removes them) to the load of the type
// with index t. A negative t is ignored.
func (s *AgentState) AddTypeLoad(t, units int) {
	switch {
	case t < 0:
		return
	case t < inlineTypes:
		s.typeLoad[t] += units
		return
	}
	t -= inlineTypes
	if t >= len(s.typeLoadMore) {
		s.typeLoadMore = append(s.typeLoadMore, make([]int, t+1-len(s.typeLoadMore))...)
	}
	s.typeLoadMore[t] += units
}

// CapCount counts assignments in the current day and week (keys are civil
// day numbers in the agent's zone; a stale key means a count of zero).
type CapCount struct {
	Day, Week   int64
	DayN, WeekN int
}

// Member is an agent's membership in one queue, with the queue-local fairness
// state. The engine updates the counters after every assignment from the queue.
type Member struct {
	*AgentState
	Pos     int    // position in the queue's member list: the final tie-break
	LastSeq uint64 // sequence of the last assignment from this queue (0 = never)
	Count   int64  // assignments from this queue
	// VC is the virtual assignment count the weighted policies compare;
	// TierVC the same per tier. They equal Count and the per-tier counts
	// unless adjusted (see docs/architecture.md, fairness).
	VC     int64
	TierVC []int64
}

// Cycle is the per-item input of one pipeline run: computed once per item,
// read once per member.
type Cycle struct {
	Item  *allot.Item
	Units int // capacity units the item takes
	// TypeIndex is the item type's index in AgentState.TypeLoad (the
	// engine numbers the types; -1: a type nobody has load of).
	TypeIndex int
	TierIndex int // index into the region's tiers
	Skills    []allot.SkillReq
	Match     []allot.AttrMatch
	Excluded  []string    // agents who must not get the item back
	Sticky    *AgentState // owner of related work, or nil
	Pull      bool        // an agent asked for next: manual agents are eligible
	Now       time.Time
	// Names, when set, is the queue's candidate table (Profile.Names of
	// the members Run gets), shared by the explanations Run records.
	Names *allot.CandidateNames

	// Arena, when set, is where Run cuts an explanation's records and
	// scores from instead of allocating them (see Arena).
	Arena *Arena

	// Aggregates over the eligible members, set by PreScorers.
	SumWeight, SumVC, SumTierVC int64

	eligible   []*Member
	eligibleAt []int32 // eligible[k] is members[eligibleAt[k]] (explained runs)
	vals       []int64
	index      *QueueIndex
	skillCols  [][]uint8
	matchPreps []matchPrep
}

// Arena is memory for explanations' candidate lists that its owner reuses:
// with Cycle.Arena set, Run cuts the records and scores of the explanation
// it fills from the arena instead of allocating them. Reset makes all that
// was cut since the previous Reset reusable, so the lists cut from it must
// be dead by then: the owner resets when it has used a batch of decisions
// (engine.Engine.ReuseExplanations). A nil *Arena allocates as usual.
type Arena struct {
	recs []allot.CandidateRecord
	vals []int64
}

// arenaChunk is the smallest chunk an Arena allocates, in elements, and
// maxArenaChunk the largest it doubles to (a list longer than that gets a
// chunk of its own length): an arena its owner never resets does not
// allocate ever larger chunks, each kept whole by its newest list.
const (
	arenaChunk    = 256
	maxArenaChunk = 1 << 16
)

// Reset makes the arena's memory reusable (see Arena).
func (a *Arena) Reset() {
	if a != nil {
		a.recs, a.vals = a.recs[:0], a.vals[:0]
	}
}

// records returns n zeroed records, capped so that appending to them
// cannot reach the next caller's.
func (a *Arena) records(n int) []allot.CandidateRecord {
	if a == nil {
		return make([]allot.CandidateRecord, n)
	}
	return cut(&a.recs, n)
}

// values returns n zeroed scores, capped like records.
func (a *Arena) values(n int) []int64 {
	if a == nil {
		return make([]int64, n)
	}
	return cut(&a.vals, n)
}

// cut returns the next n elements of *chunk, zeroed and capped. A full
// chunk is replaced by a fresh one; the old one lives on in what was cut
// from it until that dies, and the next Reset starts from the new one.
func cut[T any](chunk *[]T, n int) []T {
	c := *chunk
	if len(c)+n > cap(c) {
		c = make([]T, 0, max(min(2*cap(c), maxArenaChunk), n, arenaChunk))
	}
	k := len(c)
	*chunk = c[:k+n]
	r := c[k : k+n : k+n]
	clear(r)
	return r
}

// Profile is a queue's pipeline: filters, then scorers in order.
type Profile struct {
	Policy  allot.Policy
	Filters []Filter
	Scorers []Scorer

	// Check, when non-nil, is Filters fused into one function for speed
	// (one call per member instead of one interface call per filter). It
	// returns 0 when every filter admits the member, else 1+k where
	// Rejections[k] is the first rejection running Filters in order gives
	// (its filter's name and reason). plugins.ForQueue sets both for the
	// standard chain; a profile with other filters leaves them nil.
	Check      func(c *Cycle, m *Member) int
	Rejections []allot.Rejection

	// Static lists the filters among Filters whose verdict depends only on
	// the item (its attributes, requirements and exclusions) and on the
	// agent's config (skills, attributes), never on runtime state
	// (presence, shift, load, caps). While an item waits, the engine keeps
	// their verdicts for every member in a mask (StaticMask) and skips the
	// members they reject when an agent frees up.
	Static []Filter
	// StaticCheck, when non-nil, is Static fused into one function (as
	// Check is Filters): true when every static filter admits the member.
	StaticCheck func(c *Cycle, m *Member) bool

	// Set by Freeze: the scorers' optional interfaces, looked up once.
	frozen bool
	pre    []PreScorer    // the scorers that are PreScorers, in order
	cols   []ColumnScorer // aligned with Scorers; nil for a scorer without ScoreColumn
}

// Freeze looks up once which scorers are PreScorers and ColumnScorers, so
// that Run does not ask every scorer on every item. Call it when Scorers is
// final (plugins.ForQueue does); a profile never frozen asks per run, with
// the same result. Scorers must not change after Freeze.
func (p *Profile) Freeze() {
	p.pre, p.cols = p.pre[:0], make([]ColumnScorer, len(p.Scorers))
	for j, s := range p.Scorers {
		if ps, ok := s.(PreScorer); ok {
			p.pre = append(p.pre, ps)
		}
		p.cols[j], _ = s.(ColumnScorer)
	}
	p.frozen = true
}

// StaticMask appends to dst[:0] one bit per member (bit i of word i/64 for
// members[i]) set when every Static filter admits the member, and returns it.
// A clear bit means Eligible rejects the member for the cycle's item whatever
// the member's runtime state.
func (p *Profile) StaticMask(c *Cycle, members []*Member, dst []uint64) []uint64 {
	dst = slices.Grow(dst[:0], (len(members)+63)/64)[:(len(members)+63)/64]
	clear(dst)
	if check := p.StaticCheck; check != nil {
		for i, m := range members {
			if check(c, m) {
				dst[i>>6] |= 1 << (uint(i) & 63)
			}
		}
		return dst
	}
next:
	for i, m := range members {
		for _, f := range p.Static {
			if !f.Filter(c, m).OK() {
				continue next
			}
		}
		dst[i>>6] |= 1 << (uint(i) & 63)
	}
	return dst
}

// MaskHas reports whether mask (from StaticMask) admits members[i].
func MaskHas(mask []uint64, i int) bool { return bitset(mask).has(i) }

// Eligible runs the filters for one member and returns the first rejection
// and its filter's name.
func (p *Profile) Eligible(c *Cycle, m *Member) (Status, string) {
	if p.Check != nil {
		if k := p.Check(c, m); k > 0 {
			r := p.Rejections[k-1]
			return Status{Reason: r.Reason}, r.Filter
		}
		return Status{}, ""
	}
	for _, f := range p.Filters {
		if s := f.Filter(c, m); !s.OK() {
			return s, f.Name()
		}
	}
	return Status{}, ""
}

// Admits reports whether every filter admits the member (Eligible's verdict
// without naming the rejection).
func (p *Profile) Admits(c *Cycle, m *Member) bool {
	if p.Check != nil {
		return p.Check(c, m) == 0
	}
	s, _ := p.Eligible(c, m)
	return s.OK()
}

// Names returns the table a Candidates list of these members refers to: the
// members' agent ids, the profile's Rejections and its scorers' names. The
// engine makes one per queue and sets it as every cycle's Names.
func (p *Profile) Names(members []*Member) *allot.CandidateNames {
	n := &allot.CandidateNames{
		Agents:     make([]string, len(members)),
		Rejections: slices.Clone(p.Rejections),
		Scorers:    make([]string, len(p.Scorers)),
	}
	for i, m := range members {
		n.Agents[i] = m.ID
	}
	for i, s := range p.Scorers {
		n.Scorers[i] = s.Name()
	}
	return n
}

// Run filters and scores members for the cycle's item and returns the chosen
// member, or nil when none is eligible. When exp is non-nil its Policy and
// Candidates are set: one candidate per member, in member order, naming
// through c.Names when it is set (it must be p.Names(members) or equal to it)
// and through a table made for the call otherwise. Run does not change any
// state.
func (p *Profile) Run(c *Cycle, members []*Member, exp *allot.Explanation) *Member {
	c.eligible = c.eligible[:0]
	if exp == nil {
		if check := p.Check; check != nil {
			el := c.eligible
			for _, m := range members {
				if check(c, m) == 0 {
					el = append(el, m)
				}
			}
			c.eligible = el
		} else {
			for _, m := range members {
				if p.Admits(c, m) {
					c.eligible = append(c.eligible, m)
				}
			}
		}
		if len(c.eligible) == 0 {
			return nil
		}
		return c.eligible[p.pick(c, nil)]
	}
	names := c.Names
	if names == nil || p.Check == nil {
		names = p.Names(members)
	}
	recs := c.Arena.records(len(members))
	// An eligible member's record gets its row's place in the values
	// now (row k of n scorers, k its place among the eligible), so that
	// pick need not walk the records again.
	n := len(p.Scorers)
	el, at, check := c.eligible, c.eligibleAt[:0], p.Check
	for i, m := range members {
		k := 0
		if check != nil {
			k = check(c, m)
		} else if s, f := p.Eligible(c, m); !s.OK() {
			k = 1 + rejectionIndex(names, allot.Rejection{Filter: f, Reason: s.Reason})
		}
		r := &recs[i]
		if k == 0 {
			if n > 0 {
				r.Off, r.N = int32(len(el)*n), uint16(n)
			}
			el = append(el, m)
			at = append(at, int32(i))
			continue
		}
		r.Mark = uint16(allot.MarkRejected + k - 1)
	}
	c.eligible, c.eligibleAt = el, at
	exp.Policy = p.Policy
	exp.Candidates = allot.Candidates{Names: names, Records: recs}
	if len(c.eligible) == 0 {
		return nil
	}
	best := p.pick(c, &exp.Candidates)
	recs[at[best]].Mark = allot.MarkChosen
	return el[best]
}

// rejectionIndex returns r's index in names.Rejections, appending it when
// missing (names is then a table of the call's own).
func rejectionIndex(names *allot.CandidateNames, r allot.Rejection) int {
	if k := slices.Index(names.Rejections, r); k >= 0 {
		return k
	}
	names.Rejections = append(names.Rejections, r)
	return len(names.Rejections) - 1
}

// pick scores the eligible members and returns the best one's index among
// them. cands, when non-nil, receives the scores (its records already point
// at their rows).
func (p *Profile) pick(c *Cycle, cands *allot.Candidates) int {
	eligible := c.eligible
	if p.frozen {
		for _, ps := range p.pre {
			ps.PreScore(c, eligible)
		}
	} else {
		for _, s := range p.Scorers {
			if ps, ok := s.(PreScorer); ok {
				ps.PreScore(c, eligible)
			}
		}
	}
	n := len(p.Scorers)
	// The rows go straight into the explanation's values when there is
	// one (it keeps them), else into the cycle's scratch.
	var vals []int64
	if cands != nil && n > 0 {
		vals = c.Arena.values(n * len(eligible))
		cands.Values = vals
	} else {
		c.vals = slices.Grow(c.vals[:0], n*len(eligible))[:n*len(eligible)]
		vals = c.vals
	}
	for j, s := range p.Scorers {
		var cs ColumnScorer
		if p.frozen {
			cs = p.cols[j]
		} else {
			cs, _ = s.(ColumnScorer)
		}
		if cs != nil {
			cs.ScoreColumn(c, eligible, vals[j:], n)
			continue
		}
		for i, m := range eligible {
			vals[i*n+j] = s.Score(c, m)
		}
	}
	best := 0
	switch n {
	case 0:
	case 1:
		for i, v := range vals {
			if v > vals[best] {
				best = i
			}
		}
	// Rows of two and three are compared by flags written out (most
	// policies have two or three scorers); better does the rest.
	case 2:
		for i := 1; i < len(eligible); i++ {
			a, b := vals[2*i:2*i+2], vals[2*best:2*best+2]
			if b2i(a[0] > b[0])|b2i(a[0] == b[0])&b2i(a[1] > b[1]) != 0 {
				best = i
			}
		}
	case 3:
		for i := 1; i < len(eligible); i++ {
			a, b := vals[3*i:3*i+3], vals[3*best:3*best+3]
			if b2i(a[0] > b[0])|b2i(a[0] == b[0])&(b2i(a[1] > b[1])|b2i(a[1] == b[1])&b2i(a[2] > b[2])) != 0 {
				best = i
			}
		}
	default:
		for i := 1; i < len(eligible); i++ {
			if better(vals[i*n:i*n+n], vals[best*n:best*n+n]) {
				best = i
			}
		}
	}
	return best
}

// better reports whether a beats b lexicographically; equal rows keep the
// earlier member (queue order), which makes ties deterministic. It compares
// every column without branching on the values (flags and multiplies, not
// jumps): which column decides differs from member to member, so an early
// exit is a mispredicted branch most of the time, and rows are short.
func better(a, b []int64) bool {
	b = b[:len(a)]
	cmp := 0 // the first nonzero column's comparison so far
	for i := range a {
		d := b2i(a[i] > b[i]) - b2i(a[i] < b[i])
		cmp += b2i(cmp == 0) * d
	}
	return cmp > 0
}

// b2i is 1 for true, 0 for false (compiled to a flag set, not a branch).
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}

// CivilDay returns the day number (days since 1970-01-01) of t's date in loc and
// the day number of the Monday that starts its week. Caps count per these keys.
func CivilDay(t time.Time, loc *time.Location) (day, week int64) {
	y, m, d := t.In(loc).Date()
	day = time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400
	// 1970-01-01 was a Thursday: (day+3) mod 7 is 0 on Mondays.
	week = day - (day+3)%7
	if (day+3)%7 < 0 {
		week -= 7
	}
	return day, week
}
