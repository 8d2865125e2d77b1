package routing

import (
	"github.com/allot/allot"
)

// QueueIndex holds a queue's members' skills and attribute values column-wise,
// so that the skills and attributes filters test a byte or a bit per member
// instead of looking up each agent's maps: per-item work happens once in
// Cycle.Prepare, per-member work is an array read. Built once per config.
type QueueIndex struct {
	n      int
	skills map[string][]uint8           // skill → level per member position
	attrs  map[string]map[string]bitset // agent attribute → value → members having it
}

type bitset []uint64

func (b bitset) has(i int) bool { return b[i>>6]&(1<<(uint(i)&63)) != 0 }

// NewQueueIndex indexes members (in queue order: Member.Pos).
func NewQueueIndex(members []*Member) *QueueIndex {
	ix := &QueueIndex{n: len(members), skills: map[string][]uint8{}, attrs: map[string]map[string]bitset{}}
	words := (len(members) + 63) / 64
	for pos, m := range members {
		for s, lv := range m.Agent.Skills {
			col := ix.skills[s]
			if col == nil {
				col = make([]uint8, len(members))
				ix.skills[s] = col
			}
			col[pos] = uint8(min(max(lv, 0), 255))
		}
		for k, vals := range m.Agent.Attributes {
			byVal := ix.attrs[k]
			if byVal == nil {
				byVal = map[string]bitset{}
				ix.attrs[k] = byVal
			}
			for _, v := range vals {
				b := byVal[v]
				if b == nil {
					b = make(bitset, words)
					byVal[v] = b
				}
				b[pos>>6] |= 1 << (uint(pos) & 63)
			}
		}
	}
	return ix
}

// matchPrep is one attribute match prepared for an item.
type matchPrep struct {
	kind uint8  // matchAll, matchNone, matchBits, matchSlow
	bits bitset // members that match (matchBits)
}

const (
	matchSlow uint8 = iota // evaluate per member (territory, list values)
	matchAll
	matchNone
	matchBits
)

// Prepare computes the cycle's per-item lookups against ix (the queue's index;
// nil disables them and the filters fall back to per-member evaluation). Call
// it after setting Item, Skills and Match.
func (c *Cycle) Prepare(ix *QueueIndex) {
	c.index = ix
	if ix == nil {
		return
	}
	c.skillCols = c.skillCols[:0]
	for _, req := range c.Skills {
		c.skillCols = append(c.skillCols, ix.skills[req.Skill])
	}
	c.matchPreps = c.matchPreps[:0]
	for i := range c.Match {
		c.matchPreps = append(c.matchPreps, prepareMatch(ix, &c.Match[i], c.Item.Attributes))
	}
}

func prepareMatch(ix *QueueIndex, am *allot.AttrMatch, attrs map[string]any) matchPrep {
	v, ok := attrs[am.Item]
	switch {
	case !ok && am.Optional:
		return matchPrep{kind: matchAll}
	case !ok:
		return matchPrep{kind: matchNone}
	case am.Op != allot.MatchIn && am.Op != "":
		return matchPrep{kind: matchSlow}
	}
	s, isString := v.(string)
	if !isString {
		switch v.(type) {
		case []string, []any:
			return matchPrep{kind: matchSlow}
		}
		return matchPrep{kind: matchNone} // numbers and booleans never match
	}
	b := ix.attrs[am.Agent][s]
	if b == nil {
		return matchPrep{kind: matchNone}
	}
	return matchPrep{kind: matchBits, bits: b}
}

// SkillLevel returns member m's level in required skill j of the cycle.
func (c *Cycle) SkillLevel(j int, m *Member) int {
	if c.index != nil {
		col := c.skillCols[j]
		if col == nil {
			return 0
		}
		return int(col[m.Pos])
	}
	return m.Agent.Skills[c.Skills[j].Skill]
}

// MatchPrepared reports the prepared outcome of attribute match j for member
// m: decided is false when the match must be evaluated per member.
func (c *Cycle) MatchPrepared(j int, m *Member) (ok, decided bool) {
	if c.index == nil {
		return false, false
	}
	p := &c.matchPreps[j]
	switch p.kind {
	case matchAll:
		return true, true
	case matchNone:
		return false, true
	case matchBits:
		return p.bits.has(m.Pos), true
	}
	return false, false
}
