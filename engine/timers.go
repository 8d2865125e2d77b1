package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// timer wakes the engine for one agent at a schedule, absence or cap
// boundary, or for one item (its SLA touch deadline, its overflow time).
// Each agent and each item has at most one live timer: the generation in the
// timer must match the owner's (Engine.timerGen, Engine.slotGen). A timer
// holds all that orders it and tells whether it is live, so that the heap
// and the sweep never read an item (one cache miss each, in a large heap).
type timer struct {
	at  time.Time
	ns  int64  // at.UnixNano(), set by pushTimer: the heap compares it
	ord uint64 // order at one instant: agentOrd(agent), or itemOrd | the item's arrival
	gen uint64
	who int32 // the agent's index, or the item's slot (ord has itemOrd)
}

// itemOrd marks an item timer's ord: item timers sort after agent timers
// at one instant, in arrival order.
const itemOrd = 1 << 63

func (t *timer) isItem() bool { return t.ord&itemOrd != 0 }

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }

// Less orders by time; at one instant agents first (in agent order), then
// items in arrival order, so firing order is deterministic.
func (h timerHeap) Less(i, j int) bool {
	// ns is at in UnixNano (see timerKey).
	if h[i].ns != h[j].ns {
		return h[i].ns < h[j].ns
	}
	return h[i].ord < h[j].ord
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }

// The heap operations are container/heap's algorithm on the concrete type:
// going through heap.Interface boxes every timer pushed and popped (an
// allocation each).

// push adds t to the heap.
func (h *timerHeap) push(t timer) {
	*h = append(*h, t)
	h.up(len(*h) - 1)
}

// pop removes and returns the earliest timer.
func (h *timerHeap) pop() timer {
	old := *h
	n := len(old) - 1
	old.Swap(0, n)
	old[:n].down(0)
	t := old[n]
	old[n] = timer{} // drop the location pointer
	*h = old[:n]
	return t
}

// init establishes the heap order over the whole slice.
func (h timerHeap) init() {
	for i := len(h)/2 - 1; i >= 0; i-- {
		h.down(i)
	}
}

func (h timerHeap) up(j int) {
	for {
		i := (j - 1) / 2 // parent
		if i == j || !h.Less(j, i) {
			break
		}
		h.Swap(i, j)
		j = i
	}
}

func (h timerHeap) down(i0 int) {
	n := len(h)
	i := i0
	for {
		j1 := 2*i + 1
		if j1 >= n || j1 < 0 {
			break
		}
		j := j1
		if j2 := j1 + 1; j2 < n && h.Less(j2, j1) {
			j = j2
		}
		if !h.Less(j, i) {
			break
		}
		h.Swap(i, j)
		i = j
	}
}

// live reports whether t is still armed: its owner's generation matches (and
// an item's is still open).
func (e *Engine) live(t *timer) bool {
	if t.isItem() {
		// Closing an item voids its slot's generation.
		return e.slotGen[t.who] == t.gen
	}
	return e.timerGen[t.who] == t.gen
}

// sweepMin is the smallest heap that is swept (a variable for tests).
var sweepMin = 1024

// pushTimer arms t. Superseded timers stay in the heap until they come due
// (every re-arm and every close leaves one); when the heap has doubled since
// the last sweep, the stale ones are dropped, so the heap stays within twice
// the live timers and closed items are not kept alive by their old timers.
// Amortised O(1) per push; firing order is unchanged (it is the timers'
// total order, and only stale timers tie).
func (e *Engine) pushTimer(t timer) {
	if len(e.timers) >= e.sweepAt {
		live := e.timers[:0]
		for i := range e.timers {
			if e.live(&e.timers[i]) {
				live = append(live, e.timers[i])
			}
		}
		clear(e.timers[len(live):])
		e.timers = live
		e.timers.init()
		e.sweepAt = max(2*len(e.timers), sweepMin)
	}
	t.ns = timerKey(t.at)
	e.timers.push(t)
}

