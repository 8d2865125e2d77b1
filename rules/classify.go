package rules

import (
	"math"
	"math/bits"
	"slices"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"github.com/allot/allot"
)

// Set is a region's compiled rules. It is immutable after Compile and safe for
// concurrent use.
type Set struct {
	keys    []key // every key a predicate or check tests, by key id
	routing stage
	scoring stage
	points  []int        // by scoring rule
	tiers   []allot.Tier // highest MinScore first; never empty
	adapter types.Adapter
}

// Result of classifying one item.
type Result struct {
	Score        int    // sum of Points of every matching scoring rule
	Tier         string // tier of Score per the region's tiers (highest MinScore <= Score; below all -> lowest tier)
	Rule         int    // index into the region's Rules of the first matching routing rule, -1 if none
	ScoringRules []int  // indices into the region's ScoringRules that matched, ascending; nil if none
}

// Len returns the number of routing rules, disabled ones included.
func (s *Set) Len() int { return len(s.routing.conds) }

// Classify scores the item, assigns its tier, then finds the first matching
// routing rule; routing conditions see the new score and tier as item.score
// and item.tier. It does not modify it. Scoring conditions see neither (they
// are absent keys).
func (s *Set) Classify(it *allot.Item) Result {
	return s.ClassifyTo(it, nil)
}

// ClassifyTo is Classify with Result.ScoringRules appended to dst[:0], for
// callers that reuse a buffer (the result then shares dst's array). With a
// nil dst it allocates the list at its size, nil when no rule matched.
func (s *Set) ClassifyTo(it *allot.Item, dst []int) Result {
	var (
		p   probe
		buf [16]*node
	)
	p.init(s, it)
	res := Result{Rule: -1}
	res.Score, res.ScoringRules = s.score(&p, buf[:0], dst)
	res.Tier = s.tierOf(res.Score)
	p.setStage(stageState{routing: true, score: res.Score, tier: res.Tier})
	res.Rule = s.route(&p, buf[:0])
	return res
}

// score sums the points of the scoring rules that hold for p's item and
// lists them. Checking has no effect, so the candidate lists are scanned in
// any order; the indices are put in order through a bitset on the stack
// (or sorted, past its size).
func (s *Set) score(p *probe, buf []*node, dst []int) (int, []int) {
	var (
		set   [16]uint64
		used  uint16 // bit w: set[w] is not zero
		big   []int
		total int
		n     int
	)
	add := func(i int32) {
		total += s.points[i]
		n++
		if u := uint32(i); u < 64*uint32(len(set)) {
			set[u>>6] |= 1 << (u & 63)
			used |= 1 << (u >> 6)
		} else {
			big = append(big, int(i))
		}
	}
	for _, l := range s.scoring.candidates(p, buf) {
		for j, i := range l.rules {
			if v := l.verified[j]; v == sure || p.holdsVerified(&s.scoring.conds[i], v) {
				add(i)
			}
		}
	}
	for ti := range s.scoring.thresholds {
		t := &s.scoring.thresholds[ti]
		if rs, ok := t.matching(p); ok {
			for _, i := range rs {
				add(i)
			}
			continue
		}
		x, found := p.value(t.key)
		for j, i := range t.rules {
			if t.ck[j].holdsFor(x, found, s.adapter) {
				add(i)
			}
		}
	}
	if n == 0 {
		if dst != nil {
			return total, dst[:0]
		}
		return total, nil
	}
	out := dst[:0]
	if out == nil {
		out = make([]int, 0, n) // the one allocation, of the right size
	}
	out = slices.Grow(out, n-len(big))[:n-len(big)]
	// Only the words with bits are read: which of them are is different
	// for every item, and a test per word would be mispredicted often.
	k := 0
	for ; used != 0; used &= used - 1 {
		w := bits.TrailingZeros16(used)
		for word := set[w]; word != 0; word &= word - 1 {
			out[k] = 64*w + bits.TrailingZeros64(word)
			k++
		}
	}
	slices.Sort(big)
	return total, append(out[:k], big...) // k < n-len(big) if a rule was added twice
}

// route returns the index of the first routing rule that holds for p's
// item, -1 if none: the smallest over the candidate lists. Each list is
// ascending, so its scan stops at its first rule that holds or at the best
// index found so far.
func (s *Set) route(p *probe, buf []*node) int {
	best := int32(math.MaxInt32)
	for _, l := range s.routing.candidates(p, buf) {
		for j, i := range l.rules {
			if i >= best {
				break
			}
			if v := l.verified[j]; v == sure || p.holdsVerified(&s.routing.conds[i], v) {
				best = i
				break
			}
		}
	}
	if best == math.MaxInt32 {
		return -1
	}
	return int(best)
}

