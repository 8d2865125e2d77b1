package engine

import (
	"fmt"
	"slices"
	"time"

	"github.com/google/btree"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
	"github.com/allot/allot/routing/plugins"
	"github.com/allot/allot/rules"
)

// Engine is one region's state machine. See the package documentation.
type Engine struct {
	clock  allot.Clock
	region *allot.Region
	rules  *rules.Set

	routable map[string]bool // presence status → routable
	// Item types are numbered (AgentState.TypeLoad is by number): the
	// region's types first, then any other type in order of first arrival.
	typeIdx   map[string]int // item type → its number
	typeNames []string       // by number
	typeUnits []int          // by number: capacity units of one item
	tierIdx   map[string]int // tier name → index in region.Tiers

	agents      []*routing.AgentState
	agentIdx    map[string]int
	scheds      []*allot.CompiledSchedule // per agent, nil = always on
	member      [][]membership            // per agent: its queue memberships
	timerGen    []uint64                  // per agent: generation of its live timer
	missed      []int                     // per agent: offers in a row that timed out
	holidays    map[string]bool           // region holidays, "2006-01-02"
	holidayList []string                  // the same, sorted (ISO dates sort as text)

	queues   []*queue
	queueIdx map[string]int
	// nwait is the number of items waiting in each queue (its waiting
	// tree's size), by queue index, side by side: an agent that frees up
	// scans its queues' counts, most of them zero.
	nwait []int
	// ruleHot holds, by routing rule index, what classify reads of the rule,
	// packed: the 4,000 rules' configs do not stay in cache, these do.
	ruleHot []ruleHot
	// scoringNames are the scoring rules' names, by index, side by side.
	scoringNames []string
	defaultQ     *queue // the region's default queue, nil when none

	items    map[string]*item
	seq      uint64 // last decision sequence number
	arrivals uint64 // arrival counter: the last ordering key
	now      time.Time
	timers   timerHeap
	sweepAt  int // len(timers) at which stale timers are swept (see pushTimer)
	// Every item state has a slot: slotItem[s] is the state in slot s (nil
	// when free) and slotGen[s] the generation of its live timer, so that
	// a timer is checked and ordered without reading its item (see timer).
	slotItem  []*item
	slotGen   []uint64
	freeSlots []int32

	cycle      routing.Cycle // scratch, reused by every pipeline run
	scoringBuf []int         // scratch: the scoring rules of one classification
	free       []*item       // closed items' states for reuse (newItem)
	agentBatch []int         // scratch: agents whose timers fire at one instant
	out        []allot.Decision

	// candidates: explanations list every candidate (default). Off, they keep
	// rule, score, tier, queue, policy and reason only; see WithoutCandidates.
	candidates bool

	// reuse is the memory of transient explanations (ReuseExplanations),
	// nil when they are not; shared is the caller's arena (UseArena), nil
	// when there is none. arena is the one of them explanations are cut
	// from while an ApplyTo runs (a dry run's explanation never is).
	reuse, arena *explainArena
	shared       *Arena
}

// Arena is memory that the explanations of decisions are cut from instead
// of being allocated one by one, owned by the caller (Engine.UseArena): for
// a caller that keeps decisions beyond the next Apply call but knows when a
// group of them is dead, such as a server that stores and answers a batch
// of decisions and then drops them all. An explanation cut from an arena is
// valid until the arena's next Reset; what a decision holds besides its
// explanation is not affected. An arena that is never reset is reclaimed
// by the garbage collector with the last explanation cut from it, so
// dropping one instead of resetting it is always safe. The zero value is
// ready to use. An arena must not be used by two engines at once.
type Arena struct{ a explainArena }

// Reset makes the memory of every explanation cut from a since its previous
// Reset reusable by the explanations cut next. Call it only when none of
// those explanations is in use any more (read, encoded or referred to).
func (a *Arena) Reset() { a.a.reset() }

// UseArena makes the explanations of the decisions that later Apply and
// ApplyTo calls return be cut from a (nil: allocated, the default), until
// the next UseArena call. The engine never resets a; the caller does (see
// Arena). ReuseExplanations, when on, takes precedence. Explain and
// ExplainItem never cut from an arena.
func (e *Engine) UseArena(a *Arena) { e.shared = a }

// UsingArena returns the arena set by UseArena, or nil.
func (e *Engine) UsingArena() *Arena { return e.shared }

// explainArena is the memory explanations are cut from when the engine
// reuses it (ReuseExplanations: reset at every ApplyTo) or the caller gives
// one (UseArena: reset by the caller): explanation structs, scoring-rule
// lists and, through the cycle, candidate records and scores.
type explainArena struct {
	cands routing.Arena
	exps  []allot.Explanation
	ints  []int32
}

func (a *explainArena) reset() {
	a.cands.Reset()
	a.exps, a.ints = a.exps[:0], a.ints[:0]
}

// explanation returns a zeroed explanation from the arena. A full chunk is
// replaced by one twice its size, up to maxExplanationChunk; the old one
// lives on in the explanations cut from it until they die.
func (a *explainArena) explanation() *allot.Explanation {
	if len(a.exps) == cap(a.exps) {
		a.exps = make([]allot.Explanation, 0, min(max(2*cap(a.exps), 16), maxExplanationChunk))
	}
	a.exps = a.exps[:len(a.exps)+1]
	exp := &a.exps[len(a.exps)-1]
	*exp = allot.Explanation{}
	return exp
}

// maxExplanationChunk bounds the explanations of one chunk (~850 KB) and
// maxRulesChunk the scoring-rule indexes of one (256 KB, unless one list is
// longer), so that an arena the caller never resets does not allocate ever
// larger chunks, each kept whole by its newest explanation.
const (
	maxExplanationChunk = 4096
	maxRulesChunk       = 1 << 16
)