// The range of times UnixNano represents; timers outside it (past 2262) are
// kept at its end, where only their tie-break orders them.
var (
	minTimerTime = time.Unix(0, math.MinInt64)
	maxTimerTime = time.Unix(0, math.MaxInt64)
)

func timerKey(at time.Time) int64 {
	switch {
	case at.After(maxTimerTime):
		return math.MaxInt64
	case at.Before(minTimerTime):
		return math.MinInt64
	}
	return at.UnixNano()
}

// advance fires every timer due at or before now, in time order (ties by
// agent order), each at its own instant.
func (e *Engine) advance(now time.Time) {
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := e.timers.pop()
		if t.isItem() {
			if !e.live(&t) {
				continue
			}
			x := e.slotItem[t.who]
			if t.at.After(e.now) {
				e.now = t.at
			}
			e.itemTimer(x)
			continue
		}
		if !e.live(&t) {
			continue
		}
		if t.at.After(e.now) {
			e.now = t.at
		}
		// Every agent whose state changes at this instant changes first,
		// so that what follows (absence policies, dispatch) never routes
		// work to an agent whose own change at the same instant is pending.
		// Agent timers sort before item timers at one instant.
		batch := append(e.agentBatch[:0], int(t.who))
		for len(e.timers) > 0 && !e.timers[0].isItem() && e.timers[0].at.Equal(t.at) {
			u := e.timers.pop()
			if e.live(&u) {
				batch = append(batch, int(u.who))
			}
		}
		e.agentBatch = batch
		type change struct{ wasAbsent, wasOnShift bool }
		changes := make([]change, len(batch))
		for k, i := range batch {
			a := e.agents[i]
			changes[k] = change{a.Absent, a.OnShift}
			e.refreshAgent(i, e.now)
		}
		for k, i := range batch {
			a := e.agents[i]
			if a.Absent && !changes[k].wasAbsent {
				e.absenceStarted(a)
			}
			if changes[k].wasOnShift && !a.OnShift && e.region.OfflineAtShiftEnd && a.Presence != "offline" {
				was := a.Routable
				a.Presence, a.Routable = "offline", e.routable["offline"]
				if was {
					e.returnOffers(a, "offer_returned: "+a.Agent.ID+"'s shift ended")
				}
			}
		}
		for k, i := range batch {
			a := e.agents[i]
			back := (changes[k].wasAbsent && !a.Absent) || (!changes[k].wasOnShift && a.OnShift)
			if back && !a.Absent && a.OnShift {
				e.makeUp(a)
			}
			if changes[k].wasAbsent && !a.Absent && e.region.HandBack {
				e.handBack(a)
			}
		}
		for _, i := range batch {
			e.dispatchAgent(e.agents[i], "schedule")
		}
	}
}

// refreshAgent recomputes agent i's shift and absence flags at time at and
// arms its next timer.
func (e *Engine) refreshAgent(i int, at time.Time) {
	a := e.agents[i]
	cs := e.scheds[i]
	a.OnShift = cs == nil || cs.Contains(at)
	a.Absent = false
	var next time.Time
	consider := func(t time.Time) {
		if !t.IsZero() && t.After(at) && (next.IsZero() || t.Before(next)) {
			next = t
		}
	}
	if cs != nil {
		consider(cs.NextChange(at))
	}
	for _, ab := range a.Agent.Absences {
		if !at.Before(ab.Start) && at.Before(ab.End) {
			a.Absent = true
		}
		consider(ab.Start)
		consider(ab.End)
	}
	if len(e.holidays) > 0 {
		// A holiday is the agent's whole local day; wake at the local
		// midnight that starts the next one, or ends the current run.
		lt := at.In(a.Loc)
		y, m, d := lt.Date()
		today := lt.Format(time.DateOnly)
		if e.holidays[today] {
			a.Absent = true
			for i := 1; i <= len(e.holidayList)+1; i++ {
				day := time.Date(y, m, d+i, 0, 0, 0, 0, a.Loc)
				if !e.holidays[day.Format(time.DateOnly)] {
					consider(day)
					break
				}
			}
		} else if i, _ := slices.BinarySearch(e.holidayList, today); i < len(e.holidayList) {
			if next, err := time.ParseInLocation(time.DateOnly, e.holidayList[i], a.Loc); err == nil {
				consider(next)
			}
		}
	}
	if capReached(a, at) {
		lt := at.In(a.Loc)
		y, m, d := lt.Date()
		consider(time.Date(y, m, d+1, 0, 0, 0, 0, a.Loc))
	}
	e.timerGen[i]++
	if !next.IsZero() {
		e.pushTimer(timer{at: next, ord: uint64(i), who: int32(i), gen: e.timerGen[i]})
	}
}

