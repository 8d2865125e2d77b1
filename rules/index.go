package rules

import (
	"cmp"
	"maps"
	"slices"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"

	"github.com/allot/allot"
)

// shape bounds the index tree (see node).
type shape struct {
	leafSize  int     // a node with at most this many rules is not split
	maxDepth  int     // nor is a node this deep
	maxCopies int     // a rule is filed under at most this many leaves (in-lists multiply)
	minSaving float64 // a split must save this many candidates per item on average
}

// defaultShape: a split costs about as much as checking four candidates.
var defaultShape = shape{leafSize: 8, maxDepth: 8, maxCopies: 16, minSaving: 4}

// key is an item key some predicate or check tests.
type key struct {
	name string
	dict *dict // the literals membership predicates compare it with
}

// pred is a membership conjunct after numbering: item[key] is one of vals.
type pred struct {
	key  int32   // index into Set.keys
	vals []int32 // value ids, sorted and distinct; empty: never holds
}

// holds reports whether the value with id vid (-1: no value, or a value no
// predicate of this key names) satisfies p.
func (p *pred) holds(vid int32) bool {
	if vid < 0 {
		return false
	}
	if len(p.vals) <= 8 {
		for _, x := range p.vals {
			if x == vid {
				return true
			}
		}
		return false
	}
	_, ok := slices.BinarySearch(p.vals, vid)
	return ok
}

// cond is one compiled condition in a stage. It holds when every pred and
// every check holds and, if residual, the program evaluates to true.
type cond struct {
	prog     cel.Program // the whole condition; nil when empty (always holds)
	preds    []pred      // membership conjuncts, checked by value id
	checks   []check     // conjuncts decided natively
	residual bool        // some conjunct is neither: prog decides after the others
	off      bool        // a disabled routing rule: never matches
	// byThreshold: a one-threshold scoring rule found through the stage's
	// thresholds, not the tree (see thresholds).
	byThreshold bool
}

// predOn returns c's membership predicate on key k accepting the fewest
// values, nil if none.
func (c *cond) predOn(k int32) *pred {
	var best *pred
	for i := range c.preds {
		if p := &c.preds[i]; p.key == k && (best == nil || len(p.vals) < len(best.vals)) {
			best = p
		}
	}
	return best
}

// stage indexes the conditions of one kind (routing or scoring).
type stage struct {
	conds      []cond       // by rule index
	root       *node        // nil when there is no enabled rule left to file
	thresholds []thresholds // scoring only: one-threshold rules by key and operator
}

// node is a node of the index tree, a discrimination tree over membership
// predicates. A leaf lists rules. An inner node splits on one key: a rule
// with a predicate on the key is filed under the child of each value the
// predicate accepts, the others under rest. An item visits rest and the one
// child of its own value, so it reaches every rule whose predicates can all
// hold, and each at most once; the rules reached are the candidates, and
// their conditions are then checked in full.
type node struct {
	key   int32   // split key; -1 for a leaf
	rules []int32 // a leaf's rules, ascending
	// A leaf's per-rule verified preds (see entry), aligned with rules;
	// sure marks a rule that holds for every item reaching the leaf: all
	// its preds verified, no checks, no residual.
	verified []uint64
	vids     []int32 // the split key's value ids that have a child, ascending
	kids     []*node // by vids
	dense    []*node // when most values have a child: by value id, nil for none
	rest     *node   // rules with no predicate on key; may be nil
}

// child returns the child for value id v, nil if none.
func (n *node) child(v int32) *node {
	if n.dense != nil {
		if int(v) < len(n.dense) {
			return n.dense[v]
		}
		return nil
	}
	if i, ok := slices.BinarySearch(n.vids, v); ok {
		return n.kids[i]
	}
	return nil
}

// sure is the verified mask of a rule that holds at its leaf (see node).
const sure = ^uint64(0)

