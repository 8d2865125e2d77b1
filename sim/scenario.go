package sim

import (
	"bytes"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/configfile"
)

// Scenario describes a whole simulated run: who arrives when, how long work
// takes, who works, the SLA target, and optionally the config to run. Decode
// it with LoadScenario (strict: unknown keys are errors with their line).
type Scenario struct {
	Name string `yaml:"name,omitempty"`
	// Start is the virtual instant the run begins (RFC 3339); default
	// 2024-01-01T00:00:00Z, a Monday.
	Start time.Time `yaml:"start,omitempty"`
	// Horizon is how long arrivals are generated or replayed, e.g. "720h".
	// For a CSV replay it defaults to the span of the file.
	Horizon time.Duration `yaml:"horizon,omitempty"`
	// Warmup is the initial period left out of every statistic.
	Warmup time.Duration `yaml:"warmup,omitempty"`
	// Seed seeds the random streams; --seed wins over it. 0 means 1.
	Seed uint64 `yaml:"seed,omitempty"`
	// SLASeconds is the service-level target: the share of arrivals assigned
	// within it is reported. 0 means 20 s.
	SLASeconds float64 `yaml:"sla_seconds,omitempty"`
	// TimeZone is the IANA zone of the arrival profile's hours and days
	// (default UTC).
	TimeZone string `yaml:"time_zone,omitempty"`

	Arrivals   Arrivals      `yaml:"arrivals"`
	HandleTime Distribution  `yaml:"handle_time"`
	Patience   *Distribution `yaml:"patience,omitempty"`
	// Touch is how agents respond to an assignment (or offer): the delay to
	// the first touch and the chance it is never touched. Default: touched
	// the instant it is assigned, never neglected.
	Touch  *Touch `yaml:"touch,omitempty"`
	Agents Agents `yaml:"agents,omitempty"`
	// Breaks are breaks of the agents of every config run (also --config
	// ones), in the scenario's time zone; scenario agents may also list
	// breaks in their shifts.
	Breaks []AgentBreak `yaml:"breaks,omitempty"`
	// BreakStatus is the presence status an agent is set to for a break
	// (it must be a non-routable status of the config's catalogue); default
	// "break" when the catalogue has it, else its first non-routable status.
	BreakStatus string `yaml:"break_status,omitempty"`

	// Region is the config region to drive; default its first region.
	Region string `yaml:"region,omitempty"`
	// Config, when set, is the config run when no --config is given. When
	// neither is given the default config is one queue of every scenario
	// agent with round_robin.
	Config *allot.Config `yaml:"config,omitempty"`

	// Dir is the directory relative paths in the scenario (arrivals.csv.path)
	// are resolved against; LoadScenario sets it to the file's directory.
	Dir string `yaml:"-"`
	// File names the scenario in errors and reports.
	File string `yaml:"-"`
}

// Arrivals says who arrives when: a Poisson process of RatePerHour modulated by
// Profile, or the rows of a CSV.
type Arrivals struct {
	RatePerHour float64  `yaml:"rate_per_hour,omitempty"`
	Profile     *Profile `yaml:"profile,omitempty"`
	CSV         *CSV     `yaml:"csv,omitempty"`
	// Mix lists the kinds of item generated, drawn by weight; default one
	// kind: type "call", no attributes.
	Mix []ItemKind `yaml:"mix,omitempty"`
}

// Profile modulates the arrival rate: the rate at an instant is
// rate_per_hour × hourly[hour of day] × weekly[day of week] (Monday first), in
// the scenario's time zone. Either list may be omitted (all 1).
type Profile struct {
	Hourly []float64 `yaml:"hourly,omitempty"`
	Weekly []float64 `yaml:"weekly,omitempty"`
}

// ItemKind is one kind of generated item.
type ItemKind struct {
	Weight     float64        `yaml:"weight,omitempty"` // default 1
	Type       string         `yaml:"type,omitempty"`   // default "call"
	Priority   int            `yaml:"priority,omitempty"`
	Attributes map[string]any `yaml:"attributes,omitempty"`
}