// startTouchClock starts the SLA clock of a new assignment of x.
func (e *Engine) startTouchClock(x *item) {
	x.touchBy = time.Time{}
	if x.slaMinutes > 0 && !x.escalated {
		x.touchBy = e.now.Add(time.Duration(x.slaMinutes) * time.Minute)
	}
	e.armItem(x)
}

// armItem replaces x's timer with the one its state calls for: the touch
// deadline of an untouched assignment, or the overflow time of a waiting
// item whose queue overflows.
func (e *Engine) armItem(x *item) {
	e.slotGen[x.slot]++
	var at time.Time
	switch {
	case x.owner != nil && x.it.Status == allot.StatusOffered:
		at = x.offerEnds
	case x.owner != nil && x.it.Status == allot.StatusAssigned && !x.touchBy.IsZero():
		at = x.touchBy
	case x.waiting && x.q != nil:
		if x.q.cfg.Overflow != "" {
			at = x.waitSince.Add(time.Duration(x.q.cfg.OverflowAfterMinutes) * time.Minute)
		}
		if step, ok := nextAging(x); ok && (at.IsZero() || step.Before(at)) {
			at = step
		}
		if drop, _, ok := e.nextDrop(x); ok && (at.IsZero() || drop.Before(at)) {
			at = drop
		}
	}
	if !at.IsZero() {
		e.pushTimer(timer{at: at, ord: itemOrd | x.arrival, who: x.slot, gen: e.slotGen[x.slot]})
	}
}

// nextAging returns when x's next aging step is due, if its queue ages items
// and x has steps left.
func nextAging(x *item) (time.Time, bool) {
	q := x.q.cfg
	if q.AgingMinutes <= 0 {
		return time.Time{}, false
	}
	limit := q.AgingMax
	if limit == 0 {
		limit = 10
	}
	if int(x.aged) >= limit {
		return time.Time{}, false
	}
	return x.waitSince.Add(time.Duration((int(x.aged)+1)*q.AgingMinutes) * time.Minute), true
}

// nextDrop returns when the next optional skill of x's rule is due to be
// dropped (its wait in the current queue reaching the skill's
// DropAfterMinutes) and that skill's index.
func (e *Engine) nextDrop(x *item) (time.Time, int, bool) {
	if x.rule < 0 || x.waitSince.IsZero() {
		return time.Time{}, 0, false
	}
	var at time.Time
	idx := -1
	for i, s := range e.region.Rules[x.rule].Skills {
		if s.DropAfterMinutes <= 0 || i >= 64 || x.dropped&(1<<uint(i)) != 0 {
			continue
		}
		t := x.waitSince.Add(time.Duration(s.DropAfterMinutes) * time.Minute)
		if idx < 0 || t.Before(at) {
			at, idx = t, i
		}
	}
	return at, idx, idx >= 0
}

