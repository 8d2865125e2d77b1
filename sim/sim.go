package sim

import (
	"container/heap"
	"fmt"
	"strings"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
)

// NamedConfig is a config with the label it gets in reports (usually its file
// name).
type NamedConfig struct {
	Name   string
	Config allot.Config
	// scenarioAgents: the config is the scenario's default one, so its
	// agents' scenario shifts (and their breaks) apply.
	scenarioAgents bool
}

// Options tune a run without changing its results.
type Options struct {
	// Progress, when set, is called now and then with the share of the work
	// done (0–1) and once with 1 at the end. It must not block for long.
	Progress func(done float64)

	// trace, when set (tests), sees every decision with the presence of its
	// agent's break state.
	trace func(d *allot.Decision, onBreak bool)
}

// Run simulates scn once per config, on identical arrivals, and returns one
// Result per config in order. With no configs it runs the scenario's embedded
// config, or else its default config (see Scenario.DefaultConfig). seed 0
// means the scenario's seed (or 1).
func Run(scn Scenario, cfgs []allot.Config, seed uint64) (Report, error) {
	named := make([]NamedConfig, len(cfgs))
	for i, c := range cfgs {
		named[i] = NamedConfig{Name: fmt.Sprintf("config%d", i+1), Config: c}
	}
	return RunNamed(scn, named, seed, Options{})
}

// RunNamed is Run with labelled configs and options.
func RunNamed(scn Scenario, cfgs []NamedConfig, seed uint64, opt Options) (Report, error) {
	if err := scn.Validate(); err != nil {
		return Report{}, err
	}
	if seed == 0 {
		seed = scn.Seed
	}
	if seed == 0 {
		seed = 1
	}
	if len(cfgs) == 0 {
		switch {
		case scn.Config != nil:
			cfgs = []NamedConfig{{Name: "embedded", Config: *scn.Config}}
		case scn.Agents.Count == 0 && len(scn.Agents.List) == 0:
			return Report{}, fmt.Errorf("scenario %s: agents: required without a config: give agents.count or agents.list, an embedded config or --config", scn.File)
		default:
			cfgs = []NamedConfig{{Name: "default", Config: scn.DefaultConfig(), scenarioAgents: true}}
		}
	}
	var rows []arrival
	if scn.Arrivals.CSV != nil {
		var err error
		rows, err = loadCSV(&scn, seed)
		if err != nil {
			return Report{}, err
		}
	}
	rep := Report{Scenario: scn.Name, Seed: seed, Start: scn.Start.UTC().Format(time.RFC3339),
		HorizonS: scn.Horizon.Seconds(), WarmupS: scn.Warmup.Seconds(), SLASeconds: scn.SLASeconds}
	for i, nc := range cfgs {
		var src source
		if rows != nil {
			src = &replay{rows: rows}
		} else {
			src = newGenerated(&scn, seed)
		}
		var prog func(float64)
		if opt.Progress != nil {
			base, n := float64(i), float64(len(cfgs))
			prog = func(f float64) { opt.Progress((base + f) / n) }
		}
		res, err := runOne(&scn, nc, src, prog, seed, opt.trace)
		if err != nil {
			return Report{}, fmt.Errorf("config %s: %w", nc.Name, err)
		}
		rep.Results = append(rep.Results, res)
	}
	if opt.Progress != nil {
		opt.Progress(1)
	}
	return rep, nil
}

// Event kinds, in the order they are processed at one instant when scheduled
// in that order (ties break by scheduling sequence).
const (
	evArrival = iota
	evComplete
	evAbandon
	evTouch
	evBreak
)