// Distribution is a random duration: exponential, lognormal or fixed with
// MeanSeconds (lognormal also Sigma, the standard deviation of the log), or
// empirical: drawn uniformly from ValuesSeconds, or from the handle times of
// the arrivals CSV. In a CSV replay "recorded" (the default there) uses each
// row's own value.
type Distribution struct {
	Distribution  string    `yaml:"distribution"`
	MeanSeconds   float64   `yaml:"mean_seconds,omitempty"`
	Sigma         float64   `yaml:"sigma,omitempty"`
	ValuesSeconds []float64 `yaml:"values_seconds,omitempty"`
}

// Touch models the first touch of each assignment: Distribution (fixed,
// exponential or lognormal, in seconds after the assignment or offer) is the
// delay to the touch (accepting an offer is its touch); with
// NeglectProbability the assignment is never touched, so the engine's
// response SLA (or offer timeout) takes it back and routes it again. Handle
// time starts at the touch.
type Touch struct {
	Distribution `yaml:",inline"`
	// NeglectProbability is the chance, drawn per assignment, that the agent
	// never touches it (0–1). An escalated item is never neglected.
	NeglectProbability float64 `yaml:"neglect_probability,omitempty"`
	// SLASeconds is the target for the wait from arrival to first touch;
	// default the scenario's sla_seconds.
	SLASeconds float64 `yaml:"sla_seconds,omitempty"`
	// NeglectedTouchAfterSeconds: a neglected assignment the engine does not
	// take back (no response SLA on its queue) is touched after this long,
	// so that no agent holds it for ever. Default 3600.
	NeglectedTouchAfterSeconds float64 `yaml:"neglected_touch_after_seconds,omitempty"`
}

// Shift is an agent's shift (days, start, end, as in the config) with its
// breaks.
type Shift struct {
	allot.Shift `yaml:",inline"`
	// Breaks inside the shift, local times "HH:MM" on the shift's days.
	Breaks []Break `yaml:"breaks,omitempty"`
}

// Break is a break, local times "12:30"–"13:00".
type Break struct {
	Start string `yaml:"start"`
	End   string `yaml:"end"`
}

// AgentBreak is a break of the named agents (all agents of the config when
// Agents is empty) on Days ("mon-fri", as shifts).
type AgentBreak struct {
	Agents []string `yaml:"agents,omitempty"`
	Days   string   `yaml:"days"`
	Start  string   `yaml:"start"`
	End    string   `yaml:"end"`
}

// Agents are the scenario's agents, used by the default config: Count agents
// named a01, a02, ... or the listed ones.
type Agents struct {
	Count int `yaml:"count,omitempty"`
	// Capacity is each agent's capacity in items (default 1).
	Capacity int         `yaml:"capacity,omitempty"`
	List     []AgentSpec `yaml:"list,omitempty"`
	Shifts   []Shift     `yaml:"shifts,omitempty"`
	// Policy of the default queue (default round_robin).
	Policy allot.Policy `yaml:"policy,omitempty"`
}

// AgentSpec is one listed agent. Zero fields take the Agents defaults.
type AgentSpec struct {
	ID       string  `yaml:"id"`
	Weight   int     `yaml:"weight,omitempty"`
	Capacity int     `yaml:"capacity,omitempty"`
	Shifts   []Shift `yaml:"shifts,omitempty"`
}

// DefaultStart is the virtual start of a scenario that names none: a Monday.
var DefaultStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// LoadScenario reads and checks the scenario file at path.
func LoadScenario(path string) (Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	return ParseScenario(b, path)
}

// ParseScenario decodes and checks a scenario; name is the file name used in
// errors and for resolving relative paths.
func ParseScenario(b []byte, name string) (Scenario, error) {
	var s Scenario
	if err := DecodeYAML(bytes.NewReader(b), name, &s); err != nil {
		return Scenario{}, err
	}
	s.File = name
	s.Dir = filepath.Dir(name)
	if err := s.Validate(); err != nil {
		return Scenario{}, err
	}
	return s, nil
}