// rules returns a copy of src cut from the arena, capped.
func (a *explainArena) rules(src []int32) []int32 {
	if len(a.ints)+len(src) > cap(a.ints) {
		a.ints = make([]int32, 0, max(min(2*cap(a.ints), maxRulesChunk), len(src), 256))
	}
	k := len(a.ints)
	a.ints = append(a.ints, src...)
	return a.ints[k : k+len(src) : k+len(src)]
}

// ReuseExplanations turns transient explanations on or off. While on, the
// explanations of the decisions an Apply or ApplyTo call returns stay valid
// only until the next Apply or ApplyTo call, which reuses their memory: for
// callers that use each call's decisions before the next and keep none of
// their explanations (a replay rebuilding state, a shadow engine comparing
// outcomes, a stream encoding each decision as it comes). What a decision
// holds besides its explanation (kind, item, agent, queue, the strings of
// the explanation) is not affected. Explanations made while it is off, and
// those of Explain and ExplainItem, are never reused. It saves the
// explanations' allocations, most of the garbage a decision makes. While on,
// it takes precedence over an arena set with UseArena.
func (e *Engine) ReuseExplanations(on bool) {
	switch {
	case on && e.reuse == nil:
		e.reuse = &explainArena{}
	case !on:
		e.reuse = nil
	}
}

// ReusingExplanations reports whether ReuseExplanations is on.
func (e *Engine) ReusingExplanations() bool { return e.reuse != nil }

// Option configures an Engine.
type Option func(*Engine)

// WithoutCandidates makes explanations leave out the per-candidate list (the
// filter that excluded each member, the scores of each eligible one) and the
// list of scoring rules that matched (the score stays). Routing is
// unchanged; decisions get cheaper. The simulator uses it; the server does
// not, so every stored decision explains itself in full.
func WithoutCandidates() Option { return func(e *Engine) { e.candidates = false } }

type queue struct {
	cfg     *allot.Queue
	idx     int
	profile *routing.Profile
	names   *allot.CandidateNames // profile.Names(members): what its explanations' candidates refer to
	index   *routing.QueueIndex
	members []*routing.Member
	waiting *btree.BTreeG[*item]
	sticky  map[string]*routing.AgentState // sticky key value → last owner
	reasons []string                       // by 2·member position (+1: offered): the reason of an assignment, made on first use
}

// ruleHot is what classify needs of a routing rule.
type ruleHot struct {
	q        *queue
	name     string
	sla      int
	priority int
	hasPrio  bool
}

type membership struct {
	q  *queue
	m  *routing.Member
	qi int // q.idx, so that an agent's scan of its queues (bestFor) reads Engine.nwait, not the queue
}

// item is an open item's engine state.
//
// Its layout is chosen for closing, the one event that reads an item cold:
// the fields a close reads and writes (it.Status, it.Owner, then owner,
// units, typeIdx, slot, waiting) lie in bytes 128 to 255, one pair of cache
// lines that the processor fetches together; the size stays in the 512-byte
// size class, so items are 512-byte aligned (TestItemLayout).
type item struct {
	it allot.Item // 224 bytes

	// Read on close, beside it.Status and it.Owner.
	owner   *routing.AgentState // nil unless assigned/working
	units   int
	typeIdx int32 // number of its type (Engine.typeOf); -1 in a dry run of an unseen type
	slot    int32 // Engine.slotItem index (newItem); a dry run's state has none and arms no timer
	waiting bool

	// The other small fields together (an item is allocated per arrival:
	// its size class matters).
	slaSet    bool // DueAt was computed by the engine (not given by the item)
	escalated bool // escalated: no more re-assignments for neglect
	// scoringShared: an explanation outside the arena refers to scoring.
	scoringShared bool
	tierIdx       int32
	aged          int32 // aging steps added to the priority while waiting in waitQueue
	reassigns     int32 // SLA re-assignments so far

	q            *queue // queue it waits in or was assigned from; nil = unroutable
	basePriority int
	arrival      uint64
	rule         int     // index into region.Rules, -1 = default queue / none
	scoring      []int32 // indexes of the scoring rules that matched (in scoringNames); once shared by an explanation, never modified
	excluded     []string

	slaMinutes int       // response SLA of the current routing (rule's, else queue's; 0 = none)
	touchBy    time.Time // an untouched assignment is taken back at this time
	offerEnds  time.Time // an unaccepted offer times out at this time
	waitSince  time.Time // when the item started waiting in waitQueue
	waitQueue  *queue
	dropped    uint64              // bit i: the rule's skill i is no longer required (relaxed)
	handedFrom *routing.AgentState // the owner whose absence handed it over (hand-back)
	skills     []allot.SkillReq    // the rule's skills minus the dropped ones (nil: all)
	prioBase   int                 // the priority classification gave (before aging)

	// While waiting: the verdicts of the queue profile's static filters for
	// each member of q (routing.Profile.StaticMask), computed when it was
	// queued; nothing they read changes while it waits.
	smask []uint64
}

