package engine

import (
	"fmt"
	"slices"

	"github.com/allot/allot"
)

// Item returns a copy of open item id's current state.
func (e *Engine) Item(id string) (allot.Item, bool) {
	x, ok := e.items[id]
	if !ok {
		return allot.Item{}, false
	}
	return x.it, true
}

// Items returns copies of every open item, in arrival order.
func (e *Engine) Items() []allot.Item {
	xs := make([]*item, 0, len(e.items))
	for _, x := range e.items {
		xs = append(xs, x)
	}
	slices.SortFunc(xs, func(a, b *item) int { return int(a.arrival) - int(b.arrival) })
	out := make([]allot.Item, len(xs))
	for i, x := range xs {
		out[i] = x.it
	}
	return out
}

// AgentStatus is an agent's runtime state as the engine sees it.
type AgentStatus struct {
	ID       string         `json:"id"`
	Presence string         `json:"presence"`
	Routable bool           `json:"routable"`
	OnShift  bool           `json:"on_shift"`
	Absent   bool           `json:"absent"`
	Load     int            `json:"load"` // capacity units in use
	Capacity int            `json:"capacity"`
	Open     int            `json:"open"` // open owned items
	TypeLoad map[string]int `json:"type_load,omitempty"`
	// Assigned counts assignments per queue; TierAssigned per queue and tier.
	Assigned     map[string]int64            `json:"assigned,omitempty"`
	TierAssigned map[string]map[string]int64 `json:"tier_assigned,omitempty"`
}

// Agent returns agent id's runtime state.
func (e *Engine) Agent(id string) (AgentStatus, bool) {
	i, ok := e.agentIdx[id]
	if !ok {
		return AgentStatus{}, false
	}
	a := e.agents[i]
	st := AgentStatus{ID: id, Presence: a.Presence, Routable: a.Routable, OnShift: a.OnShift, Absent: a.Absent,
		Load: a.Load, Capacity: a.Agent.Capacity.Total, Open: a.Open, TypeLoad: map[string]int{},
		Assigned: map[string]int64{}, TierAssigned: map[string]map[string]int64{}}
	for t := range min(a.TypeLoads(), len(e.typeNames)) {
		if v := a.TypeLoadOf(t); v != 0 {
			st.TypeLoad[e.typeNames[t]] = v
		}
	}
	for _, ms := range e.member[i] {
		st.Assigned[ms.q.cfg.ID] = ms.m.Count
		tiers := map[string]int64{}
		for ti, n := range ms.m.TierVC {
			tiers[e.region.Tiers[ti].Name] = n
		}
		st.TierAssigned[ms.q.cfg.ID] = tiers
	}
	return st, true
}

// QueueStatus is a queue's runtime state.
type QueueStatus struct {
	ID      string   `json:"id"`
	Waiting []string `json:"waiting"` // item ids, best first
}

// Queue returns queue id's waiting items in dispatch order.
func (e *Engine) Queue(id string) (QueueStatus, bool) {
	i, ok := e.queueIdx[id]
	if !ok {
		return QueueStatus{}, false
	}
	q := e.queues[i]
	st := QueueStatus{ID: id, Waiting: []string{}}
	q.waiting.Ascend(func(x *item) bool { st.Waiting = append(st.Waiting, x.it.ID); return true })
	return st, true
}

// Explain routes a hypothetical item exactly as Apply(ItemArrived) would at
// the current state and time, without changing anything: which rule, which
// queue, each candidate and why. The returned decision has Seq 0.
func (e *Engine) Explain(in allot.Item) (allot.Decision, error) {
	var ps allot.Problems
	if in.Type == "" {
		ps.Add("type", "required: the item's type, e.g. lead")
	}
	ps = append(ps, allot.ValidateAttributes(in.Attributes)...)
	if err := ps.Err("invalid item"); err != nil {
		return allot.Decision{}, err
	}
	x := &item{it: in, basePriority: in.Priority, slaSet: in.DueAt.IsZero(), slot: -1}
	x.typeIdx, x.units = e.typeOf(in.Type, false) // a dry run numbers no new type
	if x.it.CreatedAt.IsZero() {
		x.it.CreatedAt = e.now
	}
	return e.explain(x, "explain"), nil
}

// ExplainItem explains how open item id would be routed now if it arrived
// again (its exclusions kept), without changing anything.
func (e *Engine) ExplainItem(id string) (allot.Decision, error) {
	x, err := e.item(id)
	if err != nil {
		return allot.Decision{}, err
	}
	cp := *x
	cp.owner, cp.waiting = nil, false
	return e.explain(&cp, "explain"), nil
}

func (e *Engine) explain(x *item, cause string) allot.Decision {
	q := e.classify(x)
	x.it.Queue = ""
	if q == nil {
		return allot.Decision{At: e.now, Kind: allot.DecisionUnroutable, Item: x.it.ID, Cause: cause,
			Explanation: e.explanation(x, "no routing rule matched and the region has no default queue")}
	}
	x.it.Queue = q.cfg.ID
	c := e.prepare(x, q, false)
	exp := e.explanation(x, "")
	m := q.profile.Run(c, q.members, exp)
	d := allot.Decision{At: e.now, Item: x.it.ID, Queue: q.cfg.ID, Cause: cause, Explanation: exp}
	if m == nil {
		d.Kind = allot.DecisionQueued
		exp.Reason = "would wait: no eligible agent with room"
	} else {
		d.Kind = allot.DecisionAssigned
		d.Agent = m.Agent.ID
		exp.Sticky = c.Sticky == m.AgentState
		exp.Reason = fmt.Sprintf("would go to %s by %s", m.Agent.ID, q.cfg.Policy)
	}
	return d
}

// OpenItems returns the number of open items.
func (e *Engine) OpenItems() int { return len(e.items) }
