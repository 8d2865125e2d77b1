// Package gen generates large, realistic, deterministic configurations and item
// streams for benchmarks and load tests: a language school selling programs in
// many countries, with offices, languages, post codes and call types.
//
// The same Options and seed always give the same config and items.
package gen

import (
	"fmt"
	"math/rand/v2"

	"github.com/allot/allot"
)

// Options sizes a generated region.
type Options struct {
	Rules        int // routing rules
	ScoringRules int
	Queues       int
	Agents       int
	// MembersPerAgent is how many queues each agent serves (default 2).
	MembersPerAgent int
	// Capacity is every agent's total capacity in units (default 5).
	Capacity int
	Seed     uint64
}

// Large is the benchmark size of the routing issue: 4,000 rules, 500 queues,
// 10,000 agents.
var Large = Options{Rules: 4000, ScoringRules: 200, Queues: 500, Agents: 10000, MembersPerAgent: 2, Capacity: 5, Seed: 1}

// Vocabulary of generated attributes.
var (
	Countries = []string{"FR", "DE", "ES", "IT", "PT", "NL", "BE", "CH", "AT", "PL", "SE", "NO", "DK", "FI", "IE",
		"GB", "US", "CA", "MX", "BR", "AR", "CL", "JP", "KR", "CN", "IN", "AU", "NZ", "ZA", "MA"}
	Languages = []string{"en", "fr", "de", "es", "it", "pt", "nl", "pl", "sv", "ja", "ko", "zh"}
	CallTypes = []string{"inbound", "outbound", "webform", "chat"}
)

// Program returns the name of program i ("p00".."p39").
func Program(i int) string { return fmt.Sprintf("p%02d", i) }

// Office returns the name of office i ("o00".."o19").
func Office(i int) string { return fmt.Sprintf("o%02d", i) }

const (
	nPrograms = 40
	nOffices  = 20
)

