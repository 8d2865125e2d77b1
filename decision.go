package allot

import "time"

// DecisionKind says what a decision did to an item.
type DecisionKind string

// Decision kinds.
const (
	DecisionAssigned   DecisionKind = "assigned"   // given to an agent
	DecisionOffered    DecisionKind = "offered"    // offered to an agent, who accepts (touch) or declines (release) before the offer times out
	DecisionQueued     DecisionKind = "queued"     // waits: no eligible agent with room
	DecisionReassigned DecisionKind = "reassigned" // taken from one agent, given to another
	DecisionUnroutable DecisionKind = "unroutable" // no rule matched and there is no default queue; the item is kept
	DecisionEscalated  DecisionKind = "escalated"  // the SLA was breached once too often; what follows says where the item went
)

// Decision is one routing outcome with its explanation. Decisions are values:
// the engine never changes one after returning it.
type Decision struct {
	Seq   uint64       `json:"seq"` // engine-wide sequence, strictly increasing
	At    time.Time    `json:"at"`
	Kind  DecisionKind `json:"kind"`
	Item  string       `json:"item"`
	Agent string       `json:"agent,omitempty"`
	// From is the previous owner of a re-assigned item.
	From  string `json:"from,omitempty"`
	Queue string `json:"queue,omitempty"`
	// Cause is the event that led to the decision: arrival, agent_available,
	// next, released, rerouted, closed, ...
	Cause string `json:"cause"`
	// ConfigVersion is the version (audit-log sequence of the config entry)
	// of the region config the decision was made under; 0 when not known
	// (decisions of an engine used outside the server).
	ConfigVersion uint64       `json:"config_version,omitempty"`
	Explanation   *Explanation `json:"explanation,omitempty"`
}

// Explanation records why a decision came out as it did.
type Explanation struct {
	Rule         string   `json:"rule,omitempty"`         // routing rule that matched ("" = default queue)
	ScoringRules RuleList `json:"scoring_rules,omitzero"` // every scoring rule that added points
	Score        int      `json:"score"`
	Tier         string   `json:"tier,omitempty"`
	Queue        string   `json:"queue,omitempty"`
	Policy       Policy   `json:"policy,omitempty"`
	Sticky       bool     `json:"sticky,omitempty"` // the owner of related work was chosen
	// Candidates lists every member of the queue considered, in queue order:
	// the filter that excluded it, or its scores.
	Candidates Candidates `json:"candidates,omitzero"`
	// Reason summarises the outcome in a sentence.
	Reason string `json:"reason,omitempty"`
}

// Candidate is one agent considered for an item.
type Candidate struct {
	Agent string `json:"agent"`
	// Filter names the filter that excluded the agent ("" when eligible) and
	// Reason why.
	Filter string `json:"filter,omitempty"`
	Reason string `json:"reason,omitempty"`
	// Scores are the policy's order keys, highest first wins (eligible agents only).
	Scores []Score `json:"scores,omitempty"`
	Chosen bool    `json:"chosen,omitempty"`
}

// Score is one scorer's value for a candidate. Higher is better; the policy
// compares candidates on its scorers in order.
type Score struct {
	Scorer string `json:"scorer"`
	Value  int64  `json:"value"`
}

// Filtered counts the excluded candidates per filter.
func (e *Explanation) Filtered() map[string]int {
	m := map[string]int{}
	for i := range e.Candidates.Len() {
		if rj, ok := e.Candidates.Rejected(i); ok {
			m[rj.Filter]++
		}
	}
	return m
}

// Chosen returns the chosen candidate, or nil.
func (e *Explanation) Chosen() *Candidate {
	if i := e.Candidates.Chosen(); i >= 0 {
		c := e.Candidates.At(i)
		return &c
	}
	return nil
}
