package rules

import (
	"math"
	"slices"

	"cel.dev/cel-go/common/types"
)

// Numeric thresholds. A scoring rule whose whole condition is one comparison
// of an item key with a number (item.budget >= 1000) has no membership
// predicate for the index tree to file it under, so without help every such
// rule is a candidate for every item. Instead the rules of one key and one
// operator are kept sorted by their literal: for an item value x the rules
// that hold are a prefix (>, >=: literal below x) or a suffix (<, <=:
// literal above x) of that order, found by binary search.
//
// The search decides exactly as compareFast does, for the values it handles:
// a float64 x (not NaN) against Int and Double literals (not NaN). CEL
// compares a double with an int as cmpDoubleInt does, which for a float64 x
// is cmpFloat(x, float64(lit)) (beyond the int64 range both answer by sign);
// so each literal is kept as float64(lit) and the order of the sorted
// literals is the order the comparisons see. Any other value (an int, a
// string, a list) goes through check.holdsFor rule by rule, as before.

// thresholds is the scoring rules of one key and one operator, by literal.
type thresholds struct {
	key   int32
	op    cmpOp
	lits  []float64 // ascending
	rules []int32   // aligned with lits; equal literals by rule index
	ck    []*check  // aligned with rules: the rule's check, for other values
}

// thresholdCheck returns c's comparison if c is one numeric threshold and
// nothing else.
func thresholdCheck(c *cond) (*check, float64, bool) {
	if c.off || c.residual || len(c.preds) != 0 || len(c.checks) != 1 {
		return nil, 0, false
	}
	ck := &c.checks[0]
	if ck.kind != checkOrder {
		return nil, 0, false
	}
	var lit float64
	switch l := ck.lit.(type) {
	case types.Int:
		lit = float64(l)
	case types.Double:
		lit = float64(l)
	default:
		return nil, 0, false
	}
	if math.IsNaN(lit) {
		return nil, 0, false
	}
	return ck, lit, true
}

// indexThresholds takes the stage's one-threshold rules out of the index
// tree (it must run before index) into sorted threshold lists. Groups of
// fewer than min rules stay in the tree.
func (st *stage) indexThresholds(min int) {
	type group struct {
		key int32
		op  cmpOp
	}
	byGroup := map[group][]int32{}
	var order []group
	for i := range st.conds {
		ck, _, ok := thresholdCheck(&st.conds[i])
		if !ok {
			continue
		}
		g := group{ck.id, ck.op}
		if _, seen := byGroup[g]; !seen {
			order = append(order, g)
		}
		byGroup[g] = append(byGroup[g], int32(i))
	}
	for _, g := range order {
		rs := byGroup[g]
		if len(rs) < min {
			continue
		}
		t := thresholds{key: g.key, op: g.op}
		lit := func(r int32) float64 { _, l, _ := thresholdCheck(&st.conds[r]); return l }
		slices.SortStableFunc(rs, func(a, b int32) int {
			la, lb := lit(a), lit(b)
			switch {
			case la < lb:
				return -1
			case la > lb:
				return 1
			}
			return 0
		})
		for _, r := range rs {
			ck, l, _ := thresholdCheck(&st.conds[r])
			t.lits = append(t.lits, l)
			t.rules = append(t.rules, r)
			t.ck = append(t.ck, ck)
			st.conds[r].byThreshold = true
		}
		st.thresholds = append(st.thresholds, t)
	}
}

// matching returns the rules of t that hold for p's item as one contiguous
// run of t.rules, or ok false when p's value is not one the search decides
// (the caller then checks the rules one by one).
func (t *thresholds) matching(p *probe) (rules []int32, ok bool) {
	x, found := p.value(t.key)
	if !found {
		return nil, true // a missing key: no comparison holds
	}
	v, isFloat := x.(float64)
	if !isFloat || math.IsNaN(v) {
		return nil, false
	}
	// One search, for the operator's bound only.
	switch t.op {
	case opGreaterEq: // lit <= v
		return t.rules[:searchGT(t.lits, v)], true
	case opGreater: // lit < v
		return t.rules[:searchGE(t.lits, v)], true
	case opLessEq: // lit >= v
		return t.rules[searchGE(t.lits, v):], true
	}
	return t.rules[searchGT(t.lits, v):], true // opLess: lit > v
}

// searchGE returns the index of the first element of a (ascending) that is
// >= v, len(a) if none. The search halves a window whose base moves by a
// conditional move, not a branch: an item's value falls anywhere among the
// literals, so a branch would be mispredicted half the time.
func searchGE(a []float64, v float64) int {
	if len(a) == 0 {
		return 0
	}
	base, n := 0, len(a)
	for n > 1 {
		half := n >> 1
		base += half * b2i(a[base+half-1] < v)
		n -= half
	}
	return base + b2i(a[base] < v)
}

// searchGT returns the index of the first element of a (ascending) that is
// > v, len(a) if none; searched as searchGE.
func searchGT(a []float64, v float64) int {
	if len(a) == 0 {
		return 0
	}
	base, n := 0, len(a)
	for n > 1 {
		half := n >> 1
		base += half * b2i(a[base+half-1] <= v)
		n -= half
	}
	return base + b2i(a[base] <= v)
}

// b2i is 1 for true, 0 for false (compiled to a flag set, not a branch).
func b2i(b bool) int {
	var i int
	if b {
		i = 1
	}
	return i
}
