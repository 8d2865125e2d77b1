package allot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
)

// Candidates lists the agents considered for an item, in queue order: for
// each, the filter that excluded it or its scores. The engine records one for
// nearly every decision, so it is kept compact and pointer-free: the names
// (agents, filters and reasons, scorers) live once in a shared Names table,
// and each candidate is a small record of indexes into it. Read it with Len,
// Agent, Rejected, IsChosen, ScoreValues, At, List, Chosen and Eligible; it
// marshals to and from JSON as a list of Candidate objects.
//
// A Candidates value is immutable once made: its Names, Records and Values
// are shared by every copy and must not be modified. The zero value is the
// empty list.
type Candidates struct {
	// Names is the table the records refer to. Candidate i is the agent
	// Names.Agents[i]; len(Names.Agents) == len(Records).
	Names   *CandidateNames
	Records []CandidateRecord
	// Values holds the candidates' scores (see CandidateRecord).
	Values []int64
}

// CandidateNames are the names a Candidates list refers to by index. The
// engine keeps one per queue and shares it among all the queue's
// explanations.
type CandidateNames struct {
	Agents     []string    // one per candidate, in candidate order
	Rejections []Rejection // what CandidateRecord.Mark refers to
	Scorers    []string    // what each score's position refers to
}

// Rejection is a filter's reason for excluding a candidate.
type Rejection struct {
	Filter string `json:"filter"`
	Reason string `json:"reason"`
}

// CandidateRecord is one candidate of a Candidates list.
type CandidateRecord struct {
	// Mark is MarkEligible, MarkChosen, or MarkRejected+k when the agent
	// was excluded for Names.Rejections[k].
	Mark uint16
	// N scores, Values[Off:Off+N], one per Names.Scorers[0:N] (eligible
	// candidates only).
	N   uint16
	Off int32
}

// CandidateRecord marks.
const (
	MarkEligible = 0
	MarkChosen   = 1
	MarkRejected = 2
)

// Len returns the number of candidates.
func (c Candidates) Len() int { return len(c.Records) }

// IsZero reports whether the list is empty (json's omitzero reads it).
func (c Candidates) IsZero() bool { return len(c.Records) == 0 }

// Agent returns candidate i's agent id.
func (c Candidates) Agent(i int) string { return c.Names.Agents[i] }

// Rejected returns the filter and reason that excluded candidate i, and
// false when the candidate was eligible.
func (c Candidates) Rejected(i int) (Rejection, bool) {
	if m := c.Records[i].Mark; m >= MarkRejected {
		return c.Names.Rejections[m-MarkRejected], true
	}
	return Rejection{}, false
}

// IsChosen reports whether candidate i was chosen.
func (c Candidates) IsChosen(i int) bool { return c.Records[i].Mark == MarkChosen }

// ScoreValues returns candidate i's score values, one per
// Names.Scorers[j]. The slice is shared: do not modify it.
func (c Candidates) ScoreValues(i int) []int64 {
	r := c.Records[i]
	return c.Values[r.Off : int(r.Off)+int(r.N) : int(r.Off)+int(r.N)]
}

// At returns candidate i in full (it allocates its Scores).
func (c Candidates) At(i int) Candidate {
	cd := Candidate{Agent: c.Names.Agents[i], Chosen: c.IsChosen(i)}
	if rj, ok := c.Rejected(i); ok {
		cd.Filter, cd.Reason = rj.Filter, rj.Reason
	}
	if vs := c.ScoreValues(i); len(vs) > 0 {
		cd.Scores = make([]Score, len(vs))
		for j, v := range vs {
			cd.Scores[j] = Score{Scorer: c.Names.Scorers[j], Value: v}
		}
	}
	return cd
}

// List returns every candidate in full, or nil for the empty list.
func (c Candidates) List() []Candidate {
	if c.Len() == 0 {
		return nil
	}
	out := make([]Candidate, c.Len())
	for i := range out {
		out[i] = c.At(i)
	}
	return out
}

// Chosen returns the index of the chosen candidate, or -1.
func (c Candidates) Chosen() int {
	for i, r := range c.Records {
		if r.Mark == MarkChosen {
			return i
		}
	}
	return -1
}

// Eligible counts the candidates no filter excluded.
func (c Candidates) Eligible() int {
	n := 0
	for _, r := range c.Records {
		if r.Mark < MarkRejected {
			n++
		}
	}
	return n
}

// Equal reports whether c and d list the same candidates (whatever their
// tables look like: a decoded list's table holds only what it uses).
func (c Candidates) Equal(d Candidates) bool {
	if c.Len() != d.Len() {
		return false
	}
	for i := range c.Records {
		if c.Agent(i) != d.Agent(i) || c.IsChosen(i) != d.IsChosen(i) {
			return false
		}
		rc, okc := c.Rejected(i)
		rd, okd := d.Rejected(i)
		if okc != okd || rc != rd {
			return false
		}
		vc, vd := c.ScoreValues(i), d.ScoreValues(i)
		if !slices.Equal(vc, vd) || !slices.Equal(c.Names.Scorers[:len(vc)], d.Names.Scorers[:len(vd)]) {
			return false
		}
	}
	return true
}

// Validate checks that the records stay inside the tables; a list made by
// NewCandidates or the engine always does, a hand-made one may not.
func (c Candidates) Validate() error {
	if c.Len() == 0 {
		return nil
	}
	if c.Names == nil {
		return fmt.Errorf("candidates: %d records and no names", c.Len())
	}
	if len(c.Names.Agents) != len(c.Records) {
		return fmt.Errorf("candidates: %d agents for %d records", len(c.Names.Agents), len(c.Records))
	}
	for i, r := range c.Records {
		if r.Mark >= MarkRejected && int(r.Mark-MarkRejected) >= len(c.Names.Rejections) {
			return fmt.Errorf("candidates[%d]: mark %d: no such rejection", i, r.Mark)
		}
		if int(r.N) > len(c.Names.Scorers) || r.Off < 0 || int(r.Off)+int(r.N) > len(c.Values) {
			return fmt.Errorf("candidates[%d]: scores %d+%d out of range", i, r.Off, r.N)
		}
	}
	return nil
}

