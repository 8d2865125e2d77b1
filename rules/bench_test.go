package rules

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"

	"github.com/allot/allot"
)

// leadGen generates a lead-routing region and a lead-like item mix,
// deterministically from its seed.
type leadGen struct {
	rnd       *rand.Rand
	countries []string
	programs  []string
	offices   []string
	languages []string
	sources   []string
}

func newLeadGen(seed uint64) *leadGen {
	g := &leadGen{
		rnd: rand.New(rand.NewPCG(seed, 0x5eed)),
		countries: []string{"FR", "DE", "ES", "IT", "NL", "BE", "PT", "PL", "SE", "NO",
			"DK", "FI", "IE", "GB", "AT", "CH", "CZ", "HU", "RO", "GR",
			"US", "CA", "MX", "BR", "AR", "IN", "CN", "JP", "AU", "ZA"},
		offices: []string{"paris", "lyon", "berlin", "munich", "madrid", "rome", "milan", "amsterdam",
			"brussels", "lisbon", "warsaw", "stockholm", "oslo", "dublin", "london", "vienna",
			"zurich", "prague", "new_york", "sydney"},
		languages: []string{"en", "fr", "de", "es", "it", "nl", "pt", "pl"},
		sources:   []string{"web", "referral", "event", "partner", "ads", "webinar"},
	}
	for i := range 40 {
		g.programs = append(g.programs, fmt.Sprintf("p%d", i))
	}
	return g
}

func (g *leadGen) pick(vs []string) string { return vs[g.rnd.IntN(len(vs))] }

// two picks two distinct values.
func (g *leadGen) two(vs []string) (string, string) {
	i := g.rnd.IntN(len(vs))
	j := (i + 1 + g.rnd.IntN(len(vs)-1)) % len(vs)
	return vs[i], vs[j]
}

// region returns nRules routing rules (the last one a catch-all for leads)
// and nScoring scoring rules. About 10% of the routing rules carry a
// conjunct the index cannot answer (a budget threshold, an email suffix).
func (g *leadGen) region(nRules, nScoring int) *allot.Region {
	r := &allot.Region{
		ID:    "eu",
		Tiers: []allot.Tier{{Name: "hot", MinScore: 60}, {Name: "warm", MinScore: 25}, {Name: "cold", MinScore: 0}},
	}
	for i := range nRules - 1 {
		r.Rules = append(r.Rules, allot.Rule{Name: fmt.Sprintf("r%d", i), Queue: "q", When: g.routingWhen()})
	}
	r.Rules = append(r.Rules, allot.Rule{Name: "leads", Queue: "q", When: `item.type == "lead"`})
	for i := range nScoring {
		when, points := g.scoringWhen(i)
		r.ScoringRules = append(r.ScoringRules, allot.ScoringRule{Name: fmt.Sprintf("s%d", i), When: when, Points: points})
	}
	return r
}

func (g *leadGen) routingWhen() string {
	c, p := g.pick(g.countries), g.pick(g.programs)
	o1, o2 := g.two(g.offices)
	base := fmt.Sprintf(`item.country == %q && item.program == %q && item.office in [%q, %q]`, c, p, o1, o2)
	switch x := g.rnd.Float64(); {
	case x < 0.04:
		return base + fmt.Sprintf(` && item.budget > %d`, 1000*g.rnd.IntN(10))
	case x < 0.07:
		return fmt.Sprintf(`item.country == %q && item.program == %q && item.email.endsWith(".edu")`, c, p)
	case x < 0.085: // a disjunction (decided natively)
		return base + fmt.Sprintf(` && (item.budget > %d || item.source == "referral")`, 1000*g.rnd.IntN(10))
	case x < 0.0925: // a negation (decided natively)
		return base + ` && !(item.source in ["ads", "web"])`
	case x < 0.10: // arithmetic: only CEL can decide it
		return base + fmt.Sprintf(` && item.budget / 12.0 > %d.0`, 100*g.rnd.IntN(10))
	case x < 0.25:
		return fmt.Sprintf(`item.country == %q && item.program == %q`, c, p)
	case x < 0.35:
		l1, l2 := g.two(g.languages)
		return fmt.Sprintf(`item.country == %q && item.language in [%q, %q] && item.tier == "hot"`, c, l1, l2)
	default:
		return base
	}
}