// collect appends the leaves p's item reaches under n to lists.
func (n *node) collect(p *probe, lists []*node) []*node {
	for n != nil {
		if n.key < 0 {
			if len(n.rules) > 0 {
				lists = append(lists, n)
			}
			return lists
		}
		if v := p.vid(n.key); v >= 0 {
			if kid := n.child(v); kid != nil {
				lists = kid.collect(p, lists)
			}
		}
		n = n.rest
	}
	return lists
}

// build numbers the literals and builds each stage's index tree.
func build(r *allot.Region, routing, scoring []*parsed, adapter types.Adapter, sh shape) *Set {
	s := &Set{adapter: adapter, tiers: sortedTiers(r.Tiers)}
	ids := map[string]int32{}
	s.routing.conds = s.numberAll(ids, routing)
	s.scoring.conds = s.numberAll(ids, scoring)
	for i := range r.Rules {
		s.routing.conds[i].off = r.Rules[i].Disabled
	}
	s.points = make([]int, len(r.ScoringRules))
	for i, sr := range r.ScoringRules {
		s.points[i] = sr.Points
	}
	s.routing.index(sh)
	s.scoring.indexThresholds(1)
	s.scoring.index(sh)
	return s
}

// numberAll turns parsed conditions into conds, adding their keys and
// literals to s.keys.
func (s *Set) numberAll(ids map[string]int32, ps []*parsed) []cond {
	conds := make([]cond, len(ps))
	for i, p := range ps {
		c := &conds[i]
		c.prog, c.residual = p.prog, p.residual
		for _, rp := range p.preds {
			id := s.keyID(ids, rp.key)
			c.preds = append(c.preds, pred{key: id, vals: s.keys[id].dict.ids(rp.vals)})
		}
		c.checks = s.numberChecks(ids, p.checks)
	}
	return conds
}

// numberChecks returns a copy of cs with their key ids set.
func (s *Set) numberChecks(ids map[string]int32, cs []check) []check {
	if cs == nil {
		return nil
	}
	out := slices.Clone(cs)
	for i := range out {
		out[i].sub = s.numberChecks(ids, out[i].sub)
		if out[i].kind != checkAny && out[i].kind != checkAll {
			out[i].id = s.keyID(ids, out[i].key)
		}
	}
	return out
}

// keyID returns the id of the key named name, adding it if it is new.
func (s *Set) keyID(ids map[string]int32, name string) int32 {
	id, ok := ids[name]
	if !ok {
		id = int32(len(s.keys))
		ids[name] = id
		s.keys = append(s.keys, key{name: name, dict: newDict()})
	}
	return id
}

// entry is a rule being filed, with the number of leaves it is filed under
// so far on this path.
type entry struct {
	rule   int32
	copies int
	// verified has bit i set when the rule's preds[i] was the predicate it
	// was filed under at some node of this path: an item that reaches the
	// leaf through that node's child for its own value satisfies it.
	verified uint64
}

// index builds the tree over the enabled rules; disabled rules are not
// filed, so nothing finds them.
func (st *stage) index(sh shape) {
	var es []entry
	for i := range st.conds {
		if !st.conds[i].off && !st.conds[i].byThreshold {
			es = append(es, entry{rule: int32(i), copies: 1})
		}
	}
	if len(es) > 0 {
		st.root = treeBuilder{conds: st.conds, shape: sh}.split(es, 0)
	}
}

// treeBuilder builds the index tree of conds.
type treeBuilder struct {
	conds []cond
	shape
}

