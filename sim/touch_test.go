package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/allot/allot"
)

// touchScenario: 8 agents at ~60% load, touches after ~1 minute, and a
// queue with a 5-minute response SLA.
func touchScenario(neglect float64) (Scenario, allot.Config) {
	scn := Scenario{Name: "touch", Horizon: 24 * time.Hour, Warmup: time.Hour, SLASeconds: 20,
		Arrivals:   Arrivals{RatePerHour: 90},
		HandleTime: Distribution{Distribution: "exponential", MeanSeconds: 180},
		Patience:   &Distribution{Distribution: "exponential", MeanSeconds: 600},
		Touch:      &Touch{Distribution: Distribution{Distribution: "lognormal", MeanSeconds: 60, Sigma: 0.5}, NeglectProbability: neglect, SLASeconds: 120},
		Agents:     Agents{Count: 8}}
	if err := scn.Validate(); err != nil {
		panic(err)
	}
	cfg := scn.DefaultConfig()
	cfg.Regions[0].Queues[0].SLAMinutes = 5
	return scn, cfg
}

func TestTouchAndNeglect(t *testing.T) {
	t.Parallel()
	for _, p := range []float64{0, 0.3} {
		scn, cfg := touchScenario(p)
		rep, err := Run(scn, []allot.Config{cfg}, 3)
		if err != nil {
			t.Fatal(err)
		}
		r := rep.Results[0]
		t.Logf("neglect %.1f: arrivals %d assigned %d abandoned %d unassigned %d touched %d untouched %d reassignments %d escalations %d touch wait mean %.1fs p90 %.1fs, touch SL %.3f",
			p, r.Arrivals, r.Assigned, r.Abandoned, r.Unassigned, r.Touched, r.Untouched, r.Reassignments, r.Escalations, r.MeanTouchWaitS, r.P90TouchWaitS, r.TouchServiceLevel)
		// No item is lost: every arrival ends assigned, abandoned,
		// unroutable or still waiting; every assigned one is touched or
		// counted untouched.
		if r.Arrivals == 0 || r.Assigned+r.Abandoned+r.Unroutable+r.Unassigned != r.Arrivals {
			t.Fatalf("accounting: %+v", r)
		}
		if r.Touched+r.Untouched != r.Assigned {
			t.Fatalf("touched %d + untouched %d != assigned %d", r.Touched, r.Untouched, r.Assigned)
		}
		if r.Unassigned != 0 || r.Untouched != 0 {
			t.Fatalf("items left over at the end of the drain: unassigned %d, untouched %d", r.Unassigned, r.Untouched)
		}
		if r.MeanTouchWaitS < r.MeanWaitS || r.P50TouchWaitS <= 0 || r.P99TouchWaitS < r.P90TouchWaitS || r.P90TouchWaitS < r.P50TouchWaitS {
			t.Fatalf("touch waits: mean %v (assignment wait %v), p50 %v p90 %v p99 %v", r.MeanTouchWaitS, r.MeanWaitS, r.P50TouchWaitS, r.P90TouchWaitS, r.P99TouchWaitS)
		}
		if p == 0 {
			if r.Reassignments != 0 || r.Escalations != 0 {
				t.Fatalf("no neglect but %d re-assignments, %d escalations", r.Reassignments, r.Escalations)
			}
			// The touch comes lognormal(mean 60 s) after the assignment.
			if d := r.MeanTouchWaitS - r.MeanWaitS; d < 55 || d > 65 {
				t.Fatalf("mean wait to first touch %.1f s, to assignment %.1f s: want about 60 s between", r.MeanTouchWaitS, r.MeanWaitS)
			}
			continue
		}
		// About 30% of assignments are neglected and taken back at 5 min.
		if r.Reassignments < r.Arrivals/5 {
			t.Fatalf("neglect 0.3: only %d re-assignments for %d arrivals", r.Reassignments, r.Arrivals)
		}
		if r.P90TouchWaitS < 300 {
			t.Fatalf("neglect 0.3: p90 wait to first touch %.0f s, want beyond the 5-minute SLA", r.P90TouchWaitS)
		}
	}
}

