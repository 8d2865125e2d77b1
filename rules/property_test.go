package rules

import (
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"pgregory.net/rapid"

	"github.com/allot/allot"
)

// The property: over random rule sets and items drawn from a small domain
// (so that matches, mixed number kinds, missing keys and lists are common),
// Classify equals ClassifySlow exactly, Match agrees with the programs, and
// the programs read the item view as they would read a plain map.
func TestClassifyEqualsSlow(t *testing.T) {
	t.Parallel()
	rapid.Check(t, func(t *rapid.T) {
		r := genRegion(t)
		sh := shape{
			leafSize:  rapid.IntRange(0, 8).Draw(t, "leafSize"),
			maxDepth:  rapid.IntRange(1, 8).Draw(t, "maxDepth"),
			maxCopies: rapid.IntRange(1, 16).Draw(t, "maxCopies"),
			minSaving: float64(rapid.IntRange(-1, 4).Draw(t, "minSaving")),
		}
		s, ps := compile(r, sh)
		if len(ps) > 0 {
			t.Fatalf("generated rules do not compile: %v", ps)
		}
		for i := range rapid.IntRange(1, 6).Draw(t, "items") {
			it := genItem(t, fmt.Sprintf("item%d", i))
			checkItem(t, s, r, it)
		}
	})
}

func checkItem(t *rapid.T, s *Set, r *allot.Region, it *allot.Item) {
	got, want := s.Classify(it), s.ClassifySlow(it)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Classify = %+v, ClassifySlow = %+v\n%s", got, want, describe(r, it))
	}
	if plain := classifyPlain(s, it); !reflect.DeepEqual(plain, want) {
		t.Fatalf("over a plain map = %+v, ClassifySlow = %+v\n%s", plain, want, describe(r, it))
	}
	for i := range r.Rules {
		v := &itemView{it: it, adapter: s.adapter}
		v.setStage(stageState{routing: true, score: got.Score, tier: got.Tier})
		want := !r.Rules[i].Disabled && evalProg(s.routing.conds[i].prog, v)
		if m := s.Match(i, it, got.Score, got.Tier); m != want {
			t.Fatalf("Match(%d) = %v, its program says %v\n%s", i, m, want, describe(r, it))
		}
	}
}

// describe lists the rules and the item for a failure message.
func describe(r *allot.Region, it *allot.Item) string {
	var b strings.Builder
	for i, ru := range r.Rules {
		fmt.Fprintf(&b, "rules[%d] (disabled %v): %s\n", i, ru.Disabled, ru.When)
	}
	for i, sr := range r.ScoringRules {
		fmt.Fprintf(&b, "scoring_rules[%d] (%+d): %s\n", i, sr.Points, sr.When)
	}
	fmt.Fprintf(&b, "tiers: %v\nitem: type %q priority %d attributes %#v", r.Tiers, it.Type, it.Priority, it.Attributes)
	return b.String()
}

// classifyPlain is ClassifySlow over CEL's own map of the item.
func classifyPlain(s *Set, it *allot.Item) Result {
	res := Result{Rule: -1}
	m := plainMap(it, stageState{})
	for i := range s.scoring.conds {
		if evalPlain(s.scoring.conds[i].prog, m) {
			res.Score += s.points[i]
			res.ScoringRules = append(res.ScoringRules, i)
		}
	}
	res.Tier = s.tierOf(res.Score)
	m = plainMap(it, stageState{routing: true, score: res.Score, tier: res.Tier})
	for i := range s.routing.conds {
		if c := &s.routing.conds[i]; !c.off && evalPlain(c.prog, m) {
			res.Rule = i
			break
		}
	}
	return res
}

func plainMap(it *allot.Item, st stageState) map[string]any {
	m := map[string]any{}
	for k, v := range it.Attributes {
		m[k] = v
	}
	m["type"], m["external_id"], m["priority"] = it.Type, it.ExternalID, it.Priority
	delete(m, "score")
	delete(m, "tier")
	if st.routing {
		m["score"], m["tier"] = st.score, st.tier
	}
	return m
}

