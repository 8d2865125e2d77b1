package engine

import (
	"slices"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// Reconfigure replaces the engine's config with cfg (the same region id) and
// carries the runtime state over, returning the decisions the change caused.
// On error (an invalid config) nothing changes.
//
// What carries over: open items with their arrival order, exclusions and
// ownership; agents' presence and daily/weekly cap counts; each queue
// member's fairness counters (by queue and agent id); sticky owners.
//
// What the change decides:
//   - Owned items stay with their owner while the owner still exists, even
//     if a lower capacity now leaves the owner over it (work is never taken
//     away by a capacity change; the agent just gets nothing new until it has
//     room). Their classification is kept: an item is decided under one
//     config version.
//   - Items of a removed agent, and waiting and unroutable items, are routed
//     again under the new rules (cause "config_changed").
//   - Every agent is then offered waiting work, so the engine is
//     work-conserving again under the new config.
func (e *Engine) Reconfigure(cfg allot.Config) ([]allot.Decision, error) {
	ne, err := New(cfg, e.region.ID, e.clock)
	if err != nil {
		return nil, err
	}
	ne.candidates = e.candidates
	ne.seq, ne.arrivals = e.seq, e.arrivals
	if e.now.After(ne.now) {
		ne.now = e.now
	}
	now := ne.now

	// Agents: presence and cap counts.
	for i, a := range e.agents {
		j, ok := ne.agentIdx[a.Agent.ID]
		if !ok {
			continue
		}
		b := ne.agents[j]
		if r, known := ne.routable[a.Presence]; known {
			b.Presence, b.Routable = a.Presence, r
		}
		if slices.Equal(a.Agent.Caps, b.Agent.Caps) {
			copy(b.Caps, a.Caps)
		}
		ne.missed[j] = e.missed[i]
	}
	// Queue members: fairness counters, by queue id and agent id.
	for _, q := range e.queues {
		nqi, ok := ne.queueIdx[q.cfg.ID]
		if !ok {
			continue
		}
		nq := ne.queues[nqi]
		byAgent := make(map[string]*routing.Member, len(nq.members))
		for _, m := range nq.members {
			byAgent[m.Agent.ID] = m
		}
		for _, m := range q.members {
			nm, ok := byAgent[m.Agent.ID]
			if !ok {
				continue
			}
			nm.LastSeq, nm.Count, nm.VC = m.LastSeq, m.Count, m.VC
			for ti, n := range m.TierVC {
				if nti, ok := ne.tierIdx[e.region.Tiers[ti].Name]; ok {
					nm.TierVC[nti] = n
				}
			}
		}
		for k, a := range q.sticky {
			if j, ok := ne.agentIdx[a.Agent.ID]; ok {
				nq.sticky[k] = ne.agents[j]
			}
		}
	}

	// Items, in arrival order.
	old := make([]*item, 0, len(e.items))
	for _, x := range e.items {
		old = append(old, x)
	}
	slices.SortFunc(old, func(a, b *item) int { return cmpU64(a.arrival, b.arrival) })
	ne.out = nil
	var reroute []*item
	var from []string
	for _, x := range old {
		y := &item{it: x.it, basePriority: x.basePriority, arrival: x.arrival, typeIdx: -1,
			rule: -1, scoring: nil, tierIdx: 0, excluded: slices.Clone(x.excluded), slaSet: x.slaSet,
			slaMinutes: x.slaMinutes, touchBy: x.touchBy, reassigns: x.reassigns, escalated: x.escalated,
			prioBase: x.prioBase, aged: x.aged, offerEnds: x.offerEnds}
		ne.slotted(y)
		y.typeIdx, y.units = ne.typeOf(y.it.Type, true)
		// Skill relaxation restarts under the new config (its rules may differ).
		ne.items[y.it.ID] = y
		if x.owner != nil {
			if j, ok := ne.agentIdx[x.owner.Agent.ID]; ok {
				// Keep the owner and the decided classification.
				a := ne.agents[j]
				y.owner = a
				if qi, ok := ne.queueIdx[x.it.Queue]; ok {
					y.q = ne.queues[qi]
				}
				y.rule = ruleIndex(ne.region, x.it.Rule)
				if ti, ok := ne.tierIdx[x.it.Tier]; ok {
					y.tierIdx = int32(ti)
				}
				a.Load += y.units
				a.AddTypeLoad(int(y.typeIdx), y.units)
				a.Open++
				ne.armItem(y) // the SLA clock keeps running
				continue
			}
			y.it.Owner = ""
			reroute = append(reroute, y)
			from = append(from, x.owner.Agent.ID)
			continue
		}
		if x.waiting {
			// Keep the overflow clock of an item that stays in its queue.
			y.waitSince = x.waitSince
			if qi, ok := ne.queueIdx[x.q.cfg.ID]; ok {
				y.waitQueue = ne.queues[qi]
			}
		}
		reroute = append(reroute, y)
		from = append(from, "")
	}
	for i, y := range reroute {
		if from[i] != "" {
			ne.routeFrom(y, "config_changed", from[i])
		} else {
			ne.route(y, "config_changed")
		}
	}
	for i := range ne.agents {
		ne.refreshAgent(i, now)
		ne.dispatchAgent(ne.agents[i], "config_changed")
	}
	out := ne.out
	ne.out = nil
	// The caller's settings (ReuseExplanations, UseArena) carry over.
	reuse, shared := e.reuse, e.shared
	*e = *ne
	e.reuse, e.shared = reuse, shared
	return out, nil
}

func ruleIndex(r *allot.Region, name string) int {
	if name == "" {
		return -1
	}
	for i := range r.Rules {
		if r.Rules[i].Name == name {
			return i
		}
	}
	return -1
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