// split files es (ascending) under a new node.
func (st treeBuilder) split(es []entry, depth int) *node {
	if len(es) <= st.leafSize || depth >= st.maxDepth {
		return st.leaf(es)
	}
	k, ok := st.bestKey(es)
	if !ok {
		return st.leaf(es)
	}
	n := &node{key: k}
	kids := map[int32][]entry{}
	var rest []entry
	for _, e := range es {
		p, ok := st.fileable(e, k)
		if !ok {
			rest = append(rest, e)
			continue
		}
		verified := e.verified
		if pi := predIndex(&st.conds[e.rule], p); pi < 63 { // bit 63 is never set: sure stays distinct
			verified |= 1 << uint(pi)
		}
		for _, v := range p.vals { // none: the rule can never match and is dropped
			kids[v] = append(kids[v], entry{rule: e.rule, copies: e.copies * len(p.vals), verified: verified})
		}
	}
	for v := range kids {
		n.vids = append(n.vids, v)
	}
	slices.Sort(n.vids)
	for _, v := range n.vids {
		n.kids = append(n.kids, st.split(kids[v], depth+1))
	}
	if len(n.vids) > 0 && int(n.vids[len(n.vids)-1]) < 2*len(n.vids) {
		size := int(n.vids[len(n.vids)-1]) + 1
		n.dense = make([]*node, size)
		for i, v := range n.vids {
			n.dense[v] = n.kids[i]
		}
	}
	if len(rest) > 0 {
		n.rest = st.split(rest, depth+1)
	}
	return n
}

// fileable returns the predicate on key k that e's rule is filed under, if
// it has one and filing does not copy the rule too often.
func (st treeBuilder) fileable(e entry, k int32) (*pred, bool) {
	p := st.conds[e.rule].predOn(k)
	if p == nil || e.copies*len(p.vals) > st.maxCopies {
		return nil, false
	}
	return p, true
}

// bestKey picks the key whose split saves an item the most candidates on
// average, assuming the item's value is any of the values the rules name
// with equal chance: a rule with a predicate on the key stays a candidate
// only with the share of those values it accepts. The rules without one
// stay candidates, under rest, which is split in turn. It declines when no
// split saves minSaving candidates, about the cost of visiting a node.
func (st treeBuilder) bestKey(es []entry) (int32, bool) {
	type stat struct {
		rules, accepted int
		distinct        map[int32]bool
	}
	stats := map[int32]*stat{}
	for _, e := range es {
		c := &st.conds[e.rule]
		for i := range c.preds {
			k := c.preds[i].key
			if slices.ContainsFunc(c.preds[:i], func(q pred) bool { return q.key == k }) {
				continue // one count per rule and key
			}
			p, ok := st.fileable(e, k)
			if !ok {
				continue
			}
			s := stats[k]
			if s == nil {
				s = &stat{distinct: map[int32]bool{}}
				stats[k] = s
			}
			s.rules++
			s.accepted += len(p.vals)
			for _, v := range p.vals {
				s.distinct[v] = true
			}
		}
	}
	keys := slices.Sorted(maps.Keys(stats))
	best, bestSaving := int32(-1), st.minSaving
	for _, k := range keys {
		s := stats[k]
		saving := float64(s.rules) - float64(s.accepted)/float64(max(1, len(s.distinct)))
		if saving >= bestSaving {
			best, bestSaving = k, saving
		}
	}
	return best, best >= 0
}

// leaf returns a leaf listing es.
func (st treeBuilder) leaf(es []entry) *node {
	n := &node{key: -1, rules: make([]int32, len(es)), verified: make([]uint64, len(es))}
	for i, e := range es {
		n.rules[i] = e.rule
		n.verified[i] = e.verified
		c := &st.conds[e.rule]
		if len(c.preds) < 63 && e.verified == 1<<uint(len(c.preds))-1 && len(c.checks) == 0 && !c.residual {
			n.verified[i] = sure
		}
	}
	return n
}

// predIndex returns the index of p in c.preds.
func predIndex(c *cond, p *pred) int {
	for i := range c.preds {
		if &c.preds[i] == p {
			return i
		}
	}
	return len(c.preds)
}

// sortedTiers returns the tiers by MinScore, highest first; none means the
// single tier "default", as Config.WithDefaults gives.
func sortedTiers(ts []allot.Tier) []allot.Tier {
	if len(ts) == 0 {
		return []allot.Tier{{Name: "default", MinScore: 0}}
	}
	out := slices.Clone(ts)
	slices.SortStableFunc(out, func(a, b allot.Tier) int { return cmp.Compare(b.MinScore, a.MinScore) })
	return out
}