// NewCandidates makes the compact list of the given candidates. Every
// candidate's scores must name their scorers in one order (the longest list's;
// a shorter list is a prefix of it), as a policy's scores do; a candidate may
// not both carry scores and be excluded.
func NewCandidates(list []Candidate) (Candidates, error) {
	if len(list) == 0 {
		return Candidates{}, nil
	}
	names := &CandidateNames{Agents: make([]string, len(list))}
	recs := make([]CandidateRecord, len(list))
	var vals []int64
	seen := map[Rejection]int{} // index in names.Rejections
	for i, cd := range list {
		names.Agents[i] = cd.Agent
		if cd.Filter != "" || cd.Reason != "" {
			if len(cd.Scores) > 0 || cd.Chosen {
				return Candidates{}, fmt.Errorf("candidates[%d]: excluded by %q and yet scored or chosen", i, cd.Filter)
			}
			rj := Rejection{Filter: cd.Filter, Reason: cd.Reason}
			k, ok := seen[rj]
			if !ok {
				k = len(names.Rejections)
				if k > 0xffff-MarkRejected {
					return Candidates{}, fmt.Errorf("candidates[%d]: more than %d distinct rejections", i, k)
				}
				names.Rejections = append(names.Rejections, rj)
				seen[rj] = k
			}
			recs[i].Mark = uint16(MarkRejected + k)
			continue
		}
		if cd.Chosen {
			recs[i].Mark = MarkChosen
		}
		if len(cd.Scores) > 0xffff {
			return Candidates{}, fmt.Errorf("candidates[%d].scores: more than %d", i, 0xffff)
		}
		recs[i].Off, recs[i].N = int32(len(vals)), uint16(len(cd.Scores))
		for j, sc := range cd.Scores {
			switch {
			case j == len(names.Scorers):
				names.Scorers = append(names.Scorers, sc.Scorer)
			case names.Scorers[j] != sc.Scorer:
				return Candidates{}, fmt.Errorf("candidates[%d].scores[%d]: scorer %q where another candidate has %q", i, j, sc.Scorer, names.Scorers[j])
			}
			vals = append(vals, sc.Value)
		}
	}
	return Candidates{Names: names, Records: recs, Values: vals}, nil
}

// MustCandidates is NewCandidates for lists known to be well formed (tests,
// literals); it panics on an error.
func MustCandidates(list ...Candidate) Candidates {
	c, err := NewCandidates(list)
	if err != nil {
		panic(err)
	}
	return c
}

// MarshalJSON encodes the list as a JSON array of Candidate objects. It
// leaves HTML characters unescaped: an encoder that escapes them (as
// json.Marshal does) escapes what MarshalJSON returns.
func (c Candidates) MarshalJSON() ([]byte, error) {
	if c.Len() == 0 {
		return []byte("[]"), nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c.List()); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON decodes a JSON array of Candidate objects (or null).
func (c *Candidates) UnmarshalJSON(b []byte) error {
	var list []Candidate
	if err := json.Unmarshal(b, &list); err != nil {
		return err
	}
	cs, err := NewCandidates(list)
	if err != nil {
		return err
	}
	*c = cs
	return nil
}

// RuleList names the rules an explanation cites (the scoring rules that added
// points), compactly: indexes into a table of names that the engine shares by
// every list it makes (the region's scoring rules), so recording an item's
// forty matched rules is one small allocation the garbage collector does not
// scan. It marshals to and from JSON as a list of names. The zero value is
// the empty list; a RuleList is immutable once made.
type RuleList struct {
	Table []string // the names Index refers to; shared, never modified
	Index []int32
}

// NewRuleList returns the list of the given names, in order.
func NewRuleList(names ...string) RuleList {
	if len(names) == 0 {
		return RuleList{}
	}
	idx := make([]int32, len(names))
	for i := range idx {
		idx[i] = int32(i)
	}
	return RuleList{Table: names, Index: idx}
}

// Len returns the number of rules.
func (l RuleList) Len() int { return len(l.Index) }

// IsZero reports whether the list is empty (json's omitzero reads it).
func (l RuleList) IsZero() bool { return len(l.Index) == 0 }

// At returns the name of rule i.
func (l RuleList) At(i int) string { return l.Table[l.Index[i]] }

// All returns the names in order, or nil for the empty list.
func (l RuleList) All() []string {
	if len(l.Index) == 0 {
		return nil
	}
	out := make([]string, len(l.Index))
	for i, k := range l.Index {
		out[i] = l.Table[k]
	}
	return out
}

// Validate checks that every index is inside the table.
func (l RuleList) Validate() error {
	for i, k := range l.Index {
		if k < 0 || int(k) >= len(l.Table) {
			return fmt.Errorf("rule list[%d]: index %d outside a table of %d", i, k, len(l.Table))
		}
	}
	return nil
}

// MarshalJSON encodes the list as a JSON array of names (HTML unescaped,
// as Candidates.MarshalJSON).
func (l RuleList) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	names := l.All()
	if names == nil {
		names = []string{}
	}
	if err := enc.Encode(names); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// UnmarshalJSON decodes a JSON array of names (or null).
func (l *RuleList) UnmarshalJSON(b []byte) error {
	var names []string
	if err := json.Unmarshal(b, &names); err != nil {
		return err
	}
	*l = NewRuleList(names...)
	return nil
}
