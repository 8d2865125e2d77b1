package sim

import (
	"math"
	"slices"
	"strings"
	"time"

	"github.com/allot/allot"
)

// Report is one simulation run: the scenario's parameters and one Result per
// config, in the order the configs were given. It holds no wall-clock field
// and no map, so its JSON is byte-identical for identical inputs.
type Report struct {
	Scenario   string   `json:"scenario,omitempty"`
	Seed       uint64   `json:"seed"`
	Start      string   `json:"start"`
	HorizonS   float64  `json:"horizon_s"`
	WarmupS    float64  `json:"warmup_s"`
	SLASeconds float64  `json:"sla_seconds"`
	Results    []Result `json:"results"`
}

// Result is what one config did with the scenario's arrivals. Counts and
// shares are over the items that arrived in the measurement window
// [start+warmup, start+horizon); waits are assignment − arrival in seconds,
// over the items of the window that were assigned.
type Result struct {
	Config     string `json:"config"`
	Arrivals   int64  `json:"arrivals"`
	Assigned   int64  `json:"assigned"`
	Abandoned  int64  `json:"abandoned"`
	Unroutable int64  `json:"unroutable"`
	// Unassigned items were still waiting when the run ended.
	Unassigned int64 `json:"unassigned"`

	// PWait is the share of arrivals that waited at all (not assigned the
	// instant they arrived).
	PWait     float64 `json:"p_wait"`
	MeanWaitS float64 `json:"mean_wait_s"`
	P50WaitS  float64 `json:"p50_wait_s"`
	P90WaitS  float64 `json:"p90_wait_s"`
	P99WaitS  float64 `json:"p99_wait_s"`
	MaxWaitS  float64 `json:"max_wait_s"`
	// ServiceLevel is the share of arrivals assigned within sla_seconds.
	ServiceLevel float64 `json:"service_level"`
	// AbandonRate is abandoned / arrivals.
	AbandonRate float64 `json:"abandon_rate"`
	// Utilisation is busy capacity-time over available capacity-time (agents
	// on shift × capacity) in the window.
	Utilisation  float64 `json:"utilisation"`
	MeanQueueLen float64 `json:"mean_queue_len"`
	MaxQueueLen  int64   `json:"max_queue_len"`

	// Touched counts arrivals whose first assignment was touched (accepted);
	// Untouched those assigned but never touched by the end of the run.
	Touched   int64 `json:"touched"`
	Untouched int64 `json:"untouched"`
	// Waits to first touch (touch − arrival, seconds) over touched items.
	MeanTouchWaitS float64 `json:"mean_touch_wait_s"`
	P50TouchWaitS  float64 `json:"p50_touch_wait_s"`
	P90TouchWaitS  float64 `json:"p90_touch_wait_s"`
	P99TouchWaitS  float64 `json:"p99_touch_wait_s"`
	// TouchServiceLevel is the share of arrivals first touched within
	// touch.sla_seconds (default sla_seconds) of their arrival.
	TouchServiceLevel float64 `json:"touch_service_level"`
	// Reassignments counts items taken back by the engine's timers: decisions
	// with a previous owner (from) and an sla_breach or offer_timeout cause.
	Reassignments int64 `json:"reassignments"`
	// Escalations counts escalated decisions (the SLA breached more than the
	// queue's max_reassignments).
	Escalations int64 `json:"escalations"`

	Fairness Fairness      `json:"fairness"`
	Agents   []AgentResult `json:"agents"`
	// Tiers is fairness per score tier, when the config defines tiers.
	Tiers         []TierResult  `json:"tiers,omitempty"`
	WaitHistogram []Bucket      `json:"wait_histogram"`
	QueueDepth    []DepthSample `json:"queue_depth"`
}

// Fairness summarises how evenly work followed the weights: over the agents
// that serve a queue, each agent's assignments divided by its weight.
// Gini is 0 when perfectly proportional; MaxMinRatio is the largest over the
// smallest normalised count, 1 when perfectly proportional and null when some
// agent received nothing.
type Fairness struct {
	Gini        float64  `json:"gini"`
	MaxMinRatio *float64 `json:"max_min_ratio"`
}

// AgentResult is one agent's share of the work.
type AgentResult struct {
	ID       string `json:"id"`
	Weight   int    `json:"weight"`
	Assigned int64  `json:"assigned"`
	// Share is Assigned over all assignments; WeightShare the agent's weight
	// over the weights of every agent listed.
	Share       float64 `json:"share"`
	WeightShare float64 `json:"weight_share"`
	Utilisation float64 `json:"utilisation"`
}

// TierResult is fairness within one score tier: each agent's assignments of
// the tier's items against its weighted share of them.
type TierResult struct {
	Tier     string      `json:"tier"`
	Assigned int64       `json:"assigned"`
	Fairness Fairness    `json:"fairness"`
	Agents   []TierAgent `json:"agents"`
}

