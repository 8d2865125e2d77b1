package configfile

import (
	"fmt"
	"strings"

	"github.com/allot/allot"
)

// Lint finds what is valid but probably not meant, per region, and names the
// rules concerned:
//
//   - a routing rule no item can reach: after a rule with no condition
//     (which matches everything), or after a rule with the same condition
//     (reported as an overlap when the two route differently);
//   - a rule targeting a queue with no members (its items wait forever);
//   - a rule whose required skills no member of its queue has;
//   - a default queue with no members, a queue nothing routes to.
//
// Paths are those of Validate (regions[0].rules[3].when). Lint runs in time
// linear in rules + agents + memberships; it does not compile conditions,
// so two conditions are "the same" when they are equal up to whitespace.
// cfg need not have its defaults filled in; invalid references are left to
// Validate.
func Lint(cfg allot.Config) allot.Problems {
	var ps allot.Problems
	for i := range cfg.Regions {
		ps.AddAll(fmt.Sprintf("regions[%d]", i), lintRegion(&cfg.Regions[i]))
	}
	return ps
}

// Lint is Lint located in the file; every problem is a warning.
func (f *File) Lint() []Problem { return f.Locate(Lint(f.Config), true) }

func lintRegion(r *allot.Region) allot.Problems {
	var ps allot.Problems
	agents := make(map[string]*allot.Agent, len(r.Agents))
	for i := range r.Agents {
		agents[r.Agents[i].ID] = &r.Agents[i]
	}
	queues := make(map[string]*allot.Queue, len(r.Queues))
	targeted := map[string]bool{r.DefaultQueue: true}
	for i := range r.Queues {
		q := &r.Queues[i]
		queues[q.ID] = q
		targeted[q.Overflow] = true
	}
	// servable caches "some member of queue q has every skill of key".
	servable := map[string]bool{}
	type first struct {
		index int
		rule  *allot.Rule
	}
	conds := map[string]first{}
	catchAll := -1
	for j := range r.Rules {
		ru := &r.Rules[j]
		p := fmt.Sprintf("rules[%d]", j)
		targeted[ru.Queue] = true
		if ru.Disabled {
			continue
		}
		cond := normCond(ru.When)
		switch {
		case catchAll >= 0:
			ps.Add(p, fmt.Sprintf("rule %q is never reached: rule %q (rules[%d]) before it has no condition and matches every item", ru.Name, r.Rules[catchAll].Name, catchAll))
		case conds[cond].rule != nil:
			f := conds[cond]
			if sameTarget(f.rule, ru) {
				ps.Add(p+".when", fmt.Sprintf("rule %q duplicates rule %q (rules[%d]): same condition, same target; it never matches", ru.Name, f.rule.Name, f.index))
			} else {
				ps.Add(p+".when", fmt.Sprintf("rule %q has the same condition as rule %q (rules[%d]) but a different target (queue %q, not %q): it never matches, %q always wins", ru.Name, f.rule.Name, f.index, ru.Queue, f.rule.Queue, f.rule.Name))
			}
		default:
			conds[cond] = first{j, ru}
		}
		if cond == "" {
			if catchAll < 0 {
				catchAll = j
			}
		}
		q := queues[ru.Queue]
		if q == nil {
			continue // Validate reports it
		}
		if len(q.Members) == 0 {
			ps.Add(p+".queue", fmt.Sprintf("rule %q targets queue %q, which has no members: its items wait until they overflow or forever", ru.Name, q.ID))
			continue
		}
		if len(ru.Skills) == 0 {
			continue
		}
		key := q.ID + "\x00" + skillsKey(ru.Skills)
		ok, seen := servable[key]
		if !seen {
			ok = false
			for _, m := range q.Members {
				if a := agents[m]; a != nil && hasSkills(a, ru.Skills) {
					ok = true
					break
				}
			}
			servable[key] = ok
		}
		if !ok {
			ps.Add(p+".skills", fmt.Sprintf("rule %q requires %s, which no member of queue %q has: its items cannot be served", ru.Name, skillsKey(ru.Skills), q.ID))
		}
	}
	if q := queues[r.DefaultQueue]; q != nil && len(q.Members) == 0 {
		ps.Add("default_queue", fmt.Sprintf("default queue %q has no members: unmatched items wait forever", q.ID))
	}
	for i := range r.Queues {
		if q := &r.Queues[i]; !targeted[q.ID] {
			ps.Add(fmt.Sprintf("queues[%d]", i), fmt.Sprintf("queue %q is not the target of any rule, the default queue or an overflow: no item reaches it", q.ID))
		}
	}
	return ps
}

// normCond canonicalises a condition for comparison: whitespace collapsed,
// "true" the same as no condition.
func normCond(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if s == "true" {
		return ""
	}
	return s
}

func sameTarget(a, b *allot.Rule) bool {
	return a.Queue == b.Queue && skillsKey(a.Skills) == skillsKey(b.Skills) && len(a.Match) == len(b.Match)
}

func skillsKey(ss []allot.SkillReq) string {
	var b strings.Builder
	for i, s := range ss {
		if i > 0 {
			b.WriteString(", ")
		}
		lvl := s.MinLevel
		if lvl == 0 {
			lvl = 1
		}
		fmt.Fprintf(&b, "%s≥%d", s.Skill, lvl)
	}
	return b.String()
}

func hasSkills(a *allot.Agent, req []allot.SkillReq) bool {
	for _, s := range req {
		lvl := s.MinLevel
		if lvl == 0 {
			lvl = 1
		}
		if a.Skills[s.Skill] < lvl {
			return false
		}
	}
	return true
}