// New builds the engine for region regionID of cfg. cfg is defaulted and
// validated here; every problem is returned with its path in the config
// ("regions[0].rules[3].when"). The engine keeps pointers into its own copy of
// the region; cfg is not retained.
func New(cfg allot.Config, regionID string, clock allot.Clock, opts ...Option) (*Engine, error) {
	cfg = cfg.WithDefaults()
	ps := cfg.Validate()
	ri := -1
	for i := range cfg.Regions {
		if cfg.Regions[i].ID == regionID {
			ri = i
		}
	}
	if ri < 0 {
		ps.Add("regions", fmt.Sprintf("no region %q", regionID))
		return nil, ps.Err("invalid config")
	}
	region := &cfg.Regions[ri]
	set, rps := rules.Compile(region)
	ps.AddAll(fmt.Sprintf("regions[%d]", ri), rps)
	if err := ps.Err("invalid config"); err != nil {
		return nil, err
	}
	e := &Engine{
		clock:    clock,
		region:   region,
		rules:    set,
		routable: map[string]bool{},
		typeIdx:  map[string]int{},
		tierIdx:  map[string]int{},
		agentIdx: make(map[string]int, len(region.Agents)),
		queueIdx: make(map[string]int, len(region.Queues)),
		items:    map[string]*item{},
		now:      clock.Now(),

		candidates: true,
	}
	for _, o := range opts {
		o(e)
	}
	for _, p := range cfg.Presence {
		e.routable[p.Name] = p.Routable
	}
	for _, t := range region.ItemTypes {
		e.addType(t.Name, t.Units)
	}
	for i, t := range region.Tiers {
		e.tierIdx[t.Name] = i
	}
	e.holidays = make(map[string]bool, len(region.Holidays))
	for _, h := range region.Holidays {
		e.holidays[h.Date] = true
		e.holidayList = append(e.holidayList, h.Date)
	}
	slices.Sort(e.holidayList)
	regionLoc, _ := time.LoadLocation(region.TimeZone) // validated
	e.agents = make([]*routing.AgentState, len(region.Agents))
	e.scheds = make([]*allot.CompiledSchedule, len(region.Agents))
	e.member = make([][]membership, len(region.Agents))
	e.timerGen = make([]uint64, len(region.Agents))
	e.missed = make([]int, len(region.Agents))
	// States and members live in contiguous slices: the per-member loop of
	// every decision walks them, and locality is most of its cost.
	states := make([]routing.AgentState, len(region.Agents))
	for i := range region.Agents {
		a := &region.Agents[i]
		st := &states[i]
		*st = routing.AgentState{
			Index:    i,
			Presence: a.Presence,
			Routable: e.routable[a.Presence],
			OnShift:  true,
			Loc:      regionLoc,
			Caps:     make([]routing.CapCount, len(a.Caps)),
		}
		st.SetAgent(a)
		if a.Schedule != nil {
			cs, _ := allot.CompileSchedule(a.Schedule) // validated
			e.scheds[i] = cs
			st.Loc = cs.Location()
		}
		e.agents[i] = st
		e.agentIdx[a.ID] = i
	}
	e.queues = make([]*queue, len(region.Queues))
	e.nwait = make([]int, len(region.Queues))
	// The memberships of all agents in one array, each agent's together.
	nmember := make([]int, len(region.Agents))
	for i := range region.Queues {
		for _, id := range region.Queues[i].Members {
			nmember[e.agentIdx[id]]++
		}
	}
	flat := make([]membership, 0, sum(nmember))
	for ai, n := range nmember {
		e.member[ai] = flat[len(flat) : len(flat) : len(flat)+n]
		flat = flat[:len(flat)+n]
	}
	for i := range region.Queues {
		qc := &region.Queues[i]
		prof, err := plugins.ForQueue(qc)
		if err != nil {
			return nil, err
		}
		q := &queue{cfg: qc, idx: i, profile: prof, sticky: map[string]*routing.AgentState{}}
		q.waiting = btree.NewG(16, lessFor(qc.Order))
		ms := make([]routing.Member, len(qc.Members))
		tierVC := make([]int64, len(qc.Members)*len(region.Tiers))
		for pos, id := range qc.Members {
			ai := e.agentIdx[id]
			m := &ms[pos]
			*m = routing.Member{AgentState: e.agents[ai], Pos: pos, TierVC: tierVC[pos*len(region.Tiers) : (pos+1)*len(region.Tiers)]}
			q.members = append(q.members, m)
			e.member[ai] = append(e.member[ai], membership{q: q, m: m, qi: i}) // within its place in flat
		}
		q.index = routing.NewQueueIndex(q.members)
		q.names = prof.Names(q.members)
		e.queues[i] = q
		e.queueIdx[qc.ID] = i
	}
	if region.DefaultQueue != "" {
		e.defaultQ = e.queues[e.queueIdx[region.DefaultQueue]] // validated
	}
	e.scoringNames = make([]string, len(region.ScoringRules))
	for i := range region.ScoringRules {
		e.scoringNames[i] = region.ScoringRules[i].Name
	}
	e.ruleHot = make([]ruleHot, len(region.Rules))
	for i := range region.Rules {
		r := &region.Rules[i]
		h := &e.ruleHot[i]
		h.name, h.sla = r.Name, r.SLAMinutes
		if r.Queue != "" {
			h.q = e.queues[e.queueIdx[r.Queue]] // validated
		}
		if r.Priority != nil {
			h.priority, h.hasPrio = *r.Priority, true
		}
	}
	for i := range e.agents {
		e.refreshAgent(i, e.now)
	}
	return e, nil
}

// tierIndex returns the index in the region's tiers of the tier named name
// (0 when none is). There are a handful of tiers, and the names classify
// returns share their bytes with the config's, so a scan beats a map.
func (e *Engine) tierIndex(name string) int {
	for i := range e.region.Tiers {
		if e.region.Tiers[i].Name == name {
			return i
		}
	}
	return 0
}

// reason returns "assigned to <agent> by <policy>" (or "offered to ...") for
// member m of q, built once per member and kind.
func (q *queue) reason(m *routing.Member, offer bool) string {
	if q.reasons == nil {
		q.reasons = make([]string, 2*len(q.members))
	}
	i := 2 * m.Pos
	verb := "assigned to "
	if offer {
		i++
		verb = "offered to "
	}
	if q.reasons[i] == "" {
		q.reasons[i] = verb + m.Agent.ID + " by " + string(q.cfg.Policy)
	}
	return q.reasons[i]
}

// lessFor orders waiting items: best first.
func lessFor(order string) btree.LessFunc[*item] {
	if order == "fifo" {
		return func(a, b *item) bool { return a.arrival < b.arrival }
	}
	return better
}

// better is the "priority" order: priority, score, due time (none last),
// arrival.
func better(a, b *item) bool {
	if a.it.Priority != b.it.Priority {
		return a.it.Priority > b.it.Priority
	}
	if a.it.Score != b.it.Score {
		return a.it.Score > b.it.Score
	}
	ad, bd := a.it.DueAt, b.it.DueAt
	if !ad.Equal(bd) {
		switch {
		case ad.IsZero():
			return false
		case bd.IsZero():
			return true
		default:
			return ad.Before(bd)
		}
	}
	return a.arrival < b.arrival
}