// TierAgent is one agent's share of a tier. Expected is the tier's
// assignments × the agent's weight share.
type TierAgent struct {
	ID          string  `json:"id"`
	Weight      int     `json:"weight"`
	Assigned    int64   `json:"assigned"`
	Share       float64 `json:"share"`
	WeightShare float64 `json:"weight_share"`
	Expected    float64 `json:"expected"`
}

// Bucket counts assigned items whose wait was ≤ LeS (and above the previous
// bucket's bound). The last bucket has LeS -1: everything longer.
type Bucket struct {
	LeS   float64 `json:"le_s"`
	Count int64   `json:"count"`
}

// DepthSample is the number of items waiting at an instant, in hours since
// the start.
type DepthSample struct {
	AtH     float64 `json:"at_h"`
	Waiting int64   `json:"waiting"`
}

// waitBounds are the histogram's upper bounds in seconds.
var waitBounds = []float64{0, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}

const depthSamples = 240

// collector accumulates one config's statistics.
type collector struct {
	scn       *Scenario
	res       Result
	waits     []int64 // ns, measured assigned items
	slaOK     int64
	slaNS     int64
	waited    int64 // measured arrivals queued on arrival
	warm, end int64

	touchWaits []int64 // ns, arrival → first touch
	touchOK    int64
	touchSLA   int64

	tiers   []string // tier names, in config order
	tierIdx map[string]int
	tcount  [][]int64 // [tier][agent] assignments of measured items

	agents  []*allot.Agent
	serving []bool    // member of a queue and not manual
	count   []int64   // assignments of measured items
	busy    []float64 // capacity-ns busy in the window
	avail   []float64 // capacity-ns on shift in the window

	waiting    int64
	lastDepthT int64
	depthArea  float64 // Σ waiting × ns over the window
	nextSample int64
	interval   int64
}

func newCollector(scn *Scenario, reg *allot.Region) *collector {
	c := &collector{scn: scn, warm: int64(scn.Warmup), end: int64(scn.Horizon), slaNS: int64(scn.SLASeconds * 1e9)}
	c.touchSLA = c.slaNS
	if scn.Touch != nil {
		c.touchSLA = int64(scn.Touch.SLASeconds * 1e9)
	}
	c.tierIdx = map[string]int{}
	for _, t := range reg.Tiers {
		c.tierIdx[t.Name] = len(c.tiers)
		c.tiers = append(c.tiers, t.Name)
		c.tcount = append(c.tcount, make([]int64, len(reg.Agents)))
	}
	c.interval = max(1, c.end/depthSamples)
	members := map[string]bool{}
	for _, q := range reg.Queues {
		for _, m := range q.Members {
			members[m] = true
		}
	}
	n := len(reg.Agents)
	c.serving = make([]bool, n)
	c.count = make([]int64, n)
	c.busy = make([]float64, n)
	c.avail = make([]float64, n)
	from, to := scn.Start.Add(scn.Warmup), scn.Start.Add(scn.Horizon)
	for i := range reg.Agents {
		a := &reg.Agents[i]
		c.agents = append(c.agents, a)
		c.serving[i] = members[a.ID] && !a.Manual
		c.avail[i] = float64(a.Capacity.Total) * float64(onShift(a, nil, from, to))
	}
	c.lastDepthT = c.warm
	return c
}

// onShift is how long agent a works in [from, to) by its schedule and
// absences, less its breaks brk (nil: none).
func onShift(a *allot.Agent, brk *allot.CompiledSchedule, from, to time.Time) time.Duration {
	var cs *allot.CompiledSchedule
	if a.Schedule != nil {
		cs, _ = allot.CompileSchedule(a.Schedule) // validated by the engine
	}
	var total time.Duration
	t := from
	for t.Before(to) {
		on := cs == nil || cs.Contains(t)
		next := to
		if cs != nil {
			if n := cs.NextChange(t); !n.IsZero() && n.Before(next) {
				next = n
			}
		}
		if brk != nil {
			on = on && !brk.Contains(t)
			if n := brk.NextChange(t); !n.IsZero() && n.Before(next) {
				next = n
			}
		}
		for _, ab := range a.Absences {
			if ab.Start.After(t) && ab.Start.Before(next) {
				next = ab.Start
			}
			if ab.End.After(t) && ab.End.Before(next) {
				next = ab.End
			}
			if !t.Before(ab.Start) && t.Before(ab.End) {
				on = false
			}
		}
		if on {
			total += next.Sub(t)
		}
		t = next
	}
	return total
}

// held books agent ai holding it's capacity over [from, to) (ns): busy
// time counts inside the window, whoever the item is.
func (c *collector) held(it *simItem, ai int, from, to int64) {
	lo, hi := max(from, c.warm), min(to, c.end)
	if hi > lo && ai >= 0 {
		c.busy[ai] += float64(it.units) * float64(hi-lo)
	}
}

