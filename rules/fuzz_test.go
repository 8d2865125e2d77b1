package rules

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/allot/allot"
)

// fuzzItems are the items FuzzCompile classifies with whatever compiles.
var fuzzItems = []*allot.Item{
	lead(),
	lead("country", "DE", "program", "ielts", "score", 3.0, "tags", []any{"a", "b"}),
	lead("a", 1.0, "b", int64(2), "c", 3, "d", true, "e", []string{"x"}, "f", ""),
	{Type: "case", Priority: -1},
}

// FuzzCompile compiles arbitrary conditions as a routing and as a scoring
// rule: it never panics, either compiles or reports problems at the rules'
// fields, and whatever compiles classifies as ClassifySlow does.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		``,
		`item.country == "DE" && item.program in ["ielts", "toefl"] && item.score > 50`,
		`item["a"] == 1 || !has(item.b)`,
		`size(item.tags) > 1 && "a" in item.tags`,
		`item.a ==`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, when string) {
		s, ps := Compile(region([]string{when}, when))
		checkCompiled(t, s, ps, "rules[0].when", "scoring_rules[0].when")
		s, ps = Compile(region([]string{when}))
		checkCompiled(t, s, ps, "rules[0].when")
	})
}

func checkCompiled(t *testing.T, s *Set, ps allot.Problems, paths ...string) {
	t.Helper()
	if (s == nil) == (len(ps) == 0) {
		t.Fatalf("Set is nil: %v, problems: %v; want exactly one of them", s == nil, ps)
	}
	for _, p := range ps {
		if !strings.Contains(strings.Join(paths, " "), p.Path) || p.Path == "" {
			t.Errorf("problem at %q, want one of %v", p.Path, paths)
		}
		if p.Message == "" || strings.ContainsAny(p.Message, "\r\n") {
			t.Errorf("%s: message %q: want one non-empty line", p.Path, p.Message)
		}
	}
	if s == nil {
		return
	}
	for _, it := range fuzzItems {
		if got, want := s.Classify(it), s.ClassifySlow(it); !reflect.DeepEqual(got, want) {
			t.Errorf("item %v: Classify = %+v, ClassifySlow = %+v", it.Attributes, got, want)
		}
	}
}

// fuzzSet is a rule set over keys a, b and c with literals of every kind.
var fuzzSet = sync.OnceValue(func() *Set {
	var routing []string
	lits := []string{`"DE"`, `""`, `3`, `3.5`, `-1`, `3u`, `true`, `"3"`, `1e18`}
	for _, k := range []string{"a", "b", "c"} {
		for _, l := range lits {
			routing = append(routing,
				fmt.Sprintf(`item.%s == %s`, k, l),
				fmt.Sprintf(`item.%s in [%s, "x"] && item.b != 0`, k, l),
				fmt.Sprintf(`item.%s > %s || %s in item.%s`, k, l, l, k),
				fmt.Sprintf(`!(item.%s in [%s]) && has(item.c)`, k, l),
				fmt.Sprintf(`(item.%s == %s) != (item.c == 3)`, k, l), // CEL only
			)
		}
		routing = append(routing, fmt.Sprintf(`size(item.%s) == 2 || item.%s.startsWith("D")`, k, k))
	}
	r := region(routing, `item.a == "DE"`, `item.b > 1`, `"x" in item.c`, `item.a == 3 || item.b == 3`)
	r.Tiers = []allot.Tier{{Name: "low", MinScore: 0}, {Name: "high", MinScore: 2}}
	s, ps := Compile(r)
	if len(ps) > 0 {
		panic(ps.Error())
	}
	return s
})

// FuzzClassify classifies items with arbitrary values against fuzzSet:
// Classify always equals ClassifySlow.
func FuzzClassify(f *testing.F) {
	f.Add("DE", 3.0, int64(3), true, uint16(0))
	f.Add("3", 3.5, int64(-1), false, uint16(0x1234))
	f.Add("", -0.0, int64(1<<53+1), true, uint16(0xffff))
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b bool, kinds uint16) {
		vals := []any{s, x, n, int(n), b, []any{s, "x"}, []string{s}, uint64(n)}
		it := &allot.Item{Type: "lead", Attributes: map[string]any{}}
		for i, k := range []string{"a", "b", "c"} {
			// 4 bits per key: a value kind, or missing
			if v := int(kinds>>(4*i)) & 15; v < len(vals) {
				it.Attributes[k] = vals[v]
			}
		}
		set := fuzzSet()
		if got, want := set.Classify(it), set.ClassifySlow(it); !reflect.DeepEqual(got, want) {
			t.Errorf("item %#v: Classify = %+v, ClassifySlow = %+v", it.Attributes, got, want)
		}
	})
}