// Region returns the engine's (defaulted) region config. Do not modify it.
func (e *Engine) Region() *allot.Region { return e.region }

// Now returns the time of the last event the engine processed.
func (e *Engine) Now() time.Time { return e.now }

// Apply processes ev at the clock's current time and returns the decisions it
// caused, including those of timers that came due. See ApplyTo.
func (e *Engine) Apply(ev Event) ([]allot.Decision, error) {
	return e.ApplyTo(nil, ev)
}

// ApplyTo is Apply appending the decisions to dst, for callers that reuse a
// buffer. On error the event changed nothing; dst still receives the
// decisions of timers that fired up to now.
func (e *Engine) ApplyTo(dst []allot.Decision, ev Event) ([]allot.Decision, error) {
	e.out = dst
	reuse, shared := e.reuse, e.shared
	switch {
	case reuse != nil:
		reuse.reset()
		e.arena = reuse
	case shared != nil:
		e.arena = &shared.a
	}
	if e.arena != nil {
		e.cycle.Arena = &e.arena.cands
	}
	now := e.clock.Now()
	if now.Before(e.now) {
		now = e.now // time never runs backwards inside an engine
	}
	e.advance(now)
	e.now = now
	err := e.apply(ev)
	out := e.out
	e.out = nil
	// A config change replaces *e with a new engine's state (whose own
	// decisions allocated): the reuse and arena settings carry over.
	e.reuse, e.shared, e.arena, e.cycle.Arena = reuse, shared, nil, nil
	return out, err
}

func (e *Engine) apply(ev Event) error {
	switch ev := ev.(type) {
	case ItemArrived:
		return e.arrive(ev.Item)
	case *ItemArrived:
		return e.arrive(ev.Item)
	case ItemUpdated:
		return e.update(ev)
	case *ItemUpdated:
		return e.update(*ev)
	case ItemTouched:
		return e.touch(ev.ID, ev.Agent)
	case *ItemTouched:
		return e.touch(ev.ID, ev.Agent)
	case ItemReleased:
		return e.release(ev.ID, ev.Agent, ev.Reason)
	case *ItemReleased:
		return e.release(ev.ID, ev.Agent, ev.Reason)
	case ItemTransferred:
		return e.transfer(ev)
	case *ItemTransferred:
		return e.transfer(*ev)
	case ItemClosed:
		return e.close(ev.ID)
	case *ItemClosed:
		return e.close(ev.ID)
	case AgentPresence:
		return e.presence(ev.Agent, ev.Status)
	case *AgentPresence:
		return e.presence(ev.Agent, ev.Status)
	case AgentNext:
		return e.next(ev.Agent)
	case *AgentNext:
		return e.next(ev.Agent)
	case Tick, *Tick:
		return nil
	case ConfigChanged:
		return e.reconfigureEvent(ev.Config)
	case *ConfigChanged:
		return e.reconfigureEvent(ev.Config)
	case nil:
		return allot.Errorf(allot.EINVALID, "no event")
	default:
		return allot.Errorf(allot.EINVALID, "unknown event %T", ev)
	}
}

// NextWake returns when the next timer is due (the driver should Apply a Tick
// then), or the zero time when none is pending.
func (e *Engine) NextWake() time.Time {
	for len(e.timers) > 0 {
		if e.live(&e.timers[0]) {
			return e.timers[0].at
		}
		e.timers.pop() // stale
	}
	return time.Time{}
}

func (e *Engine) arrive(in allot.Item) error {
	var ps allot.Problems
	if in.ID == "" {
		ps.Add("id", "required")
	} else if _, dup := e.items[in.ID]; dup {
		return allot.Errorf(allot.ECONFLICT, "item %q is already open", in.ID)
	}
	if in.Type == "" {
		ps.Add("type", "required: the item's type, e.g. lead")
	}
	ps = append(ps, allot.ValidateAttributes(in.Attributes)...)
	if err := ps.Err("invalid item"); err != nil {
		return err
	}
	e.arrivals++
	x := e.newItem()
	x.it, x.basePriority, x.arrival = in, in.Priority, e.arrivals
	x.typeIdx, x.units = e.typeOf(in.Type, true)
	x.it.Status, x.it.Queue, x.it.Owner, x.it.Rule, x.it.History = allot.StatusQueued, "", "", "", nil
	if x.it.CreatedAt.IsZero() {
		x.it.CreatedAt = e.now
	}
	x.slaSet = in.DueAt.IsZero()
	e.items[in.ID] = x
	e.route(x, "arrival")
	return nil
}

// typeOf returns the number of item type typ and the capacity units of one
// such item (1 for a type the region does not configure). A type not seen
// before gets the next number when add is set, else -1.
func (e *Engine) typeOf(typ string, add bool) (idx int32, units int) {
	if i, ok := e.typeIdx[typ]; ok {
		return int32(i), e.typeUnits[i]
	}
	if !add {
		return -1, 1
	}
	return int32(e.addType(typ, 1)), 1
}

func (e *Engine) addType(name string, units int) int {
	if i, ok := e.typeIdx[name]; ok {
		return i
	}
	i := len(e.typeNames)
	e.typeIdx[name] = i
	e.typeNames = append(e.typeNames, name)
	e.typeUnits = append(e.typeUnits, units)
	return i
}