// DecodeYAML decodes one YAML document from r into v strictly: unknown keys
// and type mismatches are errors. Every error names the file, its line and
// column and the field path ("scenario.yaml:7:3: arrivals.ratee: unknown
// field ..."). It is configfile.DecodeYAML, the one strict decoder.
func DecodeYAML(r io.Reader, name string, v any) error {
	return configfile.DecodeYAML(r, name, v)
}

// Validate applies defaults and returns every problem with its field path.
func (s *Scenario) Validate() error {
	var ps allot.Problems
	if s.Start.IsZero() {
		s.Start = DefaultStart
	}
	if s.SLASeconds == 0 {
		s.SLASeconds = 20
	}
	if s.SLASeconds < 0 {
		ps.Add("sla_seconds", "must not be negative")
	}
	if s.TimeZone == "" {
		s.TimeZone = "UTC"
	}
	if _, err := time.LoadLocation(s.TimeZone); err != nil {
		ps.Add("time_zone", fmt.Sprintf("unknown time zone %q; want an IANA name such as Europe/Paris", s.TimeZone))
	}
	a := &s.Arrivals
	switch {
	case a.CSV == nil && a.RatePerHour <= 0:
		ps.Add("arrivals.rate_per_hour", "required and positive (or give arrivals.csv)")
	case a.CSV != nil && a.RatePerHour != 0:
		ps.Add("arrivals", "give rate_per_hour or csv, not both")
	case math.IsInf(a.RatePerHour, 0) || math.IsNaN(a.RatePerHour):
		ps.Add("arrivals.rate_per_hour", "must be a finite number")
	}
	if a.CSV == nil && s.Horizon <= 0 {
		ps.Add("horizon", `required for generated arrivals, e.g. "720h"`)
	}
	if s.Warmup < 0 || (s.Horizon > 0 && s.Warmup >= s.Horizon) {
		ps.Add("warmup", "must be at least 0 and shorter than the horizon")
	}
	if p := a.Profile; p != nil {
		if len(p.Hourly) != 0 && len(p.Hourly) != 24 {
			ps.Add("arrivals.profile.hourly", fmt.Sprintf("want 24 multipliers (hours 0–23), got %d", len(p.Hourly)))
		}
		if len(p.Weekly) != 0 && len(p.Weekly) != 7 {
			ps.Add("arrivals.profile.weekly", fmt.Sprintf("want 7 multipliers (Monday first), got %d", len(p.Weekly)))
		}
		pos := false
		for i, v := range append(append([]float64(nil), p.Hourly...), p.Weekly...) {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				ps.Add("arrivals.profile", fmt.Sprintf("multiplier %d: want a finite number ≥ 0, got %v", i, v))
			}
			if v > 0 {
				pos = true
			}
		}
		if !pos && len(p.Hourly)+len(p.Weekly) > 0 {
			ps.Add("arrivals.profile", "at least one multiplier must be positive")
		}
	}
	if a.CSV != nil {
		a.CSV.validate(&ps)
	}
	for i := range a.Mix {
		k := &a.Mix[i]
		if k.Weight == 0 {
			k.Weight = 1
		}
		if k.Type == "" {
			k.Type = "call"
		}
		if k.Weight < 0 {
			ps.Add(fmt.Sprintf("arrivals.mix[%d].weight", i), "must be positive")
		}
		ps.AddAll(fmt.Sprintf("arrivals.mix[%d].attributes", i), allot.ValidateAttributes(k.Attributes))
	}
	if s.HandleTime.Distribution == "" && a.CSV != nil {
		s.HandleTime.Distribution = "recorded"
	}
	s.HandleTime.validate("handle_time", a.CSV != nil, &ps)
	if s.Patience != nil {
		s.Patience.validate("patience", a.CSV != nil, &ps)
	}
	if t := s.Touch; t != nil {
		switch t.Distribution.Distribution {
		case "", "fixed", "exponential", "lognormal":
		default:
			ps.Add("touch.distribution", fmt.Sprintf("unknown distribution %q; want fixed, exponential or lognormal", t.Distribution.Distribution))
		}
		if t.Distribution.Distribution != "" {
			t.Distribution.validate("touch", false, &ps)
		} else if t.MeanSeconds != 0 || t.Sigma != 0 || len(t.ValuesSeconds) > 0 {
			ps.Add("touch.distribution", "required with mean_seconds: fixed, exponential or lognormal")
		}
		if !(t.NeglectProbability >= 0 && t.NeglectProbability <= 1) {
			ps.Add("touch.neglect_probability", "want a probability between 0 and 1")
		}
		if t.SLASeconds == 0 {
			t.SLASeconds = s.SLASeconds
		}
		if t.SLASeconds < 0 {
			ps.Add("touch.sla_seconds", "must not be negative")
		}
		if t.NeglectedTouchAfterSeconds == 0 {
			t.NeglectedTouchAfterSeconds = 3600
		}
		if !(t.NeglectedTouchAfterSeconds > 0) {
			ps.Add("touch.neglected_touch_after_seconds", "must be positive")
		}
	}
	for i, b := range s.Breaks {
		p := fmt.Sprintf("breaks[%d]", i)
		if _, err := allot.CompileSchedule(&allot.Schedule{TimeZone: "UTC", Shifts: []allot.Shift{{Days: b.Days, Start: b.Start, End: b.End}}}); err != nil {
			ps.Add(p, err.Error())
		}
	}
	checkShifts := func(path string, shifts []Shift) {
		for i, sh := range shifts {
			for j, b := range sh.Breaks {
				p := fmt.Sprintf("%s.shifts[%d].breaks[%d]", path, i, j)
				if msg := breakProblem(sh.Shift, b); msg != "" {
					ps.Add(p, msg)
				}
			}
		}
	}
	checkShifts("agents", s.Agents.Shifts)
	for i, sp := range s.Agents.List {
		checkShifts(fmt.Sprintf("agents.list[%d]", i), sp.Shifts)
	}
	ag := &s.Agents
	if ag.Capacity == 0 {
		ag.Capacity = 1
	}
	if ag.Capacity < 0 {
		ps.Add("agents.capacity", "must be positive")
	}
	if ag.Count < 0 {
		ps.Add("agents.count", "must not be negative")
	}
	if ag.Count > 0 && len(ag.List) > 0 {
		ps.Add("agents", "give count or list, not both")
	}
	if ag.Policy == "" {
		ag.Policy = allot.RoundRobin
	}
	seen := map[string]bool{}
	for i, sp := range ag.List {
		if sp.ID == "" {
			ps.Add(fmt.Sprintf("agents.list[%d].id", i), "required")
		} else if seen[sp.ID] {
			ps.Add(fmt.Sprintf("agents.list[%d].id", i), fmt.Sprintf("duplicate agent %q", sp.ID))
		}
		seen[sp.ID] = true
	}
	return ps.Err("invalid scenario " + s.File)
}