type event struct {
	at   int64 // ns since start
	seq  uint64
	kind uint8
	gen  uint32 // evTouch, evComplete: the assignment they belong to
	ag   int32  // evBreak: agent index
	it   *simItem
	arr  arrival // evArrival only
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// simItem is the simulator's view of one open item.
type simItem struct {
	id       string
	arr      int64
	handle   int64
	units    int
	n        uint64 // arrival number
	assigned bool
	waited   bool // queued at arrival: it waited at all
	measured bool // arrived inside the measurement window

	owner     int    // agent index of the current owner, -1 none
	ownerID   string // current owner
	since     int64  // ns, start of the current ownership
	gen       uint32 // bumped at every change of ownership
	k         uint32 // assignments so far (touch random draws)
	waitingNw bool   // waiting in a queue now
	touched   bool
	escalated bool
}

// runner simulates one config.
type runner struct {
	scn    *Scenario
	eng    *engine.Engine
	clock  *allot.ManualClock
	start  time.Time
	warm   int64
	end    int64 // horizon, ns
	src    source
	events eventHeap
	seq    uint64
	n      uint64
	items  map[string]*simItem
	buf    []allot.Decision
	lastAt int64
	units  map[string]int

	agentIdx map[string]int
	stats    *collector
	prog     func(float64)

	touch      *toucher
	brk        []*allot.CompiledSchedule // per agent, nil: no breaks
	onBreak    []bool                    // set on break by the simulator
	brkStatus  string
	loginState string
	trace      func(*allot.Decision, bool)
}

func (r *runner) push(e event) {
	r.seq++
	e.seq = r.seq
	heap.Push(&r.events, e)
}

func (r *runner) pullArrival() {
	if a, ok := r.src.next(); ok {
		r.push(event{at: a.at, kind: evArrival, arr: a})
	}
}

// maxDrain bounds how long after the horizon a run keeps going to let waiting
// items be served (agents' shifts may keep them waiting over a weekend).
const maxDrain = 14 * 24 * time.Hour

func runOne(scn *Scenario, nc NamedConfig, src source, prog func(float64), seed uint64, trace func(*allot.Decision, bool)) (Result, error) {
	cfg := nc.Config
	regionID := scn.Region
	if regionID == "" {
		if len(cfg.Regions) == 0 {
			return Result{}, fmt.Errorf("the config has no region")
		}
		regionID = cfg.Regions[0].ID
	}
	clock := &allot.ManualClock{T: scn.Start}
	eng, err := engine.New(cfg, regionID, clock, engine.WithoutCandidates())
	if err != nil {
		return Result{}, err
	}
	r := &runner{scn: scn, eng: eng, clock: clock, start: scn.Start, warm: int64(scn.Warmup), end: int64(scn.Horizon),
		src: src, items: map[string]*simItem{}, units: map[string]int{}, agentIdx: map[string]int{}, prog: prog,
		touch: newToucher(scn.Touch, seed), trace: trace}
	reg := eng.Region()
	for _, t := range reg.ItemTypes {
		r.units[t.Name] = t.Units
	}
	r.stats = newCollector(scn, reg)
	for i := range reg.Agents {
		r.agentIdx[reg.Agents[i].ID] = i
	}
	if err := r.login(cfg); err != nil {
		return Result{}, err
	}
	if err := r.setupBreaks(cfg, nc.scenarioAgents); err != nil {
		return Result{}, err
	}
	for i, b := range r.brk { // breaks are not available time
		if b != nil {
			a := &reg.Agents[i]
			r.stats.avail[i] = float64(a.Capacity.Total) * float64(onShift(a, b, scn.Start.Add(scn.Warmup), scn.Start.Add(scn.Horizon)))
		}
	}
	r.pullArrival()
	if err := r.loop(); err != nil {
		return Result{}, err
	}
	for _, it := range r.items { // still open at the end: book the holding time
		if it.owner >= 0 {
			r.endOwn(it, r.lastAt)
		}
	}
	res := r.stats.result(nc.Name)
	res.Unassigned = 0
	for _, it := range r.items {
		if it.measured && !it.assigned {
			res.Unassigned++
		}
		if it.measured && it.assigned && !it.touched {
			res.Untouched++
		}
	}
	return res, nil
}

// login makes every non-manual agent routable at the start (with the first
// routable status of the config's presence catalogue): in a simulation working
// time is described by schedules, and a config written for the server usually
// starts agents offline.
func (r *runner) login(cfg allot.Config) error {
	status := ""
	for _, p := range cfg.WithDefaults().Presence {
		if p.Routable {
			status = p.Name
			break
		}
	}
	if status == "" {
		return fmt.Errorf("the config's presence catalogue has no routable status")
	}
	r.loginState = status
	reg := r.eng.Region()
	for i := range reg.Agents {
		a := &reg.Agents[i]
		st, _ := r.eng.Agent(a.ID)
		if st.Routable || a.Manual {
			continue
		}
		if _, err := r.apply(engine.AgentPresence{Agent: a.ID, Status: status}); err != nil {
			return fmt.Errorf("logging in agent %s: %w", a.ID, err)
		}
	}
	return nil
}

// apply applies ev at the clock's time and books its decisions.
func (r *runner) apply(ev engine.Event) ([]allot.Decision, error) {
	ds, err := r.eng.ApplyTo(r.buf[:0], ev)
	r.buf = ds
	if err != nil {
		return nil, err
	}
	for i := range ds {
		r.book(&ds[i])
	}
	return ds, nil
}

func (r *runner) book(d *allot.Decision) {
	if r.trace != nil {
		ai, ok := r.agentIdx[d.Agent]
		r.trace(d, ok && r.onBreak != nil && r.onBreak[ai])
	}
	it := r.items[d.Item]
	if it == nil {
		return
	}
	at := int64(d.At.Sub(r.start))
	if d.From != "" {
		if it.ownerID == d.From {
			r.endOwn(it, at)
		}
		if it.measured && d.Kind != allot.DecisionEscalated &&
			(strings.HasPrefix(d.Cause, "sla_breach") || strings.HasPrefix(d.Cause, "offer_timeout")) {
			r.stats.res.Reassignments++
		}
	}
	switch d.Kind {
	case allot.DecisionAssigned, allot.DecisionReassigned, allot.DecisionOffered:
		if it.owner >= 0 {
			r.endOwn(it, at)
		}
		if it.waitingNw {
			it.waitingNw = false
			r.stats.depth(at, -1)
		}
		ai := r.agentIdx[d.Agent]
		it.owner, it.ownerID, it.since = ai, d.Agent, at
		it.gen++
		if !it.assigned { // the first assignment (or offer) counts for waits
			it.assigned = true
			tier := ""
			if d.Explanation != nil {
				tier = d.Explanation.Tier
			}
			r.stats.assigned(it, ai, at, tier)
		}
		delay, neglected := r.touch.draw(it)
		if neglected {
			delay = r.touch.late
		}
		r.push(event{at: at + delay, kind: evTouch, it: it, gen: it.gen})
	case allot.DecisionQueued:
		if !it.assigned && !it.waited {
			it.waited = true
			if it.measured {
				r.stats.waited++
			}
		}
		if !it.waitingNw {
			it.waitingNw = true
			r.stats.depth(at, +1)
		}
	case allot.DecisionEscalated:
		it.escalated = true
		if it.measured {
			r.stats.res.Escalations++
		}
	case allot.DecisionUnroutable:
		if it.measured {
			r.stats.res.Unroutable++
		}
	}
}

// endOwn ends the current ownership of it at at (ns): its capacity was held
// (assigned, offered or working) since it.since.
func (r *runner) endOwn(it *simItem, at int64) {
	r.stats.held(it, it.owner, it.since, at)
	it.owner, it.ownerID = -1, ""
	it.gen++
}

func (r *runner) setClock(ns int64) { r.clock.Set(r.start.Add(time.Duration(ns))) }

func (r *runner) loop() error {
	limit := r.end + int64(maxDrain)
	nextProg := uint64(1 << 14)
	for {
		next := int64(-1)
		if len(r.events) > 0 {
			next = r.events[0].at
		}
		// The engine's own timers (shifts, absences, caps) first when due.
		if w := r.eng.NextWake(); !w.IsZero() {
			wn := int64(w.Sub(r.start))
			if (next >= 0 && wn <= next) || (next < 0 && r.stats.waiting > 0 && wn <= limit) {
				r.setClock(wn)
				if _, err := r.apply(engine.Tick{}); err != nil {
					return err
				}
				r.stats.sample(wn)
				continue
			}
		}
		if next < 0 {
			return nil
		}
		e := heap.Pop(&r.events).(event)
		r.setClock(e.at)
		r.lastAt = e.at
		r.stats.sample(e.at)
		switch e.kind {
		case evArrival:
			if err := r.arrive(e.at, e.arr); err != nil {
				return err
			}
			r.pullArrival()
			if r.prog != nil && r.n >= nextProg {
				nextProg += 1 << 14
				r.prog(min(1, float64(e.at)/float64(max(r.end, 1))))
			}
		case evTouch:
			it := e.it
			if it.gen != e.gen || it.owner < 0 || r.items[it.id] != it {
				continue // taken back (or closed) before the touch
			}
			if _, err := r.apply(engine.ItemTouched{ID: it.id, Agent: it.ownerID}); err != nil {
				if it.gen != e.gen {
					continue
				}
				return fmt.Errorf("touching item %s: %w", it.id, err)
			}
			if it.gen != e.gen {
				continue
			}
			if !it.touched {
				it.touched = true
				r.stats.touched(it, e.at)
			}
			r.push(event{at: e.at + it.handle, kind: evComplete, it: it, gen: it.gen})
		case evComplete:
			if e.it.gen != e.gen || r.items[e.it.id] != e.it {
				continue // moved after the touch: its new owner starts over
			}
			r.endOwn(e.it, e.at)
			if err := r.close(e.it); err != nil {
				return err
			}
		case evBreak:
			if err := r.breakChange(int(e.ag), e.at); err != nil {
				return err
			}
		case evAbandon:
			it := e.it
			if it.assigned || r.items[it.id] != it {
				continue
			}
			if it.measured {
				r.stats.res.Abandoned++
			}
			if it.waitingNw {
				it.waitingNw = false
				r.stats.depth(e.at, -1)
			}
			if err := r.close(it); err != nil {
				return err
			}
		}
	}
}

func (r *runner) arrive(at int64, a arrival) error {
	r.n++
	units, ok := r.units[a.typ]
	if !ok {
		units = 1
	}
	it := &simItem{id: itemID(r.n), n: r.n, arr: at, handle: a.handle, units: units, measured: at >= r.warm && at < r.end, owner: -1}
	r.items[it.id] = it
	if it.measured {
		r.stats.res.Arrivals++
	}
	item := allot.Item{ID: it.id, Type: a.typ, Priority: a.priority, Attributes: a.attrs}
	ds, err := r.apply(engine.ItemArrived{Item: item})
	if err != nil {
		return fmt.Errorf("arrival %d: %w", r.n, err)
	}
	unroutable := false
	for i := range ds {
		if ds[i].Item == it.id && ds[i].Kind == allot.DecisionUnroutable {
			unroutable = true
		}
	}
	if unroutable {
		return r.close(it)
	}
	if !it.assigned && a.patience >= 0 {
		r.push(event{at: at + a.patience, kind: evAbandon, it: it})
	}
	return nil
}

func (r *runner) close(it *simItem) error {
	delete(r.items, it.id)
	if _, err := r.apply(engine.ItemClosed{ID: it.id}); err != nil {
		return fmt.Errorf("closing item %s: %w", it.id, err)
	}
	return nil
}
