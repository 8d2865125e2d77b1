package sim

import (
	"fmt"
	"math"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
)

// streamTouch seeds the touch draws.
const streamTouch = 0x70c4

// toucher draws, per assignment, the delay to its first touch and whether it
// is neglected. The draws are a hash of (seed, arrival number, assignment
// number), not a shared stream, so that every config sees the same delays
// for the same item's k-th assignment however differently the configs
// route: common random numbers survive re-assignments.
type toucher struct {
	kind    string
	mean    float64 // seconds
	mu      float64
	sigma   float64
	neglect float64
	late    int64 // ns: a neglected assignment not taken back is touched then
	seed    uint64
}

func newToucher(t *Touch, seed uint64) *toucher {
	if t == nil {
		return &toucher{late: int64(time.Hour)}
	}
	x := &toucher{kind: t.Distribution.Distribution, mean: t.MeanSeconds, sigma: t.Sigma, neglect: t.NeglectProbability,
		late: int64(t.NeglectedTouchAfterSeconds * 1e9), seed: seed ^ streamTouch<<32}
	if x.kind == "lognormal" {
		x.mu = math.Log(t.MeanSeconds) - t.Sigma*t.Sigma/2
	}
	return x
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unit is a uniform number in (0, 1).
func unit(h uint64) float64 { return (float64(h>>11) + 0.5) / (1 << 53) }

// draw returns the delay (ns) to the touch of it's next assignment and
// whether that assignment is neglected.
func (t *toucher) draw(it *simItem) (int64, bool) {
	it.k++
	if t.kind == "" && t.neglect == 0 {
		return 0, false
	}
	h := splitmix(t.seed ^ splitmix(it.n^uint64(it.k)<<40))
	neglected := !it.escalated && t.neglect > 0 && unit(h) < t.neglect
	h2 := splitmix(h)
	var s float64
	switch t.kind {
	case "fixed":
		s = t.mean
	case "exponential":
		s = -math.Log(unit(h2)) * t.mean
	case "lognormal":
		// Box–Muller from two uniforms.
		z := math.Sqrt(-2*math.Log(unit(h2))) * math.Cos(2*math.Pi*unit(splitmix(h2)))
		s = math.Exp(t.mu + t.sigma*z)
	}
	return int64(s * 1e9), neglected
}

// setupBreaks compiles every agent's breaks and sets those on a break at
// the start to the break status.
func (r *runner) setupBreaks(cfg allot.Config, scenarioAgents bool) error {
	reg := r.eng.Region()
	any := false
	r.brk = make([]*allot.CompiledSchedule, len(reg.Agents))
	for i := range reg.Agents {
		bs := r.scn.agentBreaks(reg.Agents[i].ID, scenarioAgents)
		if len(bs) == 0 {
			continue
		}
		cs, err := allot.CompileSchedule(&allot.Schedule{TimeZone: r.scn.TimeZone, Shifts: bs})
		if err != nil {
			return fmt.Errorf("breaks of agent %s: %w", reg.Agents[i].ID, err)
		}
		r.brk[i] = cs
		any = true
	}
	if !any {
		r.brk = nil
		return nil
	}
	r.onBreak = make([]bool, len(reg.Agents))
	cat := cfg.WithDefaults().Presence
	want := r.scn.BreakStatus
	for _, p := range cat {
		if want != "" && p.Name == want {
			if p.Routable {
				return fmt.Errorf("break_status %q is routable in the config's presence catalogue", want)
			}
			r.brkStatus = want
		}
	}
	if want == "" {
		for _, p := range cat {
			if !p.Routable && (p.Name == "break" || r.brkStatus == "") {
				r.brkStatus = p.Name
			}
		}
	}
	if r.brkStatus == "" {
		if want != "" {
			return fmt.Errorf("break_status %q is not in the config's presence catalogue", want)
		}
		return fmt.Errorf("breaks need a non-routable presence status; the config's catalogue has none")
	}
	for i, cs := range r.brk {
		if cs != nil {
			if err := r.breakChange(i, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

// breakChange puts agent ai on or off its break as its break schedule says
// at at (ns), and schedules the next change. An agent is put on a break only
// when routable (an offline agent stays offline) and back to the login
// status only when still in the break status. Breaks starting after the
// horizon are not taken (the run is draining); a running one always ends.
func (r *runner) breakChange(ai int, at int64) error {
	cs := r.brk[ai]
	now := r.start.Add(time.Duration(at))
	id := r.eng.Region().Agents[ai].ID
	st, _ := r.eng.Agent(id)
	switch in := cs.Contains(now); {
	case in && !r.onBreak[ai] && st.Routable:
		if _, err := r.apply(engine.AgentPresence{Agent: id, Status: r.brkStatus}); err != nil {
			return fmt.Errorf("break of agent %s: %w", id, err)
		}
		r.onBreak[ai] = true
	case !in && r.onBreak[ai]:
		r.onBreak[ai] = false
		if st.Presence == r.brkStatus {
			if _, err := r.apply(engine.AgentPresence{Agent: id, Status: r.loginState}); err != nil {
				return fmt.Errorf("end of break of agent %s: %w", id, err)
			}
		}
	}
	if n := cs.NextChange(now); !n.IsZero() {
		nn := int64(n.Sub(r.start))
		if nn < r.end || r.onBreak[ai] {
			r.push(event{at: nn, kind: evBreak, ag: int32(ai)})
		}
	}
	return nil
}