func (d *Distribution) validate(path string, csv bool, ps *allot.Problems) {
	switch d.Distribution {
	case "exponential", "fixed":
		if d.MeanSeconds <= 0 {
			ps.Add(path+".mean_seconds", "required and positive")
		}
	case "lognormal":
		if d.MeanSeconds <= 0 {
			ps.Add(path+".mean_seconds", "required and positive")
		}
		if d.Sigma <= 0 {
			ps.Add(path+".sigma", "required and positive for lognormal (the standard deviation of the log)")
		}
	case "empirical":
		if len(d.ValuesSeconds) == 0 && !csv {
			ps.Add(path+".values_seconds", "required for empirical without an arrivals CSV")
		}
		for i, v := range d.ValuesSeconds {
			if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
				ps.Add(fmt.Sprintf("%s.values_seconds[%d]", path, i), "want a finite number ≥ 0")
			}
		}
	case "recorded":
		if !csv {
			ps.Add(path+".distribution", `"recorded" needs an arrivals CSV`)
		}
	case "":
		ps.Add(path+".distribution", "required: exponential, lognormal, fixed or empirical")
	default:
		ps.Add(path+".distribution", fmt.Sprintf("unknown distribution %q; want exponential, lognormal, fixed, empirical or recorded", d.Distribution))
	}
}

