package sim

import (
	"container/heap"
	"fmt"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
)

// NamedConfig is a config with the label it gets in reports (usually its file
// name).
type NamedConfig struct {
	Name   string
	Config allot.Config
}

// Options tune a run without changing its results.
type Options struct {
	// Progress, when set, is called now and then with the share of the work
	// done (0–1) and once with 1 at the end. It must not block for long.
	Progress func(done float64)
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
			cfgs = []NamedConfig{{Name: "default", Config: scn.DefaultConfig()}}
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
		res, err := runOne(&scn, nc, src, prog)
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
)

type event struct {
	at   int64 // ns since start
	seq  uint64
	kind uint8
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
	assigned bool
	waited   bool // queued at arrival: it waited at all
	measured bool // arrived inside the measurement window
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
	units  map[string]int

	agentIdx map[string]int
	stats    *collector
	prog     func(float64)
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

func runOne(scn *Scenario, nc NamedConfig, src source, prog func(float64)) (Result, error) {
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
		src: src, items: map[string]*simItem{}, units: map[string]int{}, agentIdx: map[string]int{}, prog: prog}
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
	r.pullArrival()
	if err := r.loop(); err != nil {
		return Result{}, err
	}
	res := r.stats.result(nc.Name)
	res.Unassigned = 0
	for _, it := range r.items {
		if it.measured && !it.assigned {
			res.Unassigned++
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
	it := r.items[d.Item]
	if it == nil {
		return
	}
	at := int64(d.At.Sub(r.start))
	switch d.Kind {
	case allot.DecisionAssigned, allot.DecisionReassigned:
		if it.assigned { // re-assignment: the first assignment counts
			return
		}
		it.assigned = true
		if it.waited {
			r.stats.depth(at, -1)
		}
		ai := r.agentIdx[d.Agent]
		r.stats.assigned(it, ai, at, r.warm, r.end)
		r.push(event{at: at + it.handle, kind: evComplete, it: it})
	case allot.DecisionQueued:
		if !it.waited {
			it.waited = true
			if it.measured {
				r.stats.waited++
			}
			r.stats.depth(at, +1)
		}
	case allot.DecisionUnroutable:
		if it.measured {
			r.stats.res.Unroutable++
		}
	}
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
		case evComplete:
			if err := r.close(e.it); err != nil {
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
			if it.waited {
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
	it := &simItem{id: itemID(r.n), arr: at, handle: a.handle, units: units, measured: at >= r.warm && at < r.end}
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
