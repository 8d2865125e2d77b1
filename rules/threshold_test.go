package rules

import (
	"fmt"
	"slices"
	"sort"
	"testing"

	"pgregory.net/rapid"

	"github.com/allot/allot"
)

// TestThresholdsEqualSlow: regions made mostly of one-comparison scoring rules
// on two keys (so that the sorted threshold lists are long, with repeated
// literals, ints and doubles, and every operator, either way round) classify
// as the oracle does, for every kind of item value.
func TestThresholdsEqualSlow(t *testing.T) {
	t.Parallel()
	lits := []string{`1`, `2`, `2.0`, `2.5`, `-1`, `0`, `-0.0`, `10`, `3u`, `9007199254740992.0`, `9007199254740993`,
		`9223372036854775807`, `1e300`, `-1e300`, `"x"`}
	rapid.Check(t, func(t *rapid.T) {
		r := &allot.Region{ID: "r"}
		for i := range rapid.IntRange(0, 40).Draw(t, "scoring") {
			k := rapid.SampledFrom([]string{"a", "b", "priority"}).Draw(t, "key")
			op := rapid.SampledFrom([]string{"<", "<=", ">", ">="}).Draw(t, "op")
			lit := rapid.SampledFrom(lits).Draw(t, "lit")
			when := fmt.Sprintf("item.%s %s %s", k, op, lit)
			if rapid.Bool().Draw(t, "turned") {
				when = fmt.Sprintf("%s %s item.%s", lit, op, k)
			}
			if rapid.IntRange(0, 9).Draw(t, "extra") == 0 {
				when += " && item.c == \"x\""
			}
			r.ScoringRules = append(r.ScoringRules, allot.ScoringRule{Name: fmt.Sprintf("s%d", i), When: when,
				Points: rapid.IntRange(-10, 30).Draw(t, "points")})
		}
		s, ps := compile(r, defaultShape)
		if len(ps) > 0 {
			t.Fatalf("generated rules do not compile: %v", ps)
		}
		for i := range rapid.IntRange(1, 8).Draw(t, "items") {
			checkItem(t, s, r, genItem(t, fmt.Sprintf("item%d", i)))
		}
	})
}

// TestSearchesMatchSort: the branch-free searches agree with sort.Search on
// random ascending lists (with repeats) for values below, among, between and
// above the literals.
func TestSearchesMatchSort(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		a := rapid.SliceOfN(rapid.IntRange(-5, 5), 0, 70).Draw(t, "lits")
		lits := make([]float64, len(a))
		for i, v := range a {
			lits[i] = float64(v) / 2
		}
		slices.Sort(lits)
		v := float64(rapid.IntRange(-12, 12).Draw(t, "v")) / 4
		if got, want := searchGE(lits, v), sort.Search(len(lits), func(i int) bool { return lits[i] >= v }); got != want {
			t.Fatalf("searchGE(%v, %v) = %d, want %d", lits, v, got, want)
		}
		if got, want := searchGT(lits, v), sort.Search(len(lits), func(i int) bool { return lits[i] > v }); got != want {
			t.Fatalf("searchGT(%v, %v) = %d, want %d", lits, v, got, want)
		}
	})
}
