package sim

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/allot/allot"
)

func smallScenario() Scenario {
	return Scenario{Name: "small", Horizon: 48 * time.Hour, Warmup: time.Hour, SLASeconds: 20,
		Arrivals:   Arrivals{RatePerHour: 100, Profile: &Profile{Weekly: []float64{1, 1, 1, 1, 1, 0.5, 0.2}}},
		HandleTime: Distribution{Distribution: "lognormal", MeanSeconds: 180, Sigma: 0.7},
		Patience:   &Distribution{Distribution: "exponential", MeanSeconds: 240},
		Agents:     Agents{Count: 6}}
}

func reportJSON(t *testing.T, scn Scenario, cfgs []allot.Config, seed uint64) []byte {
	t.Helper()
	rep, err := Run(scn, cfgs, seed)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReproducible(t *testing.T) {
	t.Parallel()
	scn := smallScenario()
	a := reportJSON(t, scn, nil, 42)
	b := reportJSON(t, scn, nil, 42)
	if !bytes.Equal(a, b) {
		t.Fatal("same scenario and seed gave different JSON")
	}
	if c := reportJSON(t, scn, nil, 43); bytes.Equal(a, c) {
		t.Fatal("different seeds gave identical JSON")
	}
	for _, key := range []string{`"arrivals":`, `"assigned":`, `"abandoned":`, `"p_wait":`, `"mean_wait_s":`, `"p50_wait_s":`,
		`"p90_wait_s":`, `"p99_wait_s":`, `"service_level":`, `"utilisation":`, `"fairness":{"gini":`, `"max_min_ratio":`} {
		if !bytes.Contains(a, []byte(key)) {
			t.Errorf("JSON lacks %s", key)
		}
	}
}

// TestCommonRandomNumbers: two configs in one run see the same arrivals,
// and a config identical to the default gives identical results.
func TestCommonRandomNumbers(t *testing.T) {
	t.Parallel()
	scn := smallScenario()
	def := scn.DefaultConfig()
	rep, err := Run(scn, []allot.Config{def, def}, 5)
	if err != nil {
		t.Fatal(err)
	}
	a, b := rep.Results[0], rep.Results[1]
	a.Config, b.Config = "", ""
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	if !bytes.Equal(ja, jb) {
		t.Fatalf("identical configs on the same arrivals differ:\n%s\n%s", ja, jb)
	}
	if a.Arrivals == 0 || a.Abandoned == 0 || a.Assigned+a.Abandoned+a.Unassigned+a.Unroutable != a.Arrivals {
		t.Fatalf("accounting: %+v", a)
	}
}

// TestWeightedRoundRobin: with always-eligible agents (capacity never
// reached, no shifts), every agent's count stays within ±1 of its weighted
// share T·w/W — the engine's bound — also in simulation.
func TestWeightedRoundRobin(t *testing.T) {
	t.Parallel()
	scn := Scenario{Horizon: 200 * time.Hour, Arrivals: Arrivals{RatePerHour: 60},
		HandleTime: Distribution{Distribution: "fixed", MeanSeconds: 1},
		Agents: Agents{Capacity: 1000, Policy: allot.WeightedRoundRobin, List: []AgentSpec{
			{ID: "a", Weight: 1}, {ID: "b", Weight: 2}, {ID: "c", Weight: 3}, {ID: "d", Weight: 5}, {ID: "e", Weight: 7}}}}
	rep, err := Run(scn, nil, 9)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Arrivals < 10000 || r.Assigned != r.Arrivals || r.PWait != 0 {
		t.Fatalf("want every one of >10,000 arrivals assigned at once: %d arrivals, %d assigned, p_wait %v", r.Arrivals, r.Assigned, r.PWait)
	}
	for _, a := range r.Agents {
		share := float64(r.Assigned) * float64(a.Weight) / 18
		if math.Abs(float64(a.Assigned)-share) > 1 {
			t.Errorf("agent %s (weight %d): %d assignments, weighted share %.2f: beyond ±1", a.ID, a.Weight, a.Assigned, share)
		}
	}
	if r.Fairness.Gini > 0.001 || r.Fairness.MaxMinRatio == nil || *r.Fairness.MaxMinRatio > 1.01 {
		t.Errorf("fairness %+v: want near-perfect", r.Fairness)
	}
}

// TestShifts: agents working 09:00–17:00 on weekdays receive nothing outside
// their hours; the items of the night wait for the morning.
func TestShifts(t *testing.T) {
	t.Parallel()
	scn := Scenario{Horizon: 7 * 24 * time.Hour, Arrivals: Arrivals{RatePerHour: 10},
		HandleTime: Distribution{Distribution: "fixed", MeanSeconds: 60},
		Agents:     Agents{Count: 2, Shifts: []Shift{{Shift: allot.Shift{Days: "mon-fri", Start: "09:00", End: "17:00"}}}}}
	rep, err := Run(scn, nil, 3)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Unassigned != 0 || r.Assigned != r.Arrivals {
		t.Fatalf("every item should be served by Monday after the horizon: %+v", r)
	}
	if r.MaxWaitS < 40*3600 { // Friday 17:00 → Monday 09:00 is 64 h
		t.Errorf("max wait %.0f s: weekend items should wait for Monday", r.MaxWaitS)
	}
	if r.Utilisation <= 0 || r.Utilisation > 1 {
		t.Errorf("utilisation %v out of (0, 1]", r.Utilisation)
	}
}

func TestScenarioErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, in, want string }{
		{"unknown key", "horizon: 1h\narrivals:\n  rate_per_hour: 10\n  rate: 3\n", "s.yaml:4"},
		{"bad type", "horizon: 1h\narrivals:\n  rate_per_hour: lots\n", "s.yaml:3"},
		{"bad duration", "horizon: soon\n", "s.yaml:1"},
		{"syntax", "horizon: [1h\n", "s.yaml:"},
		{"missing", "horizon: 1h\narrivals: {rate_per_hour: 10}\n", "handle_time.distribution: required"},
		{"profile", "horizon: 1h\nagents: {count: 1}\nhandle_time: {distribution: fixed, mean_seconds: 1}\narrivals: {rate_per_hour: 10, profile: {hourly: [1, 2]}}\n", "arrivals.profile.hourly: want 24"},
		{"distribution", "horizon: 1h\nagents: {count: 1}\nhandle_time: {distribution: gamma}\narrivals: {rate_per_hour: 10}\n", `unknown distribution "gamma"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParseScenario([]byte(tc.in), "s.yaml")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestTableAndHTML(t *testing.T) {
	t.Parallel()
	scn := smallScenario()
	def := scn.DefaultConfig()
	fast := scn.DefaultConfig()
	fast.Regions[0].Agents = append(fast.Regions[0].Agents, allot.Agent{ID: "extra", Capacity: allot.Capacity{Total: 1}, Presence: "available"})
	fast.Regions[0].Queues[0].Members = append(fast.Regions[0].Queues[0].Members, "extra")
	rep, err := Run(scn, []allot.Config{def, fast}, 1)
	if err != nil {
		t.Fatal(err)
	}
	var tb, hb bytes.Buffer
	WriteTable(&tb, rep)
	if !strings.Contains(tb.String(), "mean wait (s)") || !strings.Contains(tb.String(), "better") {
		t.Errorf("table:\n%s", tb.String())
	}
	if err := WriteHTML(&hb, rep); err != nil {
		t.Fatal(err)
	}
	h := hb.String()
	if !strings.Contains(h, "<svg") || strings.Contains(h, "<script") || strings.Contains(h, "http://") && !strings.Contains(h, "xmlns=\"http://www.w3.org/2000/svg\"") {
		t.Errorf("HTML not self-contained or without charts")
	}
}
