package store

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"

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
	return AppendExplanation(make([]byte, 0, 64+24*x.Candidates.Len()), x)
}

// AppendExplanation appends the compact JSON of x (non-nil) to b. It writes
// the JSON by hand, without reflection: explanations are encoded once per
// decision on the write path, and json.Marshal of the compact form cost a
// fifth of the server's CPU.
func AppendExplanation(b []byte, x *allot.Explanation) ([]byte, error) {
	b = append(b, `{"v":1`...)
	if x.Rule != "" {
		b = append(b, `,"rule":`...)
		b = appendJSONString(b, x.Rule)
	}
	if err := x.ScoringRules.Validate(); err != nil {
		return nil, fmt.Errorf("store: scoring rules: %w", err)
	}
	if x.ScoringRules.Len() > 0 {
		b = append(b, `,"scoring_rules":[`...)
		for i := range x.ScoringRules.Len() {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, x.ScoringRules.At(i))
		}
		b = append(b, ']')
	}
	b = append(b, `,"score":`...)
	b = strconv.AppendInt(b, int64(x.Score), 10)
	for _, f := range [...]struct{ name, v string }{{"tier", x.Tier}, {"queue", x.Queue}, {"policy", string(x.Policy)}} {
		if f.v != "" {
			b = append(b, `,"`...)
			b = append(b, f.name...)
			b = append(b, `":`...)
			b = appendJSONString(b, f.v)
		}
	}
	if x.Sticky {
		b = append(b, `,"sticky":true`...)
	}
	if x.Reason != "" {
		b = append(b, `,"reason":`...)
		b = appendJSONString(b, x.Reason)
	}
	cs := x.Candidates
	if cs.Len() == 0 {
		return append(b, '}'), nil
	}
	if err := cs.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// The tables keep what the candidates use, in order of first use.
	var scorers []string
	var filters [][2]string
	remap := make([]int, len(cs.Names.Rejections))
	cands := make([]byte, 0, 24*cs.Len())
	for i := range cs.Len() {
		if i > 0 {
			cands = append(cands, ',')
		}
		cands = append(cands, '[')
		cands = appendJSONString(cands, cs.Agent(i))
		if m := cs.Records[i].Mark; m >= allot.MarkRejected {
			k := int(m - allot.MarkRejected)
			if remap[k] == 0 {
				rj := cs.Names.Rejections[k]
				filters = append(filters, [2]string{rj.Filter, rj.Reason})
				remap[k] = len(filters)
			}
			cands = append(cands, ',')
			cands = strconv.AppendInt(cands, int64(remap[k]-1), 10)
			cands = append(cands, ']')
			continue
		}
		// Scores are stored by position in sc: the table's scorers.
		if cs.IsChosen(i) {
			cands = append(cands, ",-2,["...)
		} else {
			cands = append(cands, ",-1,["...)
		}
		vs := cs.ScoreValues(i)
		if len(vs) > len(scorers) {
			scorers = cs.Names.Scorers[:len(vs)]
		}
		for j, v := range vs {
			if j > 0 {
				cands = append(cands, ',')
			}
			cands = strconv.AppendInt(cands, v, 10)
		}
		cands = append(cands, "]]"...)
	}
	if len(scorers) > 0 {
		b = append(b, `,"sc":[`...)
		for i, s := range scorers {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, s)
		}
		b = append(b, ']')
	}
	if len(filters) > 0 {
		b = append(b, `,"fr":[`...)
		for i, f := range filters {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, '[')
			b = appendJSONString(b, f[0])
			b = append(b, ',')
			b = appendJSONString(b, f[1])
			b = append(b, ']')
		}
		b = append(b, ']')
	}
	b = append(b, `,"c":[`...)
	b = append(b, cands...)
	return append(b, "]}"...), nil
}

// appendJSONString appends s as a JSON string, exactly as json.Marshal
// writes it; plain printable ASCII (agent ids, scorer names) skips the
// encoder.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// Stored explanations are a binary form behind a one-byte tag (storedBinary,
// see appendBinaryExplanation): every string length-prefixed, each
// candidate's agent id front-coded against the previous candidate's (queue
// members are usually named alike), scores as varint differences from the
// previous eligible candidate's. A 50-candidate explanation takes a few
// hundred bytes, as the DEFLATE-compressed compact JSON of the previous
// form did, for a small fraction of its CPU (deflating was a seventh of the
// server's CPU per created item). DecodeExplanation reads every form ever
// stored: this one, the deflated compact JSON (storedDeflate), and the plain
// compact JSON (whose first byte is always '{').
const (
	storedDeflate = 0x01
	storedBinary  = 0x02
)

var flateReaders sync.Pool

// EncodeStoredExplanation returns the stored form of x (nil for nil).
func EncodeStoredExplanation(x *allot.Explanation) ([]byte, error) {
	if x == nil {
		return nil, nil
	}
	return appendBinaryExplanation(make([]byte, 0, 32+8*x.Candidates.Len()), x)
}