// touched books the first touch of it at at (ns).
func (c *collector) touched(it *simItem, at int64) {
	if !it.measured {
		return
	}
	c.res.Touched++
	w := at - it.arr
	c.touchWaits = append(c.touchWaits, w)
	if w <= c.touchSLA {
		c.touchOK++
	}
}

// assigned books the first assignment of it to agent ai at at (ns), of the
// score tier tier.
func (c *collector) assigned(it *simItem, ai int, at int64, tier string) {
	if !it.measured {
		return
	}
	c.res.Assigned++
	c.count[ai]++
	if ti, ok := c.tierIdx[tier]; ok {
		c.tcount[ti][ai]++
	}
	w := at - it.arr
	c.waits = append(c.waits, w)
	if w <= c.slaNS {
		c.slaOK++
	}
}

// depth changes the number of waiting items at at (ns).
func (c *collector) depth(at int64, delta int64) {
	c.area(at)
	c.waiting += delta
	c.res.MaxQueueLen = max(c.res.MaxQueueLen, c.waiting)
}

func (c *collector) area(at int64) {
	t := min(max(at, c.warm), c.end)
	if t > c.lastDepthT {
		c.depthArea += float64(c.waiting) * float64(t-c.lastDepthT)
		c.lastDepthT = t
	}
}

// sample records the queue depth at the sampling instants up to at.
func (c *collector) sample(at int64) {
	for c.nextSample <= at && c.nextSample <= c.end {
		c.res.QueueDepth = append(c.res.QueueDepth, DepthSample{AtH: round(float64(c.nextSample)/float64(time.Hour), 4), Waiting: c.waiting})
		c.nextSample += c.interval
	}
}

