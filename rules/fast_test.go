package rules

import (
	"fmt"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/allot/allot"
	"github.com/allot/allot/internal/gen"
)

// checkFastAgainstCEL compiles src both ways. When the fast path takes it,
// CEL's full compiler must compile it without problems to the same
// membership predicates and checks, with nothing left for the program and
// no use of score or tier. It reports whether the fast path took it.
func checkFastAgainstCEL(t interface {
	Helper()
	Fatalf(string, ...any)
}, src string) bool {
	t.Helper()
	env := environment()
	fast, ok := fastCompile(env, src)
	full, msg := newCompiler().compileFull(src)
	if !ok {
		return false
	}
	if msg != "" {
		t.Fatalf("fast path took %q, which CEL rejects: %s", src, msg)
	}
	if full.residual || full.scoreRef != "" {
		t.Fatalf("fast path took %q; CEL: residual %v, scoreRef %q", src, full.residual, full.scoreRef)
	}
	if !reflect.DeepEqual(fast.preds, full.preds) {
		t.Fatalf("%q: fast preds %+v, CEL's %+v", src, fast.preds, full.preds)
	}
	if !reflect.DeepEqual(fast.checks, full.checks) {
		t.Fatalf("%q: fast checks %+v, CEL's %+v", src, fast.checks, full.checks)
	}
	return true
}

// TestFastPathMatchesCEL: over conditions drawn from the fast path's
// grammar and from a cloud of near misses around it (reserved words,
// escapes, other number forms, chained relations, score and tier, ...),
// whatever the fast path accepts CEL compiles to the same result.
func TestFastPathMatchesCEL(t *testing.T) {
	t.Parallel()
	var took, total int
	rapid.Check(t, func(t *rapid.T) {
		src := genFastCondition(t)
		total++
		if checkFastAgainstCEL(t, src) {
			took++
		}
	})
	t.Logf("the fast path took %d of %d conditions", took, total)
	// The generator hits the fast path about 12 % of the time; this guard
	// only catches a generator that has stopped reaching it (2 % leaves
	// a chance of a false alarm of about 4e-5 at 100 draws).
	if total > 0 && took*50 < total {
		t.Errorf("the fast path took %d of %d conditions: the generator misses it", took, total)
	}
}

// TestFastPathTable pins what the fast path takes and what it leaves to CEL.
func TestFastPathTable(t *testing.T) {
	for src, want := range map[string]bool{
		`item.country == "FR"`: true,
		`item.country == "FR" && item.program in ["p01", 'p02']`:            true,
		`item.budget > 1000 && item["call type"] != "chat"`:                 true,
		`"FR" == item.country && 3 < item.n && item.x <= -2.5`:              true,
		`(item.a == 1 || item.b in []) && !(item.c == true) && has(item.d)`: true,
		`!has(item.d) && "x" in item.tags && item.u >= 3u`:                  true,
		"item.a == 1\n\t&& item.b == 2":                                     true,
		`true && item.a == 1`:                                               true,
		`item.a == "é"`:                                                     true,
		``:                                                                  false, // empty: not parsed at all
		`item.a == "x\"y"`:                                                  false, // escape
		`item.a == """x"""`:                                                 false,
		`item.a == r"x"`:                                                    false,
		`item.a == 0x10`:                                                    false,
		`item.a == 1e3`:                                                     false,
		`item.a == .5`:                                                      false,
		`item.a == - 1`:                                                     false,
		`item.a == 9223372036854775808`:                                     false, // CEL: invalid int literal
		`item.a == 9007199254740993`:                                        false, // beyond 2^53: CEL decides
		`item.a in [1, 2,]`:                                                 false,
		`item.if == 1`:                                                      false,
		`item.a == 1 // comment`:                                            false,
		`item.a < 1 < 2`:                                                    false,
		`!item.a == 1`:                                                      false,
		`item.a == item.b`:                                                  false,
		`item.a`:                                                            false,
		`false`:                                                             false,
		`item.tier == "hot"`:                                                false, // score and tier: CEL's path
		`item.a.size() == 2`:                                                false,
		`item.a == null`:                                                    false,
		`has(item["a"])`:                                                    false,
		`item.a ==`:                                                         false,
	} {
		got := checkFastAgainstCEL(t, src)
		if got != want {
			t.Errorf("fast path takes %q: %v, want %v", src, got, want)
		}
	}
}

// TestFastPathGenerated: every condition of the generated large config
// takes the fast path, and compiling it gives the problems CEL gives (none).
func TestFastPathGenerated(t *testing.T) {
	cfg := gen.Config(gen.Large)
	r := &cfg.Regions[0]
	seen := map[string]bool{}
	for _, ru := range r.Rules {
		seen[ru.When] = true
	}
	for _, sr := range r.ScoringRules {
		seen[sr.When] = true
	}
	for src := range seen {
		if !checkFastAgainstCEL(t, src) {
			t.Errorf("%q: not on the fast path", src)
		}
	}
}

// TestFastPathProgram: a fast-path condition's program, built on first use,
// is CEL's and decides as the index does.
func TestFastPathProgram(t *testing.T) {
	r := &allot.Region{ID: "r", Rules: []allot.Rule{
		{Name: "a", Queue: "q", When: `item.country == "FR" && item.budget >= 1000`},
		{Name: "b", Queue: "q", When: `item.country in ["DE", "FR"]`},
	}}
	s, ps := Compile(r)
	if len(ps) > 0 {
		t.Fatal(ps)
	}
	for i := range s.routing.conds {
		if _, lazy := s.routing.conds[i].prog.(*lazyProgram); !lazy {
			t.Fatalf("rule %d: not on the fast path", i)
		}
	}
	for _, tc := range []struct {
		attrs map[string]any
		want  int
	}{
		{map[string]any{"country": "FR", "budget": 1500.0}, 0},
		{map[string]any{"country": "FR", "budget": 500.0}, 1},
		{map[string]any{"country": "FR", "budget": "lots"}, 1},
		{map[string]any{"country": "ES"}, -1},
	} {
		it := &allot.Item{Type: "lead", Attributes: tc.attrs}
		if got, slow := s.Classify(it).Rule, s.ClassifySlow(it).Rule; got != tc.want || slow != tc.want {
			t.Errorf("%v: Classify %d, ClassifySlow %d, want %d", tc.attrs, got, slow, tc.want)
		}
	}
}