// itemTimer handles x's timer at e.now.
func (e *Engine) itemTimer(x *item) {
	if x.waiting && x.q != nil {
		if drop, i, ok := e.nextDrop(x); ok && !drop.After(e.now) {
			// Skill relaxation: the item has waited long enough without an
			// eligible agent; stop requiring the skill and try again.
			r := &e.region.Rules[x.rule]
			x.dropped |= 1 << uint(i)
			x.skills = x.skills[:0]
			for j, s := range r.Skills {
				if j >= 64 || x.dropped&(1<<uint(j)) == 0 {
					x.skills = append(x.skills, s)
				}
			}
			q := x.q
			e.dequeue(x)
			e.dispatchItem(x, q, fmt.Sprintf("relaxed: dropped skill %s after %d minutes", r.Skills[i].Skill, r.Skills[i].DropAfterMinutes))
			return
		}
	}
	if x.waiting && x.q != nil {
		if step, ok := nextAging(x); ok && !step.After(e.now) {
			// Aging: one priority step; re-sort it among the waiting items.
			// Eligibility is unchanged, so nothing else is due.
			x.q.waiting.Delete(x)
			x.aged++
			x.it.Priority = x.prioBase + int(x.aged)
			x.q.waiting.ReplaceOrInsert(x)
			e.armItem(x)
			return
		}
	}
	switch {
	case x.owner != nil && x.it.Status == allot.StatusOffered:
		e.offerTimedOut(x)
	case x.owner != nil && x.it.Status == allot.StatusAssigned:
		e.neglected(x)
	case x.waiting && x.q != nil && x.q.cfg.Overflow != "":
		from := x.q
		to := e.queues[e.queueIdx[from.cfg.Overflow]]
		e.dequeue(x)
		e.dispatchItem(x, to, fmt.Sprintf("overflow: waited %d minutes in %s with no eligible agent", from.cfg.OverflowAfterMinutes, from.cfg.ID))
	}
}

// neglected takes an untouched item back from its owner at its SLA deadline
// and routes it to another agent — never the one who neglected it — or, past
// the queue's re-assignment limit, escalates it.
func (e *Engine) neglected(x *item) {
	a := e.unown(x)
	from := a.Agent.ID
	x.reassigns++
	x.excluded = append(x.excluded, from)
	x.touchBy = time.Time{}
	q := x.q
	cause := fmt.Sprintf("sla_breach: not touched within %d minutes", x.slaMinutes)
	limit := 3
	if q != nil && q.cfg.MaxReassignments > 0 {
		limit = q.cfg.MaxReassignments
	}
	if int(x.reassigns) <= limit {
		e.routeFrom(x, cause, from)
		e.dispatchAgent(a, "capacity_freed")
		return
	}
	x.escalated = true
	exp := e.explanation(x, fmt.Sprintf("the response SLA was breached %d times (limit %d): escalated", x.reassigns, limit))
	e.decide(allot.Decision{Kind: allot.DecisionEscalated, Item: x.it.ID, From: from, Queue: x.it.Queue, Cause: cause, Explanation: exp})
	switch {
	case q != nil && q.cfg.Overflow != "":
		e.dispatchItem(x, e.queues[e.queueIdx[q.cfg.Overflow]], "escalated")
	case q != nil && q.cfg.Supervisor != "" && !slices.Contains(x.excluded, q.cfg.Supervisor) &&
		e.agents[e.agentIdx[q.cfg.Supervisor]].Load+x.units <= e.agents[e.agentIdx[q.cfg.Supervisor]].Agent.Capacity.Total:
		// The supervisor takes it whatever their presence, but never
		// beyond their capacity, and never when the supervisor neglected it
		// before (then, and without room, it is routed in q).
		sup := e.agents[e.agentIdx[q.cfg.Supervisor]]
		e.own(x, sup, q)
		e.seq++
		e.out = append(e.out, allot.Decision{Seq: e.seq, At: e.now, Kind: allot.DecisionAssigned, Item: x.it.ID, Agent: sup.Agent.ID,
			Queue: x.it.Queue, Cause: "escalated", Explanation: e.explanation(x, "escalated to the queue's supervisor "+sup.Agent.ID)})
	default:
		e.dispatchItem(x, q, "escalated")
	}
	e.dispatchAgent(a, "capacity_freed")
}