// classify computes score, tier, rule, priority and queue of x from its
// attributes and returns the target queue (nil: unroutable).
func (e *Engine) classify(x *item) *queue {
	res := e.rules.ClassifyTo(&x.it, e.scoringBuf[:0])
	e.scoringBuf = res.ScoringRules
	x.it.Score = res.Score
	x.it.Tier = res.Tier
	x.tierIdx = int32(e.tierIndex(res.Tier))
	// The list is the item's; an explanation made outside the arena
	// shares it (scoringShared), and then it is never written again.
	n := len(res.ScoringRules)
	if !e.candidates {
		n = 0 // summary explanations leave the list out
	}
	switch {
	case e.arena != nil && !x.scoringShared && cap(x.scoring) >= n:
		x.scoring = x.scoring[:0]
	case n > 0:
		x.scoring, x.scoringShared = make([]int32, 0, n), false
	default:
		x.scoring, x.scoringShared = nil, false
	}
	x.scoring = x.scoring[:n]
	for i, s := range res.ScoringRules[:n] {
		x.scoring[i] = int32(s)
	}
	if res.Rule != x.rule {
		x.dropped, x.skills = 0, nil // relaxation belongs to a rule
	}
	x.rule = res.Rule
	x.it.Priority = x.basePriority
	q := e.defaultQ
	sla := 0
	x.it.Rule = ""
	if res.Rule >= 0 {
		r := &e.ruleHot[res.Rule]
		q = r.q
		x.it.Rule = r.name
		if r.hasPrio {
			x.it.Priority = r.priority
		}
		sla = r.sla
	}
	x.prioBase = x.it.Priority
	if q == nil {
		return nil
	}
	if sla == 0 {
		sla = q.cfg.SLAMinutes
	}
	if x.slaSet {
		x.it.DueAt = time.Time{}
		if sla > 0 {
			x.it.DueAt = x.it.CreatedAt.Add(time.Duration(sla) * time.Minute)
		}
	}
	return q
}

// requirements returns the skills and attribute matches of x's rule.
func (e *Engine) requirements(x *item) ([]allot.SkillReq, []allot.AttrMatch) {
	if x.rule < 0 {
		return nil, nil
	}
	r := &e.region.Rules[x.rule]
	if x.dropped != 0 {
		return x.skills, r.Match
	}
	return r.Skills, r.Match
}

// prepare fills the scratch cycle for x in queue q.
func (e *Engine) prepare(x *item, q *queue, pull bool) *routing.Cycle {
	c := &e.cycle
	c.Item = &x.it
	c.Units = x.units
	c.TypeIndex = int(x.typeIdx)
	c.TierIndex = int(x.tierIdx)
	c.Skills, c.Match = e.requirements(x)
	c.Excluded = x.excluded
	c.Pull = pull
	c.Now = e.now
	c.Sticky = nil
	c.Names = nil
	if q != nil {
		c.Prepare(q.index)
		c.Names = q.names
	} else {
		c.Prepare(nil)
	}
	if q != nil && q.cfg.StickyKey != "" {
		if k, ok := stickyValue(x.it.Attributes[q.cfg.StickyKey]); ok {
			c.Sticky = q.sticky[k]
		}
	}
	return c
}

func stickyValue(v any) (string, bool) {
	switch v := v.(type) {
	case string:
		return v, v != ""
	case float64, int64, int, bool:
		return fmt.Sprint(v), true
	}
	return "", false
}

// route classifies x and assigns it or queues it.
func (e *Engine) route(x *item, cause string) {
	e.dispatchItem(x, e.classify(x), cause)
}

// dispatchItem assigns x within queue q, or queues it there (q nil:
// unroutable).
func (e *Engine) dispatchItem(x *item, q *queue, cause string) {
	if q != nil && q.cfg.OutOfHours != "" && !e.anyoneWorking(q) {
		// Nobody in q is working now: the out-of-hours (24/7) queue takes it
		// (when someone there is working; otherwise it waits in q).
		if ooh := e.queues[e.queueIdx[q.cfg.OutOfHours]]; e.anyoneWorking(ooh) {
			cause += "; out_of_hours: no member of " + q.cfg.ID + " is working"
			q = ooh
		}
	}
	x.q = q
	// The response SLA is the rule's, else the queue's it is routed in now
	// (an overflow queue's own SLA applies after an overflow).
	x.slaMinutes = 0
	if x.rule >= 0 {
		x.slaMinutes = e.region.Rules[x.rule].SLAMinutes
	}
	if x.slaMinutes == 0 && q != nil {
		x.slaMinutes = q.cfg.SLAMinutes
	}
	if q == nil {
		x.it.Queue = ""
		x.it.Status = allot.StatusQueued
		e.armItem(x)
		e.decide(allot.Decision{Kind: allot.DecisionUnroutable, Item: x.it.ID, Cause: cause,
			Explanation: e.explanation(x, "no routing rule matched and the region has no default queue")})
		return
	}
	x.it.Queue = q.cfg.ID
	c := e.prepare(x, q, false)
	exp := e.explanation(x, "")
	m := e.run(q, c, exp)
	if m == nil {
		exp.Reason = "queued: no eligible agent with room"
		e.enqueue(x, q)
		e.decide(allot.Decision{Kind: allot.DecisionQueued, Item: x.it.ID, Queue: q.cfg.ID, Cause: cause, Explanation: exp})
		return
	}
	e.assign(x, q, m, cause, exp, "")
}

// run is the queue's pipeline for the prepared cycle, recording candidates
// in exp when the engine keeps them.
func (e *Engine) run(q *queue, c *routing.Cycle, exp *allot.Explanation) *routing.Member {
	exp.Policy = q.cfg.Policy
	if !e.candidates {
		return q.profile.Run(c, q.members, nil)
	}
	return q.profile.Run(c, q.members, exp)
}

func (e *Engine) explanation(x *item, reason string) *allot.Explanation {
	var exp *allot.Explanation
	if e.arena != nil {
		exp = e.arena.explanation()
		exp.Score, exp.Tier, exp.Queue, exp.Reason = x.it.Score, x.it.Tier, x.it.Queue, reason
	} else {
		exp = &allot.Explanation{Score: x.it.Score, Tier: x.it.Tier, Queue: x.it.Queue, Reason: reason}
	}
	if x.rule >= 0 {
		exp.Rule = e.region.Rules[x.rule].Name
	}
	if len(x.scoring) > 0 {
		if e.arena != nil {
			exp.ScoringRules = allot.RuleList{Table: e.scoringNames, Index: e.arena.rules(x.scoring)}
		} else {
			// One list per classification, shared by the item's
			// explanations: neither the engine nor a reader modifies it.
			exp.ScoringRules = allot.RuleList{Table: e.scoringNames, Index: x.scoring}
			x.scoringShared = true
		}
	}
	return exp
}