// TestTouchCommonRandomNumbers: touch draws do not depend on the routing,
// and a run stays reproducible.
func TestTouchReproducible(t *testing.T) {
	t.Parallel()
	scn, cfg := touchScenario(0.3)
	scn.Horizon = 6 * time.Hour
	a := reportJSON(t, scn, []allot.Config{cfg}, 9)
	b := reportJSON(t, scn, []allot.Config{cfg}, 9)
	if string(a) != string(b) {
		t.Fatal("same inputs gave different JSON with touches")
	}
}

// TestOfferTimeouts: in an offer-mode queue a neglected offer times out and
// goes to the next agent; it counts as a re-assignment.
func TestOfferTimeouts(t *testing.T) {
	t.Parallel()
	scn, cfg := touchScenario(0.3)
	scn.Horizon = 8 * time.Hour
	q := &cfg.Regions[0].Queues[0]
	q.SLAMinutes = 0
	q.OfferTimeoutSeconds = 60
	rep, err := Run(scn, []allot.Config{cfg}, 4)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if r.Reassignments == 0 || r.Touched+r.Untouched != r.Assigned || r.Assigned+r.Abandoned+r.Unassigned+r.Unroutable != r.Arrivals {
		t.Fatalf("offers: %+v", r)
	}
}

func TestBreaks(t *testing.T) {
	t.Parallel()
	shift := Shift{Shift: allot.Shift{Days: "mon-sun", Start: "08:00", End: "18:00"},
		Breaks: []Break{{Start: "12:00", End: "12:45"}}}
	scn := Scenario{Name: "breaks", Horizon: 72 * time.Hour, SLASeconds: 20,
		Arrivals:   Arrivals{RatePerHour: 40},
		HandleTime: Distribution{Distribution: "exponential", MeanSeconds: 120},
		Agents: Agents{List: []AgentSpec{{ID: "ana", Shifts: []Shift{shift}}, {ID: "bo", Shifts: []Shift{shift}},
			{ID: "cy"}}, Shifts: nil},
		Breaks: []AgentBreak{{Agents: []string{"cy"}, Days: "mon-sun", Start: "15:00", End: "15:30"}}}
	if err := scn.Validate(); err != nil {
		t.Fatal(err)
	}
	inBreak := func(agent string, at time.Time) bool {
		m := at.Hour()*60 + at.Minute()
		switch agent {
		case "ana", "bo":
			return m >= 12*60 && m < 12*60+45
		case "cy":
			return m >= 15*60 && m < 15*60+30
		}
		return false
	}
	var assigned, traced, duringBreak int
	opt := Options{trace: func(d *allot.Decision, onBreak bool) {
		if d.Kind != allot.DecisionAssigned && d.Kind != allot.DecisionReassigned && d.Kind != allot.DecisionOffered {
			return
		}
		assigned++
		if onBreak || inBreak(d.Agent, d.At.UTC()) {
			duringBreak++
			t.Errorf("%s assigned to %s at %s, during a break", d.Item, d.Agent, d.At.UTC().Format(time.RFC3339))
		}
		traced++
	}}
	rep, err := RunNamed(scn, nil, 2, opt)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if assigned == 0 || r.Assigned+r.Abandoned+r.Unassigned+r.Unroutable != r.Arrivals {
		t.Fatalf("accounting: %d traced, %+v", traced, r)
	}
	// cy (no shift) covers ana and bo's lunch: waits stay short, and cy is
	// busier than without breaks.
	var cy, ana AgentResult
	for _, a := range r.Agents {
		switch a.ID {
		case "cy":
			cy = a
		case "ana":
			ana = a
		}
	}
	if cy.Assigned <= ana.Assigned {
		t.Errorf("cy (always on, short break) %d assignments, ana %d: want cy more", cy.Assigned, ana.Assigned)
	}
	// Bad breaks are input errors.
	bad := scn
	bad.Agents.List = []AgentSpec{{ID: "ana", Shifts: []Shift{{Shift: shift.Shift, Breaks: []Break{{Start: "19:00", End: "19:30"}}}}}}
	if err := bad.Validate(); err == nil {
		t.Fatal("a break outside its shift was accepted")
	}
}

