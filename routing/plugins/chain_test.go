package plugins_test

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// TestChainMatchesFilters checks the fused filter chain (Profile.Check, what
// the engine runs) against running the profile's filters one by one, over
// random members and items: same verdict, same reason, same filter named, with
// and without the queue index prepared.
func TestChainMatchesFilters(t *testing.T) {
	t.Parallel()
	p := mustProfile(t, allot.RoundRobin, "")
	if p.Check == nil {
		t.Fatal("ForQueue left Profile.Check nil: the engine would run the slow chain")
	}
	slow := &routing.Profile{Policy: p.Policy, Filters: p.Filters, Scorers: p.Scorers}
	decided := map[string]bool{}
	gave := map[allot.Rejection]bool{}
	check := func(t *rapid.T) {
		ms, c := genMembersAndCycle(t)
		for _, m := range ms {
			if s, f := slow.Eligible(c, m); f != "" {
				decided[f] = true
				gave[allot.Rejection{Filter: f, Reason: s.Reason}] = true
			}
			gs, gf := p.Eligible(c, m)
			ws, wf := slow.Eligible(c, m)
			if gs != ws || gf != wf {
				t.Fatalf("member %s: fused chain = %q by %q, filters in order = %q by %q", m.Agent.ID, gs.Reason, gf, ws.Reason, wf)
			}
		}
	}
	// The last filters decide rarely (a member must pass all before
	// them): run more rounds until each has, up to a bound.
	for round := 0; round < 20 && (round == 0 || len(decided) < len(p.Filters)); round++ {
		rapid.Check(t, check)
	}
	// Guard against a generator that never reaches the later filters, which
	// would make the comparison vacuous for them.
	for _, f := range p.Filters {
		if !decided[f.Name()] {
			t.Errorf("no generated member was rejected by %q: the test does not exercise it", f.Name())
		}
	}
	// Every rejection the filters gave is in the profile's table (what the
	// fused chain's codes index); TestRejectionCodes checks the codes.
	for r := range gave {
		if !slices.Contains(p.Rejections, r) {
			t.Errorf("the filters rejected with %+v, which Profile.Rejections lacks", r)
		}
	}
}

// genMembersAndCycle draws members of one queue (each condition any filter
// tests fails now and then, so that every filter gets to decide) and an item
// for them, its cycle prepared against the queue index or not.
func genMembersAndCycle(t *rapid.T) ([]*routing.Member, *routing.Cycle) {
	types := []string{"lead", "case"}
	skills := []string{"fr", "de", "en"}
	vals := []string{"fr", "de", "75", "750", "13"}
	// Each condition fails now and then, so that every filter of the
	// chain gets to decide for some members.
	rarely := func(label string) bool { return rapid.IntRange(0, 5).Draw(t, label) == 0 }
	n := rapid.IntRange(1, 6).Draw(t, "members")
	var bs []*agentB
	for i := range n {
		b := agent(fmt.Sprintf("a%d", i))
		b.presence("p", !rarely("notRoutable"))
		b.m.OnShift = !rarely("offShift")
		b.m.Absent = rarely("absent")
		if rarely("manual") {
			b.manual()
		}
		b.capacity(rapid.IntRange(0, 4).Draw(t, "cap"))
		b.load(rapid.IntRange(0, 2).Draw(t, "load"))
		for _, typ := range types {
			if rapid.Bool().Draw(t, "hasPerType") {
				b.perType(typ, rapid.IntRange(0, 3).Draw(t, "perType"))
			}
			b.typeLoad(typ, rapid.IntRange(0, 3).Draw(t, "typeLoad"))
		}
		for _, s := range skills {
			if lv := rapid.IntRange(0, 6).Draw(t, "skill"); lv > 0 {
				b.skill(s, lv)
			}
		}
		for _, k := range []string{"languages", "territory"} {
			var vs []string
			for _, v := range vals {
				if rapid.Bool().Draw(t, "attrVal") {
					vs = append(vs, v)
				}
			}
			if len(vs) > 0 {
				b.attr(k, vs...)
			}
		}
		for range rapid.IntRange(0, 2).Draw(t, "caps") {
			cp := allot.Cap{PerDay: rapid.IntRange(0, 3).Draw(t, "perDay"), PerWeek: rapid.IntRange(0, 5).Draw(t, "perWeek")}
			if rapid.Bool().Draw(t, "capTyped") {
				cp.Type = rapid.SampledFrom(types).Draw(t, "capType")
			}
			day, week := routing.CivilDay(t0, b.m.Loc)
			if rapid.Bool().Draw(t, "staleCount") {
				day, week = day-7, week-7
			}
			b.withCap(cp, routing.CapCount{Day: day, Week: week,
				DayN: rapid.IntRange(0, 4).Draw(t, "dayN"), WeekN: rapid.IntRange(0, 6).Draw(t, "weekN")})
		}
		bs = append(bs, b)
	}
	ms := members(bs...)
	cb := cycle().typ(rapid.SampledFrom(types).Draw(t, "type")).units(rapid.IntRange(1, 2).Draw(t, "units"))
	if rapid.Bool().Draw(t, "pull") {
		cb.pull()
	}
	for range rapid.IntRange(0, 1).Draw(t, "excluded") {
		cb.exclude(fmt.Sprintf("a%d", rapid.IntRange(0, n).Draw(t, "excludedAgent")))
	}
	for range rapid.IntRange(0, 2).Draw(t, "needs") {
		cb.need(rapid.SampledFrom(skills).Draw(t, "need"), rapid.IntRange(1, 3).Draw(t, "minLevel"))
	}
	for range rapid.IntRange(0, 2).Draw(t, "matches") {
		am := allot.AttrMatch{Item: "language", Agent: "languages", Optional: rapid.Bool().Draw(t, "optional")}
		if rapid.Bool().Draw(t, "territoryMatch") {
			am = allot.AttrMatch{Item: "postcode", Agent: "territory", Op: allot.MatchTerritory}
		}
		cb.match(am)
	}
	switch rapid.IntRange(0, 3).Draw(t, "language") {
	case 1:
		cb.attr("language", rapid.SampledFrom(vals).Draw(t, "languageValue"))
	case 2:
		cb.attr("language", []any{rapid.SampledFrom(vals).Draw(t, "languageList")})
	case 3:
		cb.attr("language", 7.0)
	}
	if rapid.Bool().Draw(t, "postcode") {
		cb.attr("postcode", rapid.SampledFrom([]string{"75011", "13002", "99999"}).Draw(t, "postcodeValue"))
	}
	c := cb.build()
	if rapid.Bool().Draw(t, "indexed") {
		c.Prepare(routing.NewQueueIndex(ms))
	}
	return ms, c
}