// evalPlain is evalProg with CEL's own activation over a plain map.
func evalPlain(prog cel.Program, m map[string]any) bool {
	if prog == nil {
		return true
	}
	out, _, err := prog.Eval(map[string]any{itemVar: m})
	return err == nil && out == types.True
}

// genRegion draws up to 40 routing rules (some disabled) and up to 8
// scoring rules over keys a..d.
func genRegion(t *rapid.T) *allot.Region {
	r := &allot.Region{ID: "r"}
	for i := range rapid.IntRange(0, 40).Draw(t, "routing") {
		r.Rules = append(r.Rules, allot.Rule{
			Name:     fmt.Sprintf("r%d", i),
			Queue:    "q",
			When:     genCondition(t, true),
			Disabled: rapid.IntRange(0, 9).Draw(t, "disabled") == 0,
		})
	}
	for i := range rapid.IntRange(0, 8).Draw(t, "scoring") {
		r.ScoringRules = append(r.ScoringRules, allot.ScoringRule{
			Name:   fmt.Sprintf("s%d", i),
			When:   genCondition(t, false),
			Points: rapid.IntRange(-10, 30).Draw(t, "points"),
		})
	}
	mins := rapid.SliceOfNDistinct(rapid.SampledFrom([]int{-5, 0, 5, 10, 20, 40}), 0, 3, rapid.ID[int]).Draw(t, "tiers")
	for i, m := range mins {
		r.Tiers = append(r.Tiers, allot.Tier{Name: []string{"hot", "warm", "cold"}[i], MinScore: m})
	}
	return r
}

var (
	attrKeys    = []string{"a", "b", "c", "d"}
	routingKeys = []string{"a", "b", "c", "d", "a", "b", "score", "tier", "type", "priority"}
	scoringKeys = []string{"a", "b", "c", "d", "a", "b", "type", "priority"}
	literals    = []string{`"x"`, `"y"`, `"3"`, `1`, `2`, `3`, `-1`, `0`, `2u`, `3u`, `2.0`, `2.5`, `0.0`, `true`, `false`,
		`9007199254740992.0`, `9007199254740993`, `"hot"`, `"lead"`, `10`}
	orderLits = []string{`1`, `2`, `2.5`, `3u`, `"x"`, `10`, `-1`, `true`}
)

// genCondition draws a conjunction of 0 to 4 conjuncts.
func genCondition(t *rapid.T, routing bool) string {
	keys := scoringKeys
	if routing {
		keys = routingKeys
	}
	n := rapid.IntRange(0, 4).Draw(t, "conjuncts")
	cs := make([]string, n)
	for i := range cs {
		cs[i] = genConjunct(t, keys, 2)
	}
	return strings.Join(cs, " && ")
}