func (c *collector) result(name string) Result {
	c.area(c.end)
	r := c.res
	r.Config = name
	r.QueueDepth = append([]DepthSample{}, r.QueueDepth...)
	if r.Arrivals > 0 {
		n := float64(r.Arrivals)
		r.PWait = float64(c.waited) / n
		r.ServiceLevel = float64(c.slaOK) / n
		r.AbandonRate = float64(r.Abandoned) / n
	}
	if win := c.end - c.warm; win > 0 {
		r.MeanQueueLen = c.depthArea / float64(win)
	}
	slices.Sort(c.waits)
	if n := len(c.waits); n > 0 {
		var sum float64
		for _, w := range c.waits {
			sum += float64(w)
		}
		r.MeanWaitS = sum / float64(n) / 1e9
		r.P50WaitS = quantile(c.waits, 0.50)
		r.P90WaitS = quantile(c.waits, 0.90)
		r.P99WaitS = quantile(c.waits, 0.99)
		r.MaxWaitS = float64(c.waits[n-1]) / 1e9
	}
	r.WaitHistogram = histogram(c.waits)
	slices.Sort(c.touchWaits)
	if n := len(c.touchWaits); n > 0 {
		var sum float64
		for _, w := range c.touchWaits {
			sum += float64(w)
		}
		r.MeanTouchWaitS = sum / float64(n) / 1e9
		r.P50TouchWaitS = quantile(c.touchWaits, 0.50)
		r.P90TouchWaitS = quantile(c.touchWaits, 0.90)
		r.P99TouchWaitS = quantile(c.touchWaits, 0.99)
	}
	if r.Arrivals > 0 {
		r.TouchServiceLevel = float64(c.touchOK) / float64(r.Arrivals)
	}
	var busy, avail float64
	var total int64
	var wsum int
	for i, a := range c.agents {
		if !c.serving[i] {
			continue
		}
		busy += c.busy[i]
		avail += c.avail[i]
		total += c.count[i]
		wsum += a.Weight
	}
	if avail > 0 {
		r.Utilisation = busy / avail
	}
	r.Agents = []AgentResult{}
	var norm []float64
	for i, a := range c.agents {
		if !c.serving[i] {
			continue
		}
		ar := AgentResult{ID: a.ID, Weight: a.Weight, Assigned: c.count[i]}
		if total > 0 {
			ar.Share = float64(c.count[i]) / float64(total)
		}
		if wsum > 0 {
			ar.WeightShare = float64(a.Weight) / float64(wsum)
		}
		if c.avail[i] > 0 {
			ar.Utilisation = c.busy[i] / c.avail[i]
		}
		r.Agents = append(r.Agents, ar)
		norm = append(norm, float64(c.count[i])/float64(max(a.Weight, 1)))
	}
	slices.SortFunc(r.Agents, func(a, b AgentResult) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	r.Fairness = fairness(norm)
	r.Tiers = c.tierResults(wsum)
	roundResult(&r)
	return r
}

// tierResults is fairness per tier over the serving agents, in agent id
// order; wsum is their total weight.
func (c *collector) tierResults(wsum int) []TierResult {
	var out []TierResult
	for ti, name := range c.tiers {
		tr := TierResult{Tier: name, Agents: []TierAgent{}}
		for i := range c.agents {
			if c.serving[i] {
				tr.Assigned += c.tcount[ti][i]
			}
		}
		var norm []float64
		for i, a := range c.agents {
			if !c.serving[i] {
				continue
			}
			ta := TierAgent{ID: a.ID, Weight: a.Weight, Assigned: c.tcount[ti][i]}
			if tr.Assigned > 0 {
				ta.Share = float64(ta.Assigned) / float64(tr.Assigned)
			}
			if wsum > 0 {
				ta.WeightShare = float64(a.Weight) / float64(wsum)
			}
			ta.Expected = float64(tr.Assigned) * ta.WeightShare
			tr.Agents = append(tr.Agents, ta)
			norm = append(norm, float64(ta.Assigned)/float64(max(a.Weight, 1)))
		}
		slices.SortFunc(tr.Agents, func(a, b TierAgent) int { return strings.Compare(a.ID, b.ID) })
		tr.Fairness = fairness(norm)
		out = append(out, tr)
	}
	return out
}

// quantile is the nearest-rank quantile of sorted ns values, in seconds.
func quantile(sorted []int64, p float64) float64 {
	k := int(math.Ceil(p*float64(len(sorted)))) - 1
	k = min(max(k, 0), len(sorted)-1)
	return float64(sorted[k]) / 1e9
}

func histogram(sorted []int64) []Bucket {
	out := make([]Bucket, 0, len(waitBounds)+1)
	i := 0
	for _, b := range waitBounds {
		lim := int64(b * 1e9)
		n := 0
		for i < len(sorted) && sorted[i] <= lim {
			i++
			n++
		}
		out = append(out, Bucket{LeS: b, Count: int64(n)})
	}
	out = append(out, Bucket{LeS: -1, Count: int64(len(sorted) - i)})
	return out
}

// fairness computes the Gini coefficient and max/min ratio of xs.
func fairness(xs []float64) Fairness {
	var f Fairness
	n := len(xs)
	if n == 0 {
		one := 1.0
		f.MaxMinRatio = &one
		return f
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	var sum, weighted float64
	for i, x := range s {
		sum += x
		weighted += float64(i+1) * x
	}
	if sum > 0 {
		f.Gini = 2*weighted/(float64(n)*sum) - float64(n+1)/float64(n)
		f.Gini = max(f.Gini, 0)
	}
	if s[0] > 0 {
		r := round(s[n-1]/s[0], 6)
		f.MaxMinRatio = &r
	} else if sum == 0 {
		one := 1.0
		f.MaxMinRatio = &one
	}
	return f
}

// round keeps d decimals so that reports stay readable; it is deterministic.
func round(x float64, d int) float64 {
	p := math.Pow(10, float64(d))
	return math.Round(x*p) / p
}

func roundResult(r *Result) {
	r.PWait = round(r.PWait, 6)
	r.MeanWaitS = round(r.MeanWaitS, 4)
	r.P50WaitS = round(r.P50WaitS, 4)
	r.P90WaitS = round(r.P90WaitS, 4)
	r.P99WaitS = round(r.P99WaitS, 4)
	r.MaxWaitS = round(r.MaxWaitS, 4)
	r.ServiceLevel = round(r.ServiceLevel, 6)
	r.AbandonRate = round(r.AbandonRate, 6)
	r.Utilisation = round(r.Utilisation, 6)
	r.MeanQueueLen = round(r.MeanQueueLen, 4)
	r.Fairness.Gini = round(r.Fairness.Gini, 6)
	r.MeanTouchWaitS = round(r.MeanTouchWaitS, 4)
	r.P50TouchWaitS = round(r.P50TouchWaitS, 4)
	r.P90TouchWaitS = round(r.P90TouchWaitS, 4)
	r.P99TouchWaitS = round(r.P99TouchWaitS, 4)
	r.TouchServiceLevel = round(r.TouchServiceLevel, 6)
	for i := range r.Tiers {
		t := &r.Tiers[i]
		t.Fairness.Gini = round(t.Fairness.Gini, 6)
		for j := range t.Agents {
			a := &t.Agents[j]
			a.Share = round(a.Share, 6)
			a.WeightShare = round(a.WeightShare, 6)
			a.Expected = round(a.Expected, 4)
		}
	}
	for i := range r.Agents {
		a := &r.Agents[i]
		a.Share = round(a.Share, 6)
		a.WeightShare = round(a.WeightShare, 6)
		a.Utilisation = round(a.Utilisation, 6)
	}
}