// TestTierFairness: with quota_fair and tiers, every agent's count per tier
// stays within ±1 of its weighted share of that tier.
func TestTierFairness(t *testing.T) {
	t.Parallel()
	scn := Scenario{Name: "tiers", Horizon: 48 * time.Hour, SLASeconds: 20,
		Arrivals: Arrivals{RatePerHour: 120, Mix: []ItemKind{
			{Weight: 1, Type: "lead", Attributes: map[string]any{"hot": true}},
			{Weight: 3, Type: "lead", Attributes: map[string]any{"hot": false}}}},
		HandleTime: Distribution{Distribution: "exponential", MeanSeconds: 60},
		Agents: Agents{Capacity: 100, Policy: allot.QuotaFair, List: []AgentSpec{
			{ID: "a", Weight: 1}, {ID: "b", Weight: 2}, {ID: "c", Weight: 3}, {ID: "d", Weight: 1}}}}
	if err := scn.Validate(); err != nil {
		t.Fatal(err)
	}
	cfg := scn.DefaultConfig()
	reg := &cfg.Regions[0]
	reg.Tiers = []allot.Tier{{Name: "hot", MinScore: 50}, {Name: "cold", MinScore: 0}}
	reg.ScoringRules = []allot.ScoringRule{{Name: "hot", When: "item.hot == true", Points: 60}}
	rep, err := Run(scn, []allot.Config{cfg}, 11)
	if err != nil {
		t.Fatal(err)
	}
	r := rep.Results[0]
	if len(r.Tiers) != 2 {
		t.Fatalf("want 2 tiers, got %+v", r.Tiers)
	}
	var total int64
	for _, tr := range r.Tiers {
		total += tr.Assigned
		if tr.Assigned < 100 {
			t.Fatalf("tier %s: only %d assignments", tr.Tier, tr.Assigned)
		}
		for _, a := range tr.Agents {
			if d := float64(a.Assigned) - a.Expected; d < -1 || d > 1 {
				t.Errorf("tier %s agent %s: %d assignments, weighted share %.2f (off by %.2f)", tr.Tier, a.ID, a.Assigned, a.Expected, d)
			}
		}
		if tr.Fairness.Gini > 0.01 || tr.Fairness.MaxMinRatio == nil || *tr.Fairness.MaxMinRatio > 1.05 {
			t.Errorf("tier %s fairness %+v", tr.Tier, tr.Fairness)
		}
	}
	if total != r.Assigned {
		t.Fatalf("tiers add up to %d, assigned %d", total, r.Assigned)
	}
}

func TestParseTouchAndBreaks(t *testing.T) {
	t.Parallel()
	y := `horizon: 2h
arrivals: {rate_per_hour: 30}
handle_time: {distribution: fixed, mean_seconds: 60}
agents:
  count: 2
  shifts:
    - {days: mon-sun, start: "00:00", end: "24:00", breaks: [{start: "00:30", end: "00:45"}]}
breaks:
  - {agents: [a01], days: mon-sun, start: "01:00", end: "01:10"}
touch: {distribution: exponential, mean_seconds: 30, neglect_probability: 0.2}
`
	scn, err := ParseScenario([]byte(y), "s.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if scn.Touch.MeanSeconds != 30 || scn.Touch.SLASeconds != 20 || len(scn.Agents.Shifts[0].Breaks) != 1 {
		t.Fatalf("decoded %+v", scn)
	}
	if _, err := Run(scn, nil, 1); err != nil {
		t.Fatal(err)
	}
	if _, err := ParseScenario([]byte(y+"  neglect_probabilty: 1\n"), "s.yaml"); err == nil || !strings.Contains(err.Error(), "s.yaml:") {
		t.Fatalf("unknown key: %v", err)
	}
}