// TestStaticChainMatchesFilters checks the fused static filters
// (Profile.StaticCheck) against running Profile.Static one by one: StaticMask
// sets the same bits either way.
func TestStaticChainMatchesFilters(t *testing.T) {
	t.Parallel()
	p := mustProfile(t, allot.RoundRobin, "")
	if p.StaticCheck == nil {
		t.Fatal("ForQueue left Profile.StaticCheck nil: the engine would run the static filters one by one")
	}
	slow := &routing.Profile{Policy: p.Policy, Filters: p.Filters, Static: p.Static}
	admitted, rejected := 0, 0
	rapid.Check(t, func(t *rapid.T) {
		ms, c := genMembersAndCycle(t)
		got, want := p.StaticMask(c, ms, nil), slow.StaticMask(c, ms, nil)
		for i, m := range ms {
			if routing.MaskHas(got, i) != routing.MaskHas(want, i) {
				t.Fatalf("member %s: fused static filters admit %v, the filters in order %v", m.Agent.ID, routing.MaskHas(got, i), routing.MaskHas(want, i))
			}
			if routing.MaskHas(want, i) {
				admitted++
			} else {
				rejected++
			}
		}
	})
	if admitted == 0 || rejected == 0 {
		t.Errorf("generated members: %d admitted, %d rejected by the static filters; the test needs both", admitted, rejected)
	}
}

// TestStaticFiltersIgnoreRuntimeState checks the contract of Profile.Static:
// the static filters' verdicts do not change when the agent's runtime state
// (presence, shift, absence, load, caps' counts) does, and a member whose bit
// StaticMask leaves clear is rejected by the whole chain in every such state.
// The engine relies on it to skip members for a waiting item.
func TestStaticFiltersIgnoreRuntimeState(t *testing.T) {
	t.Parallel()
	p := mustProfile(t, allot.QuotaFair, "")
	if len(p.Static) == 0 {
		t.Fatal("ForQueue set no static filters")
	}
	for _, f := range p.Static {
		if !slices.Contains(p.Filters, f) {
			t.Errorf("static filter %q is not in the chain", f.Name())
		}
	}
	rapid.Check(t, func(t *rapid.T) {
		ms, c := genMembersAndCycle(t)
		mask := p.StaticMask(c, ms, nil)
		before := make([][]bool, len(ms))
		for i, m := range ms {
			for _, f := range p.Static {
				before[i] = append(before[i], f.Filter(c, m).OK())
			}
		}
		// Any runtime state, including the most permissive one.
		for i, m := range ms {
			m.Routable = rapid.Bool().Draw(t, "routable2")
			m.OnShift = rapid.Bool().Draw(t, "onShift2")
			m.Absent = rapid.Bool().Draw(t, "absent2")
			m.Load = rapid.IntRange(0, 4).Draw(t, "load2")
			for k := range m.TypeLoads() {
				m.AddTypeLoad(k, rapid.IntRange(0, 3).Draw(t, "typeLoad2")-m.TypeLoadOf(k))
			}
			for j := range m.Caps {
				m.Caps[j].DayN, m.Caps[j].WeekN = 0, 0
			}
			for j, f := range p.Static {
				if got := f.Filter(c, m).OK(); got != before[i][j] {
					t.Fatalf("member %s: static filter %q said %v, then %v after a runtime change", m.Agent.ID, f.Name(), before[i][j], got)
				}
			}
			if !routing.MaskHas(mask, i) {
				if s, _ := p.Eligible(c, m); s.OK() {
					t.Fatalf("member %s: StaticMask rejects it but the chain admits it", m.Agent.ID)
				}
			}
		}
	})
}