// DefaultConfig is the config run when neither --config nor an embedded
// config is given: region "sim" with one queue "main" of every scenario agent,
// the scenario's policy (default round_robin), FIFO order.
func (s *Scenario) DefaultConfig() allot.Config {
	r := allot.Region{ID: "sim", Name: "simulated", TimeZone: s.TimeZone, DefaultQueue: "main"}
	q := allot.Queue{ID: "main", Policy: s.Agents.Policy, Order: "fifo"}
	add := func(id string, weight, capacity int, shifts []Shift) {
		if capacity == 0 {
			capacity = s.Agents.Capacity
		}
		if len(shifts) == 0 {
			shifts = s.Agents.Shifts
		}
		a := allot.Agent{ID: id, Weight: weight, Capacity: allot.Capacity{Total: capacity}, Presence: "available"}
		if len(shifts) > 0 {
			a.Schedule = &allot.Schedule{TimeZone: s.TimeZone}
			for _, sh := range shifts {
				a.Schedule.Shifts = append(a.Schedule.Shifts, sh.Shift)
			}
		}
		r.Agents = append(r.Agents, a)
		q.Members = append(q.Members, id)
	}
	if len(s.Agents.List) > 0 {
		for _, sp := range s.Agents.List {
			add(sp.ID, sp.Weight, sp.Capacity, sp.Shifts)
		}
	} else {
		w := len(fmt.Sprint(s.Agents.Count))
		if w < 2 {
			w = 2
		}
		for i := 1; i <= s.Agents.Count; i++ {
			add(fmt.Sprintf("a%0*d", w, i), 1, 0, nil)
		}
	}
	r.Queues = []allot.Queue{q}
	return allot.Config{Regions: []allot.Region{r}}
}

// minutes parses a local time "HH:MM" (up to "24:00") into minutes.
func minutes(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%d:%d", &h, &m); err != nil || h < 0 || m < 0 || m > 59 || h*60+m > 24*60 {
		return 0, false
	}
	return h*60 + m, true
}

// breakProblem says what is wrong with break b of shift sh, or "".
func breakProblem(sh allot.Shift, b Break) string {
	bs, ok1 := minutes(b.Start)
	be, ok2 := minutes(b.End)
	if !ok1 || !ok2 {
		return fmt.Sprintf("want local times \"HH:MM\", got %q–%q", b.Start, b.End)
	}
	if bs >= be {
		return fmt.Sprintf("the break must end after it starts (%s–%s)", b.Start, b.End)
	}
	ss, ok1 := minutes(sh.Start)
	se, ok2 := minutes(sh.End)
	if !ok1 || !ok2 {
		return "" // the shift's own problem is reported by the config
	}
	if ss < se && (bs < ss || be > se) {
		return fmt.Sprintf("the break %s–%s is not inside the shift %s–%s", b.Start, b.End, sh.Start, sh.End)
	}
	if ss >= se && bs < ss {
		return fmt.Sprintf("a break after midnight in the overnight shift %s–%s: list it under the scenario's breaks with its days", sh.Start, sh.End)
	}
	return ""
}

// agentBreaks returns the breaks of agent id as shifts (days, start, end) in
// the scenario's time zone: those of its scenario shifts when the config run
// is the scenario's default one (withShifts), and the scenario's breaks
// naming it (or every agent).
func (s *Scenario) agentBreaks(id string, withShifts bool) []allot.Shift {
	var out []allot.Shift
	if withShifts {
		shifts := s.Agents.Shifts
		for _, sp := range s.Agents.List {
			if sp.ID == id && len(sp.Shifts) > 0 {
				shifts = sp.Shifts
			}
		}
		for _, sh := range shifts {
			for _, b := range sh.Breaks {
				out = append(out, allot.Shift{Days: sh.Days, Start: b.Start, End: b.End})
			}
		}
	}
	for _, b := range s.Breaks {
		if len(b.Agents) == 0 || slices.Contains(b.Agents, id) {
			out = append(out, allot.Shift{Days: b.Days, Start: b.Start, End: b.End})
		}
	}
	return out
}