// scoringWhen: mostly indexable conditions, some with a threshold or a post
// code range (which only CEL can decide), and six that no index can answer.
func (g *leadGen) scoringWhen(i int) (string, int) {
	switch i {
	case 0:
		return `item.budget > 10000`, 20
	case 1:
		return `item.email.endsWith(".edu")`, 10
	case 2:
		return `size(item.tags) > 2`, 5
	case 3:
		return `"event" in item.tags`, 5
	case 4:
		return `item.source == "referral" || item.budget > 15000`, 15
	case 5:
		return `!(item.source in ["ads", "web"]) && item.budget > 5000`, 5
	case 6: // only CEL can decide the range, for French leads
		return `item.country == "FR" && int(item.post_code) >= 75000 && int(item.post_code) < 76000`, 10
	}
	points := g.rnd.IntN(30) - 5
	switch x := g.rnd.Float64(); {
	case x < 0.10:
		return fmt.Sprintf(`item.country == %q && item.budget > %d`, g.pick(g.countries), 500*g.rnd.IntN(20)), points
	case x < 0.40:
		return fmt.Sprintf(`item.source == %q`, g.pick(g.sources)), points
	case x < 0.60:
		a, b := g.two(g.countries)
		return fmt.Sprintf(`item.country in [%q, %q]`, a, b), points
	case x < 0.80:
		return fmt.Sprintf(`item.program == %q && item.language == %q`, g.pick(g.programs), g.pick(g.languages)), points
	default:
		return fmt.Sprintf(`item["post_code"] == "%05d"`, 1000*g.rnd.IntN(96)), points
	}
}

// item returns a lead as it arrives from JSON: numbers are float64.
func (g *leadGen) item() *allot.Item {
	email := "lead@example.com"
	if g.rnd.IntN(5) == 0 {
		email = "student@uni.edu"
	}
	tags := []any{}
	for range g.rnd.IntN(5) {
		tags = append(tags, g.pick(g.sources))
	}
	return &allot.Item{
		Type:       "lead",
		ExternalID: fmt.Sprintf("00Q%09d", g.rnd.IntN(1e9)),
		Priority:   g.rnd.IntN(3),
		Attributes: map[string]any{
			"country":   g.pick(g.countries),
			"program":   g.pick(g.programs),
			"office":    g.pick(g.offices),
			"language":  g.pick(g.languages),
			"source":    g.pick(g.sources),
			"post_code": fmt.Sprintf("%05d", 1000*g.rnd.IntN(96)),
			"budget":    float64(g.rnd.IntN(20000)),
			"email":     email,
			"tags":      tags,
		},
	}
}

var bench4000 = sync.OnceValues(func() (*Set, []*allot.Item) {
	g := newLeadGen(1)
	s, ps := Compile(g.region(4000, 200))
	if len(ps) > 0 {
		panic(ps.Error())
	}
	items := make([]*allot.Item, 1024)
	for i := range items {
		items[i] = g.item()
	}
	return s, items
})

var sinkResult Result

func BenchmarkClassify4000(b *testing.B) {
	s, items := bench4000()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sinkResult = s.Classify(items[i%len(items)])
		i++
	}
}

func BenchmarkClassifySlow4000(b *testing.B) {
	s, items := bench4000()
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		sinkResult = s.ClassifySlow(items[i%len(items)])
		i++
	}
}

func BenchmarkCompile4000(b *testing.B) {
	r := newLeadGen(1).region(4000, 200)
	b.ReportAllocs()
	for b.Loop() {
		if _, ps := Compile(r); len(ps) > 0 {
			b.Fatal(ps)
		}
	}
}

// The generated region is also a realistic check of the index: every item of
// the mix gets exactly the oracle's result.
func TestGeneratedRegionMatchesOracle(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("compiles 4,200 rules")
	}
	s, items := bench4000()
	matched := 0
	for i, it := range items[:256] {
		got, want := s.Classify(it), s.ClassifySlow(it)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("item %d %v: Classify = %+v, ClassifySlow = %+v", i, it.Attributes, got, want)
		}
		if got.Rule < s.Len()-1 {
			matched++
		}
	}
	if matched == 0 {
		t.Error("no item matched a rule before the catch-all: the generator tests nothing")
	}
}
