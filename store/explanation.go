package store

import (
	"encoding/json"
	"fmt"

	"github.com/allot/allot"
)

// Explanations are most of what a decision weighs: a queue of 50 agents
// lists 50 candidates. Stores keep them in this compact JSON form, which
// names each scorer and each (filter, reason) once instead of once per
// candidate, about a quarter of the plain JSON:
//
//	{"v":1, ...summary fields...,
//	 "sc": ["weighted_turn", "round_robin"],           // scorer names
//	 "fr": [["presence", "presence is not routable"]],  // (filter, reason) pairs
//	 "c":  [["ana", 0], ["bo", -1, [1, -4]], ["cy", -2, [1, -2]]]}
//
// A candidate is [agent, f] when excluded by the pair fr[f]; [agent, -1,
// scores] when eligible; [agent, -2, scores] when eligible and chosen.
type compactExplanation struct {
	V            int                 `json:"v"`
	Rule         string              `json:"rule,omitempty"`
	ScoringRules []string            `json:"scoring_rules,omitempty"`
	Score        int                 `json:"score"`
	Tier         string              `json:"tier,omitempty"`
	Queue        string              `json:"queue,omitempty"`
	Policy       allot.Policy        `json:"policy,omitempty"`
	Sticky       bool                `json:"sticky,omitempty"`
	Reason       string              `json:"reason,omitempty"`
	Scorers      []string            `json:"sc,omitempty"`
	Filters      [][2]string         `json:"fr,omitempty"`
	Candidates   [][]json.RawMessage `json:"c,omitempty"`
}

// EncodeExplanation returns the compact JSON of x (nil for nil).
func EncodeExplanation(x *allot.Explanation) ([]byte, error) {
	if x == nil {
		return nil, nil
	}
	c := compactExplanation{V: 1, Rule: x.Rule, ScoringRules: x.ScoringRules, Score: x.Score, Tier: x.Tier,
		Queue: x.Queue, Policy: x.Policy, Sticky: x.Sticky, Reason: x.Reason}
	scorer := map[string]int{}
	filter := map[[2]string]int{}
	c.Candidates = make([][]json.RawMessage, len(x.Candidates))
	for i, cd := range x.Candidates {
		agent, _ := json.Marshal(cd.Agent)
		if cd.Filter != "" || cd.Reason != "" {
			k := [2]string{cd.Filter, cd.Reason}
			f, ok := filter[k]
			if !ok {
				f = len(c.Filters)
				filter[k] = f
				c.Filters = append(c.Filters, k)
			}
			c.Candidates[i] = []json.RawMessage{agent, json.RawMessage(fmt.Sprint(f))}
			continue
		}
		// Scores are stored by position in sc; a candidate's scorers are
		// the policy's, in order, so positions line up.
		vals := make([]int64, len(cd.Scores))
		for j, s := range cd.Scores {
			if _, ok := scorer[s.Scorer]; !ok {
				scorer[s.Scorer] = len(c.Scorers)
				c.Scorers = append(c.Scorers, s.Scorer)
			}
			if scorer[s.Scorer] != j {
				return nil, fmt.Errorf("store: explanation candidates do not share one scorer order")
			}
			vals[j] = s.Value
		}
		mark := "-1"
		if cd.Chosen {
			mark = "-2"
		}
		v, _ := json.Marshal(vals)
		c.Candidates[i] = []json.RawMessage{agent, json.RawMessage(mark), v}
	}
	if len(c.Candidates) == 0 {
		c.Candidates = nil
	}
	return json.Marshal(c)
}

// DecodeExplanation is the inverse of EncodeExplanation (nil for empty).
func DecodeExplanation(raw []byte) (*allot.Explanation, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	var c compactExplanation
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("store: bad stored explanation: %w", err)
	}
	if c.V != 1 {
		return nil, fmt.Errorf("store: stored explanation has version %d, want 1", c.V)
	}
	x := &allot.Explanation{Rule: c.Rule, ScoringRules: c.ScoringRules, Score: c.Score, Tier: c.Tier, Queue: c.Queue,
		Policy: c.Policy, Sticky: c.Sticky, Reason: c.Reason}
	if len(c.Candidates) > 0 {
		x.Candidates = make([]allot.Candidate, len(c.Candidates))
	}
	for i, raw := range c.Candidates {
		if len(raw) < 2 {
			return nil, fmt.Errorf("store: bad stored candidate %d", i)
		}
		cd := &x.Candidates[i]
		var mark int
		if err := json.Unmarshal(raw[0], &cd.Agent); err != nil {
			return nil, fmt.Errorf("store: bad stored candidate %d: %w", i, err)
		}
		if err := json.Unmarshal(raw[1], &mark); err != nil {
			return nil, fmt.Errorf("store: bad stored candidate %d: %w", i, err)
		}
		if mark >= 0 {
			if mark >= len(c.Filters) {
				return nil, fmt.Errorf("store: stored candidate %d names filter %d of %d", i, mark, len(c.Filters))
			}
			cd.Filter, cd.Reason = c.Filters[mark][0], c.Filters[mark][1]
			continue
		}
		cd.Chosen = mark == -2
		if len(raw) < 3 {
			continue
		}
		var vals []int64
		if err := json.Unmarshal(raw[2], &vals); err != nil {
			return nil, fmt.Errorf("store: bad stored candidate %d: %w", i, err)
		}
		if len(vals) > len(c.Scorers) {
			return nil, fmt.Errorf("store: stored candidate %d has %d scores for %d scorers", i, len(vals), len(c.Scorers))
		}
		if len(vals) > 0 {
			cd.Scores = make([]allot.Score, len(vals))
			for j, v := range vals {
				cd.Scores[j] = allot.Score{Scorer: c.Scorers[j], Value: v}
			}
		}
	}
	return x, nil
}