// Match reports whether routing rule i matches it given score and tier (for
// explanations and tests). A disabled rule, or an i out of range, never
// matches.
func (s *Set) Match(i int, it *allot.Item, score int, tier string) bool {
	if i < 0 || i >= len(s.routing.conds) || s.routing.conds[i].off {
		return false
	}
	var p probe
	p.init(s, it)
	p.setStage(stageState{routing: true, score: score, tier: tier})
	return p.holds(&s.routing.conds[i])
}

// ClassifySlow is Classify without the index: it evaluates every condition's
// whole CEL program in rule order. It is the oracle of the property tests and
// the baseline of the benchmarks; its result always equals Classify's.
func (s *Set) ClassifySlow(it *allot.Item) Result {
	v := &itemView{it: it, adapter: s.adapter}
	res := Result{Rule: -1}
	for i := range s.scoring.conds {
		if evalProg(s.scoring.conds[i].prog, v) {
			res.Score += s.points[i]
			res.ScoringRules = append(res.ScoringRules, i)
		}
	}
	res.Tier = s.tierOf(res.Score)
	v.setStage(stageState{routing: true, score: res.Score, tier: res.Tier})
	for i := range s.routing.conds {
		if c := &s.routing.conds[i]; !c.off && evalProg(c.prog, v) {
			res.Rule = i
			break
		}
	}
	return res
}

// tierOf returns the tier with the highest MinScore not above score, or the
// lowest tier when score is below them all.
func (s *Set) tierOf(score int) string {
	for _, t := range s.tiers {
		if score >= t.MinScore {
			return t.Name
		}
	}
	return s.tiers[len(s.tiers)-1].Name
}

// evalProg reports whether prog evaluates to true on v; an empty condition
// (nil prog) always holds, and an evaluation error (a missing key, a type
// mismatch, the cost limit) means no match.
func evalProg(prog cel.Program, v *itemView) bool {
	if prog == nil {
		return true
	}
	out, _, err := prog.Eval(v)
	return err == nil && out == types.True
}

// probe is the state of one classification of one item: the item's value
// of each key and its value id, each looked up at most once, and the CEL
// view, made only if some residual condition needs it. It lives on the
// caller's stack; keys past the cache are looked up every time.
type probe struct {
	s     *Set
	it    *allot.Item
	st    stageState
	view  *itemView
	cache [32]slot // by key id
}

// slot caches one key of the item.
type slot struct {
	x     any
	found bool
	state uint8 // bit 1: x and found are set; bit 2: vid is set
	vid   int32
}

const (
	haveValue = 1 << iota
	haveVid
)

func (p *probe) init(s *Set, it *allot.Item) {
	p.s, p.it = s, it
}

// setStage moves the probe to another stage. Cached values stay valid: only
// score and tier change, and no scoring condition reads them (Compile
// rejects that), so they are never looked up before the routing stage.
func (p *probe) setStage(st stageState) {
	p.st = st
	if p.view != nil {
		p.view.setStage(st)
	}
}

// value returns the item's value of key k (see field).
func (p *probe) value(k int32) (any, bool) {
	if int(k) >= len(p.cache) {
		return field(p.it, p.s.keys[k].name, &p.st)
	}
	sl := &p.cache[k]
	if sl.state&haveValue == 0 {
		sl.x, sl.found = field(p.it, p.s.keys[k].name, &p.st)
		sl.state |= haveValue
	}
	return sl.x, sl.found
}

// vid returns the value id of the item's value of key k, -1 when the item
// has no such key or a value no predicate names.
func (p *probe) vid(k int32) int32 {
	if int(k) < len(p.cache) && p.cache[k].state&haveVid != 0 {
		return p.cache[k].vid
	}
	id := int32(-1)
	if x, ok := p.value(k); ok {
		id = p.s.keys[k].dict.id(scalarOf(x, p.s.adapter))
	}
	if int(k) < len(p.cache) {
		p.cache[k].vid = id
		p.cache[k].state |= haveVid
	}
	return id
}

// holds reports whether condition c holds: its membership and comparison
// conjuncts by lookups, and CEL only if some conjunct is neither.
func (p *probe) holds(c *cond) bool { return p.holdsVerified(c, 0) }

// holdsVerified is holds skipping the preds whose bit is set in verified
// (known to hold: the index path of the item passed them; see entry).
func (p *probe) holdsVerified(c *cond, verified uint64) bool {
	for i := range c.preds {
		if i < 63 && verified&(1<<uint(i)) != 0 {
			continue
		}
		if !c.preds[i].holds(p.vid(c.preds[i].key)) {
			return false
		}
	}
	for i := range c.checks {
		if !c.checks[i].holds(p) {
			return false
		}
	}
	if !c.residual {
		return true
	}
	if p.view == nil {
		p.view = &itemView{it: p.it, st: p.st, adapter: p.s.adapter}
	}
	return evalProg(c.prog, p.view)
}

// candidates appends the lists of the rules of the stage that can match p's
// item (see node) to lists.
func (st *stage) candidates(p *probe, lists []*node) []*node {
	return st.root.collect(p, lists)
}