func genConjunct(t *rapid.T, keys []string, depth int) string {
	k := rapid.SampledFrom(keys).Draw(t, "key")
	lit := func() string { return rapid.SampledFrom(literals).Draw(t, "lit") }
	ord := rapid.SampledFrom([]string{"<", "<=", ">", ">="}).Draw(t, "op")
	forms := []func() string{
		func() string { return fmt.Sprintf("item.%s == %s", k, lit()) },
		func() string { return fmt.Sprintf("%s == item.%s", lit(), k) },
		func() string { return fmt.Sprintf("item[%q] == %s", k, lit()) },
		func() string { return fmt.Sprintf("item.%s in [%s, %s]", k, lit(), lit()) },
		func() string { return fmt.Sprintf("item.%s in [%s]", k, lit()) },
		func() string { return fmt.Sprintf("item.%s in []", k) },
		func() string { return fmt.Sprintf("item.%s != %s", k, lit()) },
		func() string { return fmt.Sprintf("!(item.%s in [%s, %s])", k, lit(), lit()) },
		func() string { return fmt.Sprintf("!(item.%s == %s)", k, lit()) },
		func() string {
			return fmt.Sprintf("item.%s %s %s", k, ord, rapid.SampledFrom(orderLits).Draw(t, "olit"))
		},
		func() string {
			return fmt.Sprintf("%s %s item.%s", rapid.SampledFrom(orderLits).Draw(t, "olit"), ord, k)
		},
		func() string {
			return fmt.Sprintf("size(item.%s) %s %s", k, ord, rapid.SampledFrom(orderLits[:4]).Draw(t, "slit"))
		},
		func() string { return fmt.Sprintf("item.%s.size() == 2", k) },
		func() string { return fmt.Sprintf("has(item.%s)", k) },
		func() string { return fmt.Sprintf("!has(item.%s)", k) },
		func() string { return fmt.Sprintf("%s in item.%s", lit(), k) },
		func() string { return fmt.Sprintf("item.%s.startsWith(\"x\")", k) },
		func() string { return fmt.Sprintf("item.%s.endsWith(\"y\")", k) },
		func() string { return fmt.Sprintf("item.%s.contains(\"\")", k) },
		// CEL only:
		func() string { return fmt.Sprintf("!(item.%s > 1)", k) },
		func() string { return fmt.Sprintf("item.%s + 1 > 2", k) },
		func() string { return fmt.Sprintf("item.%s.exists(v, v == \"x\")", k) },
		func() string { return fmt.Sprintf("item.%s", k) },
		func() string { return fmt.Sprintf("(item.%s == %s) == true", k, lit()) },
		func() string { return "true" },
		func() string { return "false" },
	}
	if depth > 0 {
		forms = append(forms,
			func() string {
				return fmt.Sprintf("(%s || %s)", genConjunct(t, keys, depth-1), genConjunct(t, keys, depth-1))
			},
			func() string {
				return fmt.Sprintf("(%s && %s)", genConjunct(t, keys, depth-1), genConjunct(t, keys, depth-1))
			},
		)
	}
	return rapid.SampledFrom(forms).Draw(t, "form")()
}

// genValue draws an attribute value of any supported kind, or reports that
// the key is missing.
func genValue(t *rapid.T, label string) (any, bool) {
	switch rapid.IntRange(0, 9).Draw(t, label+"kind") {
	case 0:
		return nil, false
	case 1, 2:
		return rapid.SampledFrom([]string{"x", "y", "3", "xy", "hot", "lead", ""}).Draw(t, label), true
	case 3:
		return rapid.SampledFrom([]float64{1, 2, 2.5, 3, -1, 0, math.Copysign(0, -1), 10, math.NaN(), math.Inf(1), 1 << 53, 1e300}).Draw(t, label), true
	case 4:
		return rapid.SampledFrom([]int64{1, 2, 3, -1, 0, 10, 1<<53 + 1, math.MaxInt64}).Draw(t, label), true
	case 5:
		return rapid.SampledFrom([]int{1, 2, 3, 0}).Draw(t, label), true
	case 6:
		return rapid.Bool().Draw(t, label), true
	case 7:
		return rapid.SliceOfN(rapid.SampledFrom([]string{"x", "y", "3"}), 0, 3).Draw(t, label), true
	case 8:
		v := rapid.SliceOfN(rapid.SampledFrom([]string{"x", "y", "3"}), 0, 3).Draw(t, label)
		out := make([]any, len(v))
		for i := range v {
			out[i] = v[i]
		}
		return out, true
	default:
		return rapid.SampledFrom([]any{uint64(2), float32(2.5), int32(3), []byte("x")}).Draw(t, label), true
	}
}

func genItem(t *rapid.T, label string) *allot.Item {
	it := &allot.Item{
		Type:       rapid.SampledFrom([]string{"lead", "case"}).Draw(t, label+".type"),
		ExternalID: "x1",
		Priority:   rapid.IntRange(0, 3).Draw(t, label+".priority"),
		// Ignored: classification computes them.
		Score: rapid.IntRange(-5, 50).Draw(t, label+".score"),
		Tier:  "stale",
	}
	if rapid.Bool().Draw(t, label+".attrs") {
		it.Attributes = map[string]any{}
		for _, k := range attrKeys {
			if v, ok := genValue(t, label+"."+k); ok {
				it.Attributes[k] = v
			}
		}
	}
	return it
}