// Config returns a one-region config with id "r0".
func Config(o Options) allot.Config {
	if o.MembersPerAgent == 0 {
		o.MembersPerAgent = 2
	}
	if o.Capacity == 0 {
		o.Capacity = 5
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	r := allot.Region{ID: "r0", Name: "generated", TimeZone: "Europe/Paris",
		ItemTypes: []allot.ItemType{{Name: "lead", Units: 1}, {Name: "case", Units: 2}},
		Tiers:     []allot.Tier{{Name: "hot", MinScore: 60}, {Name: "warm", MinScore: 30}, {Name: "cold", MinScore: 0}},
	}
	for i := range o.Agents {
		langs := []string{Languages[rng.IntN(len(Languages))], "en"}
		a := allot.Agent{
			ID:       fmt.Sprintf("agent%05d", i),
			Capacity: allot.Capacity{Total: o.Capacity},
			Weight:   1 + rng.IntN(3),
			Presence: "available",
			Skills:   map[string]int{"lang_" + langs[0]: 1 + rng.IntN(5), "lang_en": 1 + rng.IntN(5)},
			Attributes: map[string][]string{
				"languages": langs,
				"office":    {Office(rng.IntN(nOffices))},
				"postcodes": {fmt.Sprintf("%02d", rng.IntN(100))},
			},
		}
		r.Agents = append(r.Agents, a)
	}
	policies := allot.Policies
	for i := range o.Queues {
		r.Queues = append(r.Queues, allot.Queue{
			ID:         fmt.Sprintf("queue%03d", i),
			Policy:     policies[i%len(policies)],
			SLAMinutes: 15 + 15*(i%4),
		})
	}
	if o.Queues > 0 {
		for i := range r.Agents {
			for k := range o.MembersPerAgent {
				q := &r.Queues[(i*o.MembersPerAgent+k*7919)%o.Queues]
				if len(q.Members) == 0 || q.Members[len(q.Members)-1] != r.Agents[i].ID {
					q.Members = append(q.Members, r.Agents[i].ID)
				}
			}
		}
		r.DefaultQueue = r.Queues[0].ID
	}
	// Rules come in groups per (country, program): a few specific rules (by
	// office, call type or budget) and then the group's fallback, so nearly
	// every item matches a rule and traffic spreads over the queues, as in a
	// well-kept real config. The last rules are per-country fallbacks.
	combos := len(Countries) * nPrograms
	perCombo := max(1, (o.Rules+combos-1)/combos)
	fallback := min(len(Countries), o.Rules)
	for i := range o.Rules {
		if i >= o.Rules-fallback {
			c := Countries[i-(o.Rules-fallback)]
			r.Rules = append(r.Rules, allot.Rule{Name: fmt.Sprintf("rule%04d-%s", i, c), When: fmt.Sprintf(`item.country == %q`, c),
				Queue: r.Queues[rng.IntN(o.Queues)].ID})
			continue
		}
		combo, k := i/perCombo, i%perCombo
		c := Countries[combo%len(Countries)]
		p := Program((combo / len(Countries)) % nPrograms)
		ru := allot.Rule{Name: fmt.Sprintf("rule%04d", i), Queue: r.Queues[rng.IntN(o.Queues)].ID}
		switch {
		case k == perCombo-1 || i == o.Rules-fallback-1: // the group's fallback
			ru.When = fmt.Sprintf(`item.country == %q && item.program == %q`, c, p)
		case k%3 == 0: // with a non-indexable residue
			ru.When = fmt.Sprintf(`item.country == %q && item.program == %q && item.budget > %d`, c, p, 1000+100*rng.IntN(40))
		case k%3 == 1:
			ru.When = fmt.Sprintf(`item.country == %q && item.call_type in ["inbound", "chat"] && item.program == %q`, c, p)
		default:
			o1, o2 := Office(rng.IntN(nOffices)), Office(rng.IntN(nOffices))
			ru.When = fmt.Sprintf(`item.country == %q && item.program == %q && item.office in [%q, %q]`, c, p, o1, o2)
		}
		if i%3 == 0 {
			ru.Match = []allot.AttrMatch{{Item: "language", Agent: "languages"}}
		}
		if i%5 == 0 {
			ru.Skills = []allot.SkillReq{{Skill: "lang_en", MinLevel: 1 + rng.IntN(3)}}
		}
		r.Rules = append(r.Rules, ru)
	}
	for i := range o.ScoringRules {
		var when string
		switch i % 4 {
		case 0:
			when = fmt.Sprintf(`item.program == %q`, Program(rng.IntN(nPrograms)))
		case 1:
			when = fmt.Sprintf(`item.country == %q`, Countries[rng.IntN(len(Countries))])
		case 2:
			when = fmt.Sprintf(`item.call_type == %q`, CallTypes[rng.IntN(len(CallTypes))])
		default:
			when = fmt.Sprintf(`item.budget >= %d`, 500*(1+rng.IntN(10)))
		}
		r.ScoringRules = append(r.ScoringRules, allot.ScoringRule{Name: fmt.Sprintf("score%03d", i), When: when, Points: 5 + rng.IntN(30)})
	}
	return allot.Config{Regions: []allot.Region{r}}
}

// Items returns n lead-like items with ids "item0000000"... and attributes
// drawn so that most match a rule of a Config of the same vocabulary.
func Items(n int, seed uint64) []allot.Item {
	rng := rand.New(rand.NewPCG(seed, 0x17e5))
	out := make([]allot.Item, n)
	for i := range out {
		typ := "lead"
		if rng.IntN(10) == 0 {
			typ = "case"
		}
		out[i] = allot.Item{
			ID:         fmt.Sprintf("item%07d", i),
			Type:       typ,
			ExternalID: fmt.Sprintf("crm-%d", i),
			Priority:   rng.IntN(3),
			Attributes: map[string]any{
				"country":    Countries[rng.IntN(len(Countries))],
				"program":    Program(rng.IntN(nPrograms)),
				"office":     Office(rng.IntN(nOffices)),
				"language":   Languages[rng.IntN(len(Languages))],
				"call_type":  CallTypes[rng.IntN(len(CallTypes))],
				"budget":     float64(rng.IntN(5000)),
				"postcode":   fmt.Sprintf("%05d", rng.IntN(100000)),
				"account_id": fmt.Sprintf("acct%d", rng.IntN(5000)),
			},
		}
	}
	return out
}