// genFastCondition draws a condition mostly in the fast path's grammar,
// with near misses mixed in at every level (about one pick in ten).
func genFastCondition(t *rapid.T) string {
	return genFastExpr(t, 3)
}

// pick draws from good, or from bad about one time in ten.
func pick(t *rapid.T, label string, good, bad []string) string {
	if rapid.IntRange(0, 9).Draw(t, label+"?") == 0 {
		return rapid.SampledFrom(bad).Draw(t, label)
	}
	return rapid.SampledFrom(good).Draw(t, label)
}

func genFastExpr(t *rapid.T, depth int) string {
	n := rapid.IntRange(1, 4).Draw(t, "n")
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(pick(t, "join", []string{" && ", " && ", "&&", " || ", "\n&& ", " ||\t"}, []string{" & ", " and ", " &&& ", " // c\n&& "}))
		}
		b.WriteString(genFastUnary(t, depth))
	}
	return b.String()
}

func genFastUnary(t *rapid.T, depth int) string {
	if depth > 0 && rapid.IntRange(0, 5).Draw(t, "nest") == 0 {
		inner := genFastExpr(t, depth-1)
		return fmt.Sprintf(pick(t, "wrap", []string{"(%s)", "!(%s)", "( %s )", "((%s))", "! (%s)"}, []string{"!%s", "!!(%s)", "(%s", "-(%s)"}), inner)
	}
	k := genFastKey(t)
	l := genFastLit(t)
	if rapid.IntRange(0, 9).Draw(t, "odd") == 0 {
		switch rapid.IntRange(0, 4).Draw(t, "oddform") {
		case 0:
			return pick(t, "bare", []string{"true"}, []string{"false", "null", "item", "1", `"x"`})
		case 1:
			return fmt.Sprintf("%s %s %s", k, genFastOp(t), genFastKey(t))
		case 2:
			return fmt.Sprintf("%s %s %s %s %s", k, genFastOp(t), l, genFastOp(t), genFastLit(t))
		case 3:
			return k
		default:
			return fmt.Sprintf("%s %s %s", l, genFastOp(t), genFastLit(t))
		}
	}
	switch rapid.IntRange(0, 6).Draw(t, "form") {
	case 0:
		return fmt.Sprintf("%s %s %s", k, genFastOp(t), l)
	case 1:
		return fmt.Sprintf("%s %s %s", l, genFastOp(t), k)
	case 2:
		var lits []string
		for range rapid.IntRange(0, 4).Draw(t, "len") {
			lits = append(lits, genFastLit(t))
		}
		sep := pick(t, "sep", []string{", ", ",", " , "}, []string{" ", ";"})
		tail := pick(t, "tail", []string{"]"}, []string{",]", ""})
		return fmt.Sprintf("%s in [%s%s", k, strings.Join(lits, sep), tail)
	case 3:
		return fmt.Sprintf("%s in %s", l, k)
	case 4:
		return fmt.Sprintf("%shas(%s)", pick(t, "not", []string{"", "!", "! "}, []string{"!!", "-"}), k)
	default:
		return k + pick(t, "tightop", []string{"==", " == ", "!=", "<", "<=", ">", ">=", " >= ", "\t==\n"}, []string{"=", "===", "=>"}) + l
	}
}

func genFastOp(t *rapid.T) string {
	return pick(t, "op", []string{"==", "!=", "<", "<=", ">", ">=", "==", "in"}, []string{"=", "=<", "<>", "+", "in in"})
}

func genFastKey(t *rapid.T) string {
	name := pick(t, "name", []string{"a", "b", "country", "_x", "A9", "type", "priority"},
		[]string{"score", "tier", "if", "in", "true", "null", "has", "item", "9a", "a-b", "a b", "é", ""})
	return fmt.Sprintf(pick(t, "key", []string{"item.%s", "item.%s", "item[%q]", "item['%s']", "item . %s"},
		[]string{"item.%s.x", "items.%s", ".item.%s", "item[%s]", "item[%q].x", "item.%s()", "item.%s[0]"}), name)
}

func genFastLit(t *rapid.T) string {
	return pick(t, "lit", []string{
		`"x"`, `'x'`, `""`, `"3"`, `"a b"`, `"é"`, "\"\x00\"", `"tab	"`, `'"'`,
		`1`, `0`, `-1`, `007`, `2u`, `2U`, `2.0`, `2.5`, `-0.0`, `0.0`, `-2.5`, `10`,
		`9223372036854775807`, `-9223372036854775808`, `18446744073709551615u`, `9007199254740992.0`, `9007199254740992`,
		`true`, `false`,
	}, []string{
		`"\u00e9"`, `"x\"y"`, `'it''s'`, `"""x"""`, `r"x"`, `b"x"`, "\"\xff\"", `-2u`, `.5`, `5.`, `1e3`, `1.5e3`,
		`0x1F`, `1_000`, `9223372036854775808`, `18446744073709551616u`, `9007199254740993`, `- 1`, `--1`, `-(1)`,
		`null`, `True`, `[1]`, `{}`, `"x`, `'x"`, "\"a\nb\"",
	})
}