// capReached reports whether any of a's caps is exhausted at time at.
func capReached(a *routing.AgentState, at time.Time) bool {
	if len(a.Agent.Caps) == 0 {
		return false
	}
	day, week := routing.CivilDay(at, a.Loc)
	for i, cp := range a.Agent.Caps {
		cc := a.Caps[i]
		if (cp.PerDay > 0 && cc.Day == day && cc.DayN >= cp.PerDay) || (cp.PerWeek > 0 && cc.Week == week && cc.WeekN >= cp.PerWeek) {
			return true
		}
	}
	return false
}

// absenceStarted applies the agent's absence policy to its open items, in
// arrival order: the chosen ones are taken back and routed to others (the
// absent agent is not eligible while absent).
func (e *Engine) absenceStarted(a *routing.AgentState) {
	policy := a.Agent.AbsencePolicy
	if policy == "" {
		policy = e.region.AbsencePolicy
	}
	if policy == "" || policy == allot.AbsenceKeep {
		return
	}
	var xs []*item
	for _, x := range e.items {
		if x.owner == a && (policy == allot.AbsenceReassignAll || x.it.Status == allot.StatusAssigned) {
			xs = append(xs, x)
		}
	}
	slices.SortFunc(xs, func(p, q *item) int { return cmpU64(p.arrival, q.arrival) })
	for _, x := range xs {
		e.unown(x)
		x.handedFrom = a
		e.routeFrom(x, "absence: "+a.Agent.ID+" is absent ("+string(policy)+")", a.Agent.ID)
	}
}

// handBack returns to agent a, back from an absence, the items its absence
// handed to others that are still untouched (waiting, offered or assigned),
// in arrival order, while a has room. Items a cannot take stay where they are.
func (e *Engine) handBack(a *routing.AgentState) {
	var xs []*item
	for _, x := range e.items {
		if x.handedFrom == a && (x.owner == nil || x.it.Status == allot.StatusAssigned || x.it.Status == allot.StatusOffered) {
			xs = append(xs, x)
		}
	}
	slices.SortFunc(xs, func(p, q *item) int { return cmpU64(p.arrival, q.arrival) })
	for _, x := range xs {
		x.handedFrom = nil
		if x.owner == a || x.q == nil {
			continue
		}
		// Only through the front door: a must be a member of the item's
		// queue and pass every filter (presence, shift, exclusion, capacity,
		// skills, attributes, caps) now.
		var m *routing.Member
		for _, ms := range e.member[a.Index] {
			if ms.q == x.q {
				m = ms.m
			}
		}
		if m == nil {
			continue
		}
		if !x.q.profile.Admits(e.prepare(x, x.q, false), m) {
			continue
		}
		from := ""
		if prev := e.unown(x); prev != nil {
			from = prev.Agent.ID
			defer e.dispatchAgent(prev, "capacity_freed")
		}
		e.dequeue(x)
		exp := e.explanation(x, "handed back to "+a.Agent.ID+" after the absence")
		e.assign(x, x.q, m, "hand_back", exp, from)
	}
}

// offerTimedOut takes back an offer that was not accepted in time and offers
// the item to the next best agent, never the same one. After the region's
// AwayAfterMissedOffers timeouts in a row the agent is set to AwayStatus
// (and its other pending offers return at once).
func (e *Engine) offerTimedOut(x *item) {
	a := e.unown(x)
	x.excluded = append(x.excluded, a.Agent.ID)
	x.offerEnds = time.Time{}
	e.missed[a.Index]++
	secs := 0
	if x.q != nil {
		secs = x.q.cfg.OfferTimeoutSeconds
	}
	cause := fmt.Sprintf("offer_timeout: not accepted within %d seconds", secs)
	if k := e.region.AwayAfterMissedOffers; k > 0 && e.missed[a.Index] >= k && a.Routable {
		away := e.region.AwayStatus
		if away == "" {
			away = "offline"
		}
		e.missed[a.Index] = 0
		a.Presence, a.Routable = away, e.routable[away]
		e.returnOffers(a, fmt.Sprintf("offer_returned: %s set %s after %d missed offers", a.Agent.ID, away, k))
	}
	e.routeFrom(x, cause, a.Agent.ID)
	e.dispatchAgent(a, "capacity_freed")
}