// appendBinaryExplanation appends the binary stored form of x:
//
//	0x02
//	flags uvarint (1: sticky)
//	rule, tier, queue, policy, reason: strings; score: varint
//	scoring rules: uvarint count, strings
//	scorers: uvarint count, strings (as the compact JSON's "sc")
//	filters: uvarint count, (filter, reason) string pairs (its "fr")
//	candidates: uvarint count, then each:
//	    agent: uvarint bytes shared with the previous agent, string rest
//	    mark: uvarint 0 eligible, 1 eligible and chosen, 2+f excluded by filters[f]
//	    eligible: uvarint score count, each a varint difference from the
//	    previous eligible candidate's value for that scorer (0 before any)
//
// where a string is a uvarint length and the bytes. It stores what the
// compact JSON stores: an excluded candidate keeps only its filter and
// reason, and every candidate's scores follow one scorer order.
func appendBinaryExplanation(b []byte, x *allot.Explanation) ([]byte, error) {
	b = append(b, storedBinary)
	var flags uint64
	if x.Sticky {
		flags |= 1
	}
	b = binary.AppendUvarint(b, flags)
	for _, s := range [...]string{x.Rule, x.Tier, x.Queue, string(x.Policy), x.Reason} {
		b = appendBinString(b, s)
	}
	b = binary.AppendVarint(b, int64(x.Score))
	if err := x.ScoringRules.Validate(); err != nil {
		return nil, fmt.Errorf("store: scoring rules: %w", err)
	}
	b = binary.AppendUvarint(b, uint64(x.ScoringRules.Len()))
	for i := range x.ScoringRules.Len() {
		b = appendBinString(b, x.ScoringRules.At(i))
	}
	cs := x.Candidates
	if err := cs.Validate(); err != nil {
		return nil, fmt.Errorf("store: %w", err)
	}
	// The scorer and filter tables come before the candidates that use
	// them; they keep what the candidates use (filters in order of first
	// use), which makes them few (see AppendExplanation).
	var scorers []string
	var filters []allot.Rejection
	var small [16]int
	remap := small[:0]
	if cs.Len() > 0 {
		if n := len(cs.Names.Rejections); n <= len(small) {
			remap = small[:n]
		} else {
			remap = make([]int, n)
		}
	}
	for _, r := range cs.Records {
		if r.Mark >= allot.MarkRejected {
			if k := int(r.Mark - allot.MarkRejected); remap[k] == 0 {
				filters = append(filters, cs.Names.Rejections[k])
				remap[k] = len(filters)
			}
			continue
		}
		if int(r.N) > len(scorers) {
			scorers = cs.Names.Scorers[:r.N]
		}
	}
	b = binary.AppendUvarint(b, uint64(len(scorers)))
	for _, sc := range scorers {
		b = appendBinString(b, sc)
	}
	b = binary.AppendUvarint(b, uint64(len(filters)))
	for _, f := range filters {
		b = appendBinString(b, f.Filter)
		b = appendBinString(b, f.Reason)
	}
	b = binary.AppendUvarint(b, uint64(cs.Len()))
	prevAgent := ""
	var prevSmall [8]int64
	prev := prevSmall[:0]
	if len(scorers) <= len(prevSmall) {
		prev = prevSmall[:len(scorers)]
	} else {
		prev = make([]int64, len(scorers))
	}
	for i, r := range cs.Records {
		agent := cs.Agent(i)
		n := 0
		for n < len(prevAgent) && n < len(agent) && prevAgent[n] == agent[n] {
			n++
		}
		b = binary.AppendUvarint(b, uint64(n))
		b = appendBinString(b, agent[n:])
		prevAgent = agent
		if r.Mark >= allot.MarkRejected {
			b = binary.AppendUvarint(b, uint64(1+remap[r.Mark-allot.MarkRejected]))
			continue
		}
		if r.Mark == allot.MarkChosen {
			b = append(b, 1)
		} else {
			b = append(b, 0)
		}
		vs := cs.ScoreValues(i)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for j, v := range vs {
			// Differences wrap around in 64 bits, and so does the sum.
			b = binary.AppendVarint(b, int64(uint64(v)-uint64(prev[j])))
			prev[j] = v
		}
	}
	return b, nil
}

func appendBinString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// binReader reads the binary form; the first error sticks.
type binReader struct {
	b   []byte
	err error
}

var errBinary = errors.New("store: bad stored explanation: truncated or malformed")

func (r *binReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errBinary
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *binReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errBinary
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a count of things each at least one byte long.
func (r *binReader) count() int {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.err = errBinary
		return 0
	}
	return int(n)
}

