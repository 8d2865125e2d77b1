package sim

import (
	"math"
	"math/rand/v2"
	"strconv"
	"time"
)

// Stream constants: one PCG stream per purpose, so that changing how handle
// times are drawn never shifts the arrival instants, and so on.
const (
	streamArrivals = 0xa441
	streamHandle   = 0x4a4d
	streamPatience = 0x9a71
	streamMix      = 0x313c
)

// arrival is one item to bring in, with its own handle time and patience
// (drawn at generation, so identical for every config).
type arrival struct {
	at       int64 // ns since the scenario start
	handle   int64 // ns of service
	patience int64 // ns of patience; <0 = never abandons
	kind     int   // index into the item kinds
	typ      string
	priority int
	attrs    map[string]any
}

// source yields arrivals in time order.
type source interface {
	next() (arrival, bool)
}

// dist draws durations in ns.
type dist struct {
	kind   string
	mean   float64 // seconds
	mu     float64 // lognormal
	sigma  float64
	values []float64 // empirical, seconds
	rng    *rand.Rand
}

func newDist(d *Distribution, seed, stream uint64, empirical []float64) *dist {
	x := &dist{kind: d.Distribution, mean: d.MeanSeconds, sigma: d.Sigma, values: d.ValuesSeconds,
		rng: rand.New(rand.NewPCG(seed, stream))}
	if x.kind == "lognormal" {
		x.mu = math.Log(d.MeanSeconds) - d.Sigma*d.Sigma/2
	}
	if x.kind == "empirical" && len(x.values) == 0 {
		x.values = empirical
	}
	return x
}

// draw returns a duration in ns, or recorded (ns) for "recorded".
func (d *dist) draw(recorded int64) int64 {
	var s float64
	switch d.kind {
	case "exponential":
		s = d.rng.ExpFloat64() * d.mean
	case "lognormal":
		s = math.Exp(d.mu + d.sigma*d.rng.NormFloat64())
	case "fixed":
		s = d.mean
	case "empirical":
		if len(d.values) == 0 {
			return recorded
		}
		s = d.values[d.rng.IntN(len(d.values))]
	default: // recorded
		return recorded
	}
	return int64(s * 1e9)
}

// generated is a non-homogeneous Poisson process by thinning: candidates at
// the peak rate, each kept with probability rate(t)/peak.
type generated struct {
	scn      *Scenario
	loc      *time.Location
	rng      *rand.Rand
	mixRng   *rand.Rand
	handle   *dist
	patience *dist
	peak     float64 // per ns
	hourly   [24]float64
	weekly   [7]float64
	maxMult  float64
	mixCum   []float64
	t        float64 // ns, last candidate
	horizon  float64
	n        uint64
}

func newGenerated(s *Scenario, seed uint64) *generated {
	g := &generated{scn: s, rng: rand.New(rand.NewPCG(seed, streamArrivals)), mixRng: rand.New(rand.NewPCG(seed, streamMix)),
		horizon: float64(s.Horizon)}
	g.loc, _ = time.LoadLocation(s.TimeZone)
	for i := range g.hourly {
		g.hourly[i] = 1
	}
	for i := range g.weekly {
		g.weekly[i] = 1
	}
	if p := s.Arrivals.Profile; p != nil {
		copy(g.hourly[:], p.Hourly)
		copy(g.weekly[:], p.Weekly)
	}
	mh, mw := 0.0, 0.0
	for _, v := range g.hourly {
		mh = max(mh, v)
	}
	for _, v := range g.weekly {
		mw = max(mw, v)
	}
	g.maxMult = mh * mw
	g.peak = s.Arrivals.RatePerHour * g.maxMult / float64(time.Hour)
	g.handle = newDist(&s.HandleTime, seed, streamHandle, nil)
	if s.Patience != nil {
		g.patience = newDist(s.Patience, seed, streamPatience, nil)
	}
	sum := 0.0
	for _, k := range s.Arrivals.Mix {
		sum += k.Weight
		g.mixCum = append(g.mixCum, sum)
	}
	return g
}

func (g *generated) multiplier(ns float64) float64 {
	if g.maxMult == 1 {
		return 1
	}
	t := g.scn.Start.Add(time.Duration(ns)).In(g.loc)
	wd := (int(t.Weekday()) + 6) % 7 // Monday = 0
	return g.hourly[t.Hour()] * g.weekly[wd]
}

func (g *generated) next() (arrival, bool) {
	for {
		g.t += g.rng.ExpFloat64() / g.peak
		if g.t >= g.horizon {
			return arrival{}, false
		}
		if g.maxMult != 1 && g.rng.Float64()*g.maxMult >= g.multiplier(g.t) {
			continue
		}
		a := arrival{at: int64(g.t), handle: g.handle.draw(0), patience: -1, typ: "call"}
		if g.patience != nil {
			a.patience = g.patience.draw(0)
		}
		if len(g.mixCum) > 0 {
			u := g.mixRng.Float64() * g.mixCum[len(g.mixCum)-1]
			k := 0
			for k < len(g.mixCum)-1 && u >= g.mixCum[k] {
				k++
			}
			m := &g.scn.Arrivals.Mix[k]
			a.kind, a.typ, a.priority, a.attrs = k, m.Type, m.Priority, m.Attributes
		}
		g.n++
		return a, true
	}
}

// replay yields prepared arrivals (from a CSV) in order.
type replay struct {
	rows []arrival
	i    int
}

func (r *replay) next() (arrival, bool) {
	if r.i >= len(r.rows) {
		return arrival{}, false
	}
	r.i++
	return r.rows[r.i-1], true
}

// itemID is the engine id of the n-th arrival (1-based), parsed back by
// itemNum.
func itemID(n uint64) string { return strconv.FormatUint(n, 10) }

func itemNum(id string) uint64 {
	n, _ := strconv.ParseUint(id, 10, 64)
	return n
}