func (e *Engine) enqueue(x *item, q *queue) {
	if x.waitQueue != q || x.waitSince.IsZero() {
		// A new wait starts; re-queueing in the same queue (an update,
		// a reconfigure) keeps the clock running.
		x.waitSince, x.waitQueue, x.aged = e.now, q, 0
	}
	x.it.Priority = x.prioBase + int(x.aged)
	x.waiting = true
	x.q = q
	x.it.Status = allot.StatusQueued
	x.smask = q.profile.StaticMask(e.prepare(x, q, false), q.members, x.smask)
	if _, had := q.waiting.ReplaceOrInsert(x); !had {
		e.nwait[q.idx]++
	}
	e.armItem(x)
}

func (e *Engine) dequeue(x *item) {
	if x.waiting {
		if _, had := x.q.waiting.Delete(x); had {
			e.nwait[x.q.idx]--
		}
		x.waiting = false
	}
}

// assign gives x to member m of queue q and records the decision.
func (e *Engine) assign(x *item, q *queue, m *routing.Member, cause string, exp *allot.Explanation, from string) {
	a := m.AgentState
	x.owner = a
	x.it.Owner = a.ID
	x.it.Status = allot.StatusAssigned
	x.it.Queue = q.cfg.ID
	x.q = q
	// Offer-mode queues offer pushed work; an agent asking for the next item
	// or a manager's transfer assigns it directly.
	offer := q.cfg.OfferTimeoutSeconds > 0 && cause != "next" && cause != "transfer"
	if offer {
		x.it.Status = allot.StatusOffered
	}
	a.Load += x.units
	a.AddTypeLoad(int(x.typeIdx), x.units)
	a.Open++
	x.waitSince, x.waitQueue = time.Time{}, nil
	if offer {
		x.touchBy = time.Time{}
		x.offerEnds = e.now.Add(time.Duration(q.cfg.OfferTimeoutSeconds) * time.Second)
		e.armItem(x)
	} else {
		e.startTouchClock(x)
	}
	capped := false
	if len(a.Caps) > 0 { // a.Caps is aligned with a.Agent.Caps, and in the state's hot line
		day, week := routing.CivilDay(e.now, a.Loc)
		for i, cp := range a.Agent.Caps {
			if cp.Type != "" && cp.Type != x.it.Type {
				continue
			}
			cc := &a.Caps[i]
			if cc.Day != day {
				cc.Day, cc.DayN = day, 0
			}
			if cc.Week != week {
				cc.Week, cc.WeekN = week, 0
			}
			cc.DayN++
			cc.WeekN++
			if (cp.PerDay > 0 && cc.DayN >= cp.PerDay) || (cp.PerWeek > 0 && cc.WeekN >= cp.PerWeek) {
				capped = true
			}
		}
	}
	e.seq++
	m.LastSeq = e.seq
	m.Count++
	m.VC++
	m.TierVC[x.tierIdx]++
	if q.cfg.StickyKey != "" {
		if k, ok := stickyValue(x.it.Attributes[q.cfg.StickyKey]); ok {
			q.sticky[k] = a
		}
	}
	if exp != nil {
		exp.Sticky = e.cycle.Sticky == a
		if exp.Reason == "" {
			exp.Reason = q.reason(m, offer)
		}
	}
	kind := allot.DecisionAssigned
	switch {
	case offer:
		kind = allot.DecisionOffered
	case from != "":
		kind = allot.DecisionReassigned
	}
	e.out = append(e.out, allot.Decision{Seq: e.seq, At: e.now, Kind: kind, Item: x.it.ID, Agent: a.ID,
		From: from, Queue: q.cfg.ID, Cause: cause, Explanation: exp})
	if capped {
		e.refreshAgent(a.Index, e.now) // schedule the wake-up at the cap's reset
	}
}

func (e *Engine) decide(d allot.Decision) {
	e.seq++
	d.Seq = e.seq
	d.At = e.now
	e.out = append(e.out, d)
}

// unown frees x's owner's capacity; x keeps its queue.
func (e *Engine) unown(x *item) *routing.AgentState {
	a := x.owner
	if a == nil {
		return nil
	}
	a.Load -= x.units
	a.AddTypeLoad(int(x.typeIdx), -x.units)
	a.Open--
	x.owner = nil
	x.it.Owner = ""
	return a
}

// dispatchAgent pushes waiting items to agent a while it is eligible for any:
// each time the best waiting item (by its queue's order, then across queues
// by priority order) among those a may take.
func (e *Engine) dispatchAgent(a *routing.AgentState, cause string) {
	for {
		x, ms := e.bestFor(a, false)
		if x == nil {
			return
		}
		q := ms.q
		e.dequeue(x)
		c := e.prepare(x, q, false)
		exp := e.explanation(x, "")
		m := e.run(q, c, exp)
		if m == nil { // cannot happen: a is eligible; keep the item safe regardless
			e.enqueue(x, q)
			return
		}
		e.assign(x, q, m, cause, exp, "")
	}
}

// bestFor returns the best waiting item agent a is eligible for and the
// membership it would come through.
func (e *Engine) bestFor(a *routing.AgentState, pull bool) (*item, *membership) {
	if !a.Routable || !a.OnShift || a.Absent || (a.Manual && !pull) || a.Load >= a.CapTotal {
		return nil, nil
	}
	var best *item
	var bestMs *membership
	for k := range e.member[a.Index] {
		ms := &e.member[a.Index][k]
		if e.nwait[ms.qi] == 0 {
			continue // most queues have nothing waiting: skip the tree walk
		}
		q := ms.q
		ordered := q.cfg.Order != "fifo"
		q.waiting.Ascend(func(x *item) bool {
			if ordered && best != nil && better(best, x) {
				return false // in priority order nothing further here beats best
			}
			if !routing.MaskHas(x.smask, ms.m.Pos) {
				return true // a static filter rejects a, whatever its state
			}
			c := e.prepare(x, q, pull)
			if q.profile.Admits(c, ms.m) {
				if best == nil || better(x, best) {
					best, bestMs = x, ms
				}
				return false
			}
			return true
		})
	}
	return best, bestMs
}