func (r *binReader) str() string {
	n := r.count()
	if r.err != nil {
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

func decodeBinaryExplanation(raw []byte) (*allot.Explanation, error) {
	r := &binReader{b: raw}
	flags := r.uvarint()
	x := &allot.Explanation{Sticky: flags&1 != 0}
	x.Rule, x.Tier, x.Queue, x.Policy, x.Reason = r.str(), r.str(), r.str(), allot.Policy(r.str()), r.str()
	x.Score = int(r.varint())
	if n := r.count(); n > 0 {
		names := make([]string, n)
		for i := range names {
			names[i] = r.str()
		}
		x.ScoringRules = allot.NewRuleList(names...)
	}
	scorers := make([]string, r.count())
	for i := range scorers {
		scorers[i] = r.str()
	}
	filters := make([][2]string, r.count())
	for i := range filters {
		filters[i] = [2]string{r.str(), r.str()}
	}
	names := &allot.CandidateNames{}
	if len(scorers) > 0 {
		names.Scorers = scorers
	}
	for _, f := range filters {
		names.Rejections = append(names.Rejections, allot.Rejection{Filter: f[0], Reason: f[1]})
	}
	var recs []allot.CandidateRecord
	var vals []int64
	if n := r.count(); n > 0 && r.err == nil {
		if len(filters) > 0xffff-allot.MarkRejected {
			r.err = errBinary
		}
		names.Agents = make([]string, n)
		recs = make([]allot.CandidateRecord, n)
	}
	prevAgent := ""
	prev := make([]int64, len(scorers))
	for i := range recs {
		if r.err != nil {
			break
		}
		shared := r.uvarint()
		if shared > uint64(len(prevAgent)) {
			r.err = errBinary
		}
		if r.err != nil {
			break
		}
		agent := prevAgent[:shared] + r.str()
		names.Agents[i] = agent
		prevAgent = agent
		mark := r.uvarint()
		switch {
		case mark >= 2:
			if mark-2 >= uint64(len(filters)) {
				r.err = errBinary
				break
			}
			recs[i].Mark = uint16(allot.MarkRejected + mark - 2)
		default:
			if mark == 1 {
				recs[i].Mark = allot.MarkChosen
			}
			n := r.uvarint()
			if n > uint64(len(scorers)) {
				r.err = errBinary
				break
			}
			recs[i].Off, recs[i].N = int32(len(vals)), uint16(n)
			for j := range int(n) {
				v := int64(uint64(prev[j]) + uint64(r.varint()))
				vals = append(vals, v)
				prev[j] = v
			}
		}
	}
	if len(recs) > 0 {
		x.Candidates = allot.Candidates{Names: names, Records: recs, Values: vals}
	}
	if r.err == nil && len(r.b) > 0 {
		r.err = errBinary
	}
	if r.err != nil {
		return nil, r.err
	}
	return x, nil
}

// maxInflated bounds a deflated explanation's JSON. Only databases written
// before the binary form hold deflated ones, and the largest a region can
// make (10,000 candidates) is under 1 MB; anything that inflates past the
// bound is refused before it is parsed (a small input can inflate to
// megabytes of junk, which took seconds to parse).
const maxInflated = 4 << 20

// inflate undoes the compression of EncodeStoredExplanation's deflated
// form.
func inflate(z []byte) ([]byte, error) {
	var r io.ReadCloser
	if v := flateReaders.Get(); v != nil {
		r = v.(io.ReadCloser)
		if err := r.(flate.Resetter).Reset(bytes.NewReader(z), nil); err != nil {
			return nil, err
		}
	} else {
		r = flate.NewReader(bytes.NewReader(z))
	}
	defer flateReaders.Put(r)
	b, err := io.ReadAll(io.LimitReader(r, maxInflated+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxInflated {
		return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
	}
	return b, nil
}

// DecodeExplanation is the inverse of EncodeExplanation and of
// EncodeStoredExplanation (nil for empty).
func DecodeExplanation(raw []byte) (*allot.Explanation, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if raw[0] == storedBinary {
		return decodeBinaryExplanation(raw[1:])
	}
	if raw[0] == storedDeflate {
		var err error
		if raw, err = inflate(raw[1:]); err != nil {
			return nil, fmt.Errorf("store: bad stored explanation: %w", err)
		}
	}
	var c compactExplanation
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fmt.Errorf("store: bad stored explanation: %w", err)
	}
	if c.V != 1 {
		return nil, fmt.Errorf("store: stored explanation has version %d, want 1", c.V)
	}
	x := &allot.Explanation{Rule: c.Rule, ScoringRules: allot.NewRuleList(c.ScoringRules...), Score: c.Score, Tier: c.Tier, Queue: c.Queue,
		Policy: c.Policy, Sticky: c.Sticky, Reason: c.Reason}
	list := make([]allot.Candidate, len(c.Candidates))
	for i, raw := range c.Candidates {
		if len(raw) < 2 {
			return nil, fmt.Errorf("store: bad stored candidate %d", i)
		}
		cd := &list[i]
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
	cs, err := allot.NewCandidates(list)
	if err != nil {
		return nil, fmt.Errorf("store: bad stored explanation: %w", err)
	}
	x.Candidates = cs
	return x, nil
}
