package plugins

import (
	"slices"
	"strings"

	"github.com/allot/allot"
	"github.com/allot/allot/routing"
)

// Rejection reasons, shown in explanations.
const (
	ReasonNotRoutable = "presence is not routable"
	ReasonManual      = "manual agent: receives work only on request"
	ReasonOffShift    = "outside working hours"
	ReasonAbsent      = "absent"
	ReasonExcluded    = "let this item go before"
	ReasonSkill       = "lacks a required skill at the required level"
	ReasonAttribute   = "does not match a required attribute"
	ReasonNoCapacity  = "no room: capacity full"
	ReasonTypeFull    = "no room for this item type"
	ReasonCapDay      = "daily cap reached"
	ReasonCapWeek     = "weekly cap reached"
)

// Presence admits agents in a routable status; manual agents only on request.
type Presence struct{}

// Name implements routing.Plugin.
func (Presence) Name() string { return "presence" }

// Filter implements routing.Filter.
func (Presence) Filter(c *routing.Cycle, m *routing.Member) routing.Status {
	switch {
	case !m.Routable:
		return routing.Reject(ReasonNotRoutable)
	case m.Manual && !c.Pull:
		return routing.Reject(ReasonManual)
	}
	return routing.Status{}
}

// Schedule admits agents inside working hours and not absent. The engine
// keeps OnShift and Absent current with timers at every boundary.
type Schedule struct{}

// Name implements routing.Plugin.
func (Schedule) Name() string { return "schedule" }

// Filter implements routing.Filter.
func (Schedule) Filter(_ *routing.Cycle, m *routing.Member) routing.Status {
	switch {
	case m.Absent:
		return routing.Reject(ReasonAbsent)
	case !m.OnShift:
		return routing.Reject(ReasonOffShift)
	}
	return routing.Status{}
}

// Exclusion keeps an item away from agents who let it go (released, declined,
// neglected), so it is never offered straight back.
type Exclusion struct{}

// Name implements routing.Plugin.
func (Exclusion) Name() string { return "exclusion" }

// Filter implements routing.Filter.
func (Exclusion) Filter(c *routing.Cycle, m *routing.Member) routing.Status {
	if len(c.Excluded) > 0 && slices.Contains(c.Excluded, m.Agent.ID) {
		return routing.Reject(ReasonExcluded)
	}
	return routing.Status{}
}

// Skills admits agents having every required skill at its minimum level.
type Skills struct{}

// Name implements routing.Plugin.
func (Skills) Name() string { return "skills" }

// Filter implements routing.Filter.
func (Skills) Filter(c *routing.Cycle, m *routing.Member) routing.Status {
	for j, req := range c.Skills {
		if c.SkillLevel(j, m) < req.MinLevel {
			return routing.Reject(ReasonSkill)
		}
	}
	return routing.Status{}
}

// Attributes admits agents matching every required attribute match.
type Attributes struct{}

// Name implements routing.Plugin.
func (Attributes) Name() string { return "attributes" }

// Filter implements routing.Filter.
func (Attributes) Filter(c *routing.Cycle, m *routing.Member) routing.Status {
	for i := range c.Match {
		if ok, decided := c.MatchPrepared(i, m); decided {
			if !ok {
				return routing.Reject(ReasonAttribute)
			}
			continue
		}
		if !MatchAttr(&c.Match[i], c.Item.Attributes, m.Agent.Attributes) {
			return routing.Reject(ReasonAttribute)
		}
	}
	return routing.Status{}
}

// MatchAttr reports whether the item's attribute satisfies the match against
// the agent's values. A missing item attribute matches only when the match is
// optional; an item value that is a list matches when any element does.
func MatchAttr(am *allot.AttrMatch, item map[string]any, agent map[string][]string) bool {
	v, ok := item[am.Item]
	if !ok {
		return am.Optional
	}
	have := agent[am.Agent]
	switch v := v.(type) {
	case string:
		return matchOne(am.Op, v, have)
	case []string:
		for _, e := range v {
			if matchOne(am.Op, e, have) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if s, ok := e.(string); ok && matchOne(am.Op, s, have) {
				return true
			}
		}
	}
	// Numbers and booleans never match agent attribute values, which are
	// strings: a config that needs them should send them as strings.
	return false
}

func matchOne(op allot.MatchOp, v string, have []string) bool {
	if op == allot.MatchTerritory {
		for _, t := range have {
			if InTerritory(v, t) {
				return true
			}
		}
		return false
	}
	return slices.Contains(have, v)
}

// InTerritory reports whether code belongs to territory t: an inclusive range
// of equal-length codes ("10000-19999": the code's first characters compare
// within the bounds) or else a prefix ("75", "SW1", "00-950"). Codes and
// territories are compared case-insensitively with spaces and hyphens removed,
// so "SW1A 1AA" matches "sw1" and "00-950" matches "00950". An empty territory
// matches nothing.
func InTerritory(code, t string) bool {
	code = normCode(code)
	if lo, hi, ok := strings.Cut(t, "-"); ok && !strings.Contains(hi, "-") {
		lo, hi = normCode(lo), normCode(hi)
		if lo != "" && len(lo) == len(hi) {
			if len(code) < len(lo) {
				return false
			}
			c := code[:len(lo)]
			return c >= lo && c <= hi
		}
	}
	p := normCode(t)
	return p != "" && strings.HasPrefix(code, p)
}

func normCode(s string) string {
	if strings.IndexAny(s, " -") < 0 && strings.ToLower(s) == s {
		return s
	}
	s = strings.ReplaceAll(strings.ReplaceAll(s, " ", ""), "-", "")
	return strings.ToLower(s)
}

// Capacity admits agents with room for the item's units, in total and for its
// type.
type Capacity struct{}

// Name implements routing.Plugin.
func (Capacity) Name() string { return "capacity" }

// Filter implements routing.Filter.
func (Capacity) Filter(c *routing.Cycle, m *routing.Member) routing.Status {
	if m.Load+c.Units > m.CapTotal {
		return routing.Reject(ReasonNoCapacity)
	}
	if len(m.PerType) == 0 {
		return routing.Status{}
	}
	if lim, ok := m.PerType[c.Item.Type]; ok && m.TypeLoadOf(c.TypeIndex)+c.Units > lim {
		return routing.Reject(ReasonTypeFull)
	}
	return routing.Status{}
}

// Caps admits agents under their daily and weekly caps for the item's type.
type Caps struct{}

// Name implements routing.Plugin.
func (Caps) Name() string { return "caps" }

// Filter implements routing.Filter.
func (Caps) Filter(c *routing.Cycle, m *routing.Member) routing.Status {
	if len(m.Caps) == 0 {
		return routing.Status{}
	}
	day, week := routing.CivilDay(c.Now, m.Loc)
	for i, cp := range m.Agent.Caps {
		if cp.Type != "" && cp.Type != c.Item.Type {
			continue
		}
		cnt := m.Caps[i]
		if cp.PerDay > 0 && cnt.Day == day && cnt.DayN >= cp.PerDay {
			return routing.Reject(ReasonCapDay)
		}
		if cp.PerWeek > 0 && cnt.Week == week && cnt.WeekN >= cp.PerWeek {
			return routing.Reject(ReasonCapWeek)
		}
	}
	return routing.Status{}
}

var (
	_ routing.Filter = Presence{}
	_ routing.Filter = Schedule{}
	_ routing.Filter = Exclusion{}
	_ routing.Filter = Skills{}
	_ routing.Filter = Attributes{}
	_ routing.Filter = Capacity{}
	_ routing.Filter = Caps{}
)