func (e *Engine) item(id string) (*item, error) {
	if id == "" {
		return nil, &allot.Error{Code: allot.EINVALID, Message: "invalid event", Problems: allot.Problems{{Path: "id", Message: "required"}}}
	}
	x, ok := e.items[id]
	if !ok {
		return nil, allot.Errorf(allot.ENOTFOUND, "no open item %q", id)
	}
	return x, nil
}

func (e *Engine) agent(id string) (*routing.AgentState, error) {
	if id == "" {
		return nil, &allot.Error{Code: allot.EINVALID, Message: "invalid event", Problems: allot.Problems{{Path: "agent", Message: "required"}}}
	}
	i, ok := e.agentIdx[id]
	if !ok {
		return nil, allot.Errorf(allot.ENOTFOUND, "no agent %q in region %q", id, e.region.ID)
	}
	return e.agents[i], nil
}

func (e *Engine) update(ev ItemUpdated) error {
	x, err := e.item(ev.ID)
	if err != nil {
		return err
	}
	merged := make(map[string]any, len(x.it.Attributes)+len(ev.Attributes))
	for k, v := range x.it.Attributes {
		merged[k] = v
	}
	for k, v := range ev.Attributes {
		if v == nil {
			delete(merged, k)
		} else {
			merged[k] = v
		}
	}
	if err := allot.ValidateAttributes(merged).Err("invalid item update"); err != nil {
		return err
	}
	x.it.Attributes = merged
	if ev.Priority != nil {
		x.basePriority = *ev.Priority
	}
	if x.owner == nil { // waiting or unroutable: follow the rules
		e.dequeue(x)
		e.route(x, "updated")
		return nil
	}
	oldQ := x.q
	newQ := e.classify(x)
	// An owned item moves when its rules now send it elsewhere and its queue
	// asks for that (or its queue no longer exists).
	if newQ != oldQ && (oldQ == nil || oldQ.cfg.Reroute) {
		owner := e.unown(x)
		e.routeFrom(x, "rerouted", owner.Agent.ID)
		e.dispatchAgent(owner, "capacity_freed")
	}
	return nil
}

// routeFrom routes x again after taking it from agent from.
func (e *Engine) routeFrom(x *item, cause, from string) {
	n := len(e.out)
	e.route(x, cause)
	if len(e.out) > n {
		d := &e.out[n]
		d.From = from
		if d.Kind == allot.DecisionAssigned {
			d.Kind = allot.DecisionReassigned
		}
	}
}

func (e *Engine) touch(id, agent string) error {
	x, err := e.item(id)
	if err != nil {
		return err
	}
	if x.owner == nil || x.owner.Agent.ID != agent {
		return allot.Errorf(allot.ECONFLICT, "item %q is not owned by agent %q", id, agent)
	}
	switch x.it.Status {
	case allot.StatusOffered: // accepting an offer counts as the first touch
		e.missed[x.owner.Index] = 0
		x.it.Status = allot.StatusWorking
		e.armItem(x)
	case allot.StatusAssigned:
		x.it.Status = allot.StatusWorking
		e.armItem(x) // touched in time: the SLA clock stops
	}
	return nil
}

func (e *Engine) release(id, agent, reason string) error {
	x, err := e.item(id)
	if err != nil {
		return err
	}
	if x.owner == nil || x.owner.Agent.ID != agent {
		return allot.Errorf(allot.ECONFLICT, "item %q is not owned by agent %q", id, agent)
	}
	cause := "released"
	if x.it.Status == allot.StatusOffered {
		cause = "declined"
	}
	if reason != "" {
		cause += ": " + reason
	}
	owner := e.unown(x)
	x.excluded = append(x.excluded, agent)
	e.routeFrom(x, cause, agent)
	e.dispatchAgent(owner, "capacity_freed")
	return nil
}

func (e *Engine) close(id string) error {
	x, err := e.item(id)
	if err != nil {
		return err
	}
	e.dequeue(x)
	owner := e.unown(x)
	delete(e.items, id)
	x.it.Status = allot.StatusClosed
	e.slotGen[x.slot]++ // its timer, if any, is void
	if owner != nil {
		e.dispatchAgent(owner, "capacity_freed")
	}
	if len(e.free) < maxFreeItems {
		e.free = append(e.free, x) // keeps its slot
	} else {
		e.slotItem[x.slot] = nil
		e.freeSlots = append(e.freeSlots, x.slot)
	}
	return nil
}

// maxFreeItems bounds the closed items' states kept for reuse.
const maxFreeItems = 256

// newItem returns a zero item state for an arrival: a closed item's, when
// one is kept (an item state is the one allocation every arrival makes, and
// most of the garbage a busy region makes is closed items), else a new one
// in a slot of its own. Nothing refers to a closed item's state but its
// slot, whose stale timers stay void: a slot's generation only grows.
func (e *Engine) newItem() *item {
	n := len(e.free)
	if n == 0 {
		return e.slotted(&item{})
	}
	x := e.free[n-1]
	e.free[n-1] = nil
	e.free = e.free[:n-1]
	slot, smask, scoring := x.slot, x.smask, x.scoring[:0]
	if x.scoringShared {
		scoring = nil // an explanation still refers to it
	}
	*x = item{slot: slot, smask: smask[:0], scoring: scoring}
	return x
}

