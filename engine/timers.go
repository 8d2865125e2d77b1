package engine

import (
	"container/heap"
	"time"

	"github.com/allot/allot/routing"
)

// timer wakes the engine for one agent at a schedule, absence or cap
// boundary. Each agent has at most one live timer: its generation must match.
type timer struct {
	at    time.Time
	agent int
	gen   uint64
}

type timerHeap []timer

func (h timerHeap) Len() int { return len(h) }
func (h timerHeap) Less(i, j int) bool {
	if !h[i].at.Equal(h[j].at) {
		return h[i].at.Before(h[j].at)
	}
	return h[i].agent < h[j].agent
}
func (h timerHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)   { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

// advance fires every timer due at or before now, in time order (ties by
// agent order), each at its own instant.
func (e *Engine) advance(now time.Time) {
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := heap.Pop(&e.timers).(timer)
		if e.timerGen[t.agent] != t.gen {
			continue
		}
		if t.at.After(e.now) {
			e.now = t.at
		}
		e.refreshAgent(t.agent, e.now)
		a := e.agents[t.agent]
		e.dispatchAgent(a, "schedule")
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
	if capReached(a, at) {
		lt := at.In(a.Loc)
		y, m, d := lt.Date()
		consider(time.Date(y, m, d+1, 0, 0, 0, 0, a.Loc))
	}
	e.timerGen[i]++
	if !next.IsZero() {
		heap.Push(&e.timers, timer{at: next, agent: i, gen: e.timerGen[i]})
	}
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