// slotted puts the new item state x in a free slot and returns it.
func (e *Engine) slotted(x *item) *item {
	if n := len(e.freeSlots); n > 0 {
		x.slot = e.freeSlots[n-1]
		e.freeSlots = e.freeSlots[:n-1]
		e.slotItem[x.slot] = x
		return x
	}
	x.slot = int32(len(e.slotItem))
	e.slotItem = append(e.slotItem, x)
	e.slotGen = append(e.slotGen, 0)
	return x
}

func (e *Engine) presence(agent, status string) error {
	a, err := e.agent(agent)
	if err != nil {
		return err
	}
	r, ok := e.routable[status]
	if !ok {
		return &allot.Error{Code: allot.EINVALID, Message: "invalid presence",
			Problems: allot.Problems{{Path: "status", Message: fmt.Sprintf("unknown presence status %q", status)}}}
	}
	was := a.Routable
	a.Presence, a.Routable = status, r
	if r && !was {
		e.makeUp(a)
		e.dispatchAgent(a, "agent_available")
	}
	if !r && was {
		e.returnOffers(a, "offer_returned: "+a.Agent.ID+" is "+status)
	}
	return nil
}

// returnOffers takes back every offer agent a has not accepted, in arrival
// order, and routes them again (accepted work stays owned).
func (e *Engine) returnOffers(a *routing.AgentState, cause string) {
	var xs []*item
	for _, x := range e.items {
		if x.owner == a && x.it.Status == allot.StatusOffered {
			xs = append(xs, x)
		}
	}
	slices.SortFunc(xs, func(p, q *item) int { return cmpU64(p.arrival, q.arrival) })
	for _, x := range xs {
		e.unown(x)
		e.routeFrom(x, cause, a.Agent.ID)
	}
}

func (e *Engine) next(agent string) error {
	a, err := e.agent(agent)
	if err != nil {
		return err
	}
	x, ms := e.bestFor(a, true)
	if x == nil {
		return nil
	}
	e.dequeue(x)
	c := e.prepare(x, ms.q, true)
	exp := e.explanation(x, fmt.Sprintf("%s asked for the next item; this is the best waiting item it is eligible for", agent))
	exp.Policy = ms.q.cfg.Policy
	exp.Candidates = allot.MustCandidates(allot.Candidate{Agent: agent, Chosen: true})
	_ = c
	e.assign(x, ms.q, ms.m, "next", exp, "")
	return nil
}

func (e *Engine) reconfigureEvent(cfg allot.Config) error {
	prev := e.out
	ds, err := e.Reconfigure(cfg)
	if err != nil {
		e.out = prev
		return err
	}
	e.out = append(prev, ds...)
	return nil
}

func (e *Engine) transfer(ev ItemTransferred) error {
	x, err := e.item(ev.ID)
	if err != nil {
		return err
	}
	a, err := e.agent(ev.To)
	if err != nil {
		return err
	}
	if x.owner == a {
		return nil
	}
	extra := x.units
	if a.Load+extra > a.Agent.Capacity.Total {
		return allot.Errorf(allot.ECONFLICT, "agent %q has no room for item %q (%d of %d units used)", ev.To, ev.ID, a.Load, a.Agent.Capacity.Total)
	}
	from := ""
	if prev := e.unown(x); prev != nil {
		from = prev.Agent.ID
		defer e.dispatchAgent(prev, "capacity_freed")
	}
	e.dequeue(x)
	q := x.q
	var m *routing.Member
	if q != nil {
		for _, ms := range e.member[a.Index] {
			if ms.q == q {
				m = ms.m
			}
		}
	}
	reason := "transferred to " + ev.To + " by request"
	if ev.Reason != "" {
		reason += ": " + ev.Reason
	}
	exp := e.explanation(x, reason)
	if m == nil {
		// Not a member of the item's queue: own it without queue counters.
		e.own(x, a, q)
		e.seq++
		e.out = append(e.out, allot.Decision{Seq: e.seq, At: e.now, Kind: transferKind(from), Item: x.it.ID, Agent: a.Agent.ID,
			From: from, Queue: x.it.Queue, Cause: "transfer", Explanation: exp})
		return nil
	}
	e.assign(x, q, m, "transfer", exp, from)
	return nil
}

func transferKind(from string) allot.DecisionKind {
	if from != "" {
		return allot.DecisionReassigned
	}
	return allot.DecisionAssigned
}

// own makes a the owner of x (capacity and caps), without queue counters.
func (e *Engine) own(x *item, a *routing.AgentState, q *queue) {
	x.owner = a
	x.it.Owner = a.Agent.ID
	x.it.Status = allot.StatusAssigned
	a.Load += x.units
	a.AddTypeLoad(int(x.typeIdx), x.units)
	a.Open++
	x.waitSince, x.waitQueue = time.Time{}, nil
	e.startTouchClock(x)
}

// makeUp bounds an agent's catch-up when it comes back (see
// Region.MakeUpCredit): in every queue, its fairness counts are raised to at
// least its weighted share of the members' total minus the credit.
func (e *Engine) makeUp(a *routing.AgentState) {
	credit := int64(e.region.MakeUpCredit)
	for _, ms := range e.member[a.Index] {
		var sumW, sumVC int64
		sumTier := make([]int64, len(e.region.Tiers))
		for _, m := range ms.q.members {
			sumW += int64(m.Agent.Weight)
			sumVC += m.VC
			for t, n := range m.TierVC {
				sumTier[t] += n
			}
		}
		w := int64(a.Agent.Weight)
		m := ms.m
		if floor := sumVC*w/sumW - credit; m.VC < floor {
			m.VC = floor
		}
		for t := range m.TierVC {
			if floor := sumTier[t]*w/sumW - credit; m.TierVC[t] < floor {
				m.TierVC[t] = floor
			}
		}
	}
}

// anyoneWorking reports whether some member of q is on shift and not absent
// now (presence aside: working hours are the question here).
func (e *Engine) anyoneWorking(q *queue) bool {
	for _, m := range q.members {
		if m.OnShift && !m.Absent {
			return true
		}
	}
	return false
}

func sum(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}
