package rules

import (
	"math"
	"slices"

	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// maxExact bounds the numbers the index handles: integers strictly inside
// ±2^53 are exact as float64, so CEL's equality between int, uint and double
// (which compares through float64) is plain numeric equality there and is
// transitive. Outside that range CEL equates e.g. int 2^53+1 with double 2^53
// but not with int 2^53, which no hash can mirror: literals out there are left
// to CEL (the conjunct is not indexable) and item values out there never match
// an indexed literal (CEL agrees: they cannot equal a number inside the range).
const maxExact = 1 << 53

// scalar is the canonical form of a CEL value that the index can compare by
// hashing: two scalars are equal exactly when CEL's == says the values are.
type scalar struct {
	kind scalarKind
	s    string // kindString
	n    int64  // kindInt: the number; kindFrac: the float64 bits; kindBool: 0 or 1
}

type scalarKind uint8

const (
	kindNone   scalarKind = iota // not comparable by the index: never equals an indexed literal
	kindString                   // a string
	kindInt                      // an integral number in (-2^53, 2^53), whatever its CEL type
	kindFrac                     // a finite non-integral double
	kindBool                     // a bool
)

// scalarOfFloat canonicalises a double: integral values become kindInt so that
// 3.0 meets 3 and 3u; NaN, infinities and huge values are kindNone.
func scalarOfFloat(f float64) scalar {
	if math.IsNaN(f) || f <= -maxExact || f >= maxExact {
		return scalar{}
	}
	if t := math.Trunc(f); t == f {
		return scalar{kind: kindInt, n: int64(t)} // -0.0 becomes 0, as CEL's -0.0 == 0
	}
	return scalar{kind: kindFrac, n: int64(math.Float64bits(f))}
}

func scalarOfInt(i int64) scalar {
	if i <= -maxExact || i >= maxExact {
		return scalar{}
	}
	return scalar{kind: kindInt, n: i}
}

func scalarOfUint(u uint64) scalar {
	if u >= maxExact {
		return scalar{}
	}
	return scalar{kind: kindInt, n: int64(u)}
}

func scalarOfBool(b bool) scalar {
	if b {
		return scalar{kind: kindBool, n: 1}
	}
	return scalar{kind: kindBool}
}

// scalarOfVal canonicalises a CEL value. Lists, maps, null, bytes and every
// other type are kindNone: CEL never finds them equal to a string, number or
// bool literal.
func scalarOfVal(v ref.Val) scalar {
	switch x := v.(type) {
	case types.String:
		return scalar{kind: kindString, s: string(x)}
	case types.Int:
		return scalarOfInt(int64(x))
	case types.Uint:
		return scalarOfUint(uint64(x))
	case types.Double:
		return scalarOfFloat(float64(x))
	case types.Bool:
		return scalarOfBool(bool(x))
	}
	return scalar{}
}

// scalarOf canonicalises a native item value exactly as CEL sees it: the
// common attribute types are handled directly, anything else goes through the
// environment's adapter, the same conversion the CEL programs apply.
func scalarOf(v any, adapter types.Adapter) scalar {
	switch x := v.(type) {
	case string:
		return scalar{kind: kindString, s: x}
	case float64:
		return scalarOfFloat(x)
	case int64:
		return scalarOfInt(x)
	case int:
		return scalarOfInt(int64(x))
	case bool:
		return scalarOfBool(x)
	case nil, []string, []any:
		return scalar{}
	case ref.Val:
		return scalarOfVal(x)
	}
	return scalarOfVal(adapter.NativeToValue(v))
}

// dict numbers the distinct literals one key is compared with, so that
// predicates and postings work on small integers. It is written only while
// compiling.
type dict struct {
	strs  map[string]int32
	nums  map[int64]int32 // kindInt: by value
	fracs map[int64]int32 // kindFrac: by float64 bits
	bools [2]int32        // value id + 1; 0 when absent
	n     int32
}

func newDict() *dict {
	return &dict{strs: map[string]int32{}, nums: map[int64]int32{}, fracs: map[int64]int32{}}
}

// id returns the value id of v, -1 when no predicate compares the key with v.
func (d *dict) id(v scalar) int32 {
	var (
		id int32
		ok bool
	)
	switch v.kind {
	case kindString:
		id, ok = d.strs[v.s]
	case kindInt:
		id, ok = d.nums[v.n]
	case kindFrac:
		id, ok = d.fracs[v.n]
	case kindBool:
		id, ok = d.bools[v.n]-1, d.bools[v.n] != 0
	}
	if !ok {
		return -1
	}
	return id
}

// add returns the value id of v, numbering it if it is new. v.kind is not kindNone.
func (d *dict) add(v scalar) int32 {
	if id := d.id(v); id >= 0 {
		return id
	}
	id := d.n
	d.n++
	switch v.kind {
	case kindString:
		d.strs[v.s] = id
	case kindInt:
		d.nums[v.n] = id
	case kindFrac:
		d.fracs[v.n] = id
	case kindBool:
		d.bools[v.n] = id + 1
	}
	return id
}

// ids returns the sorted, distinct value ids of vs, adding them to d.
func (d *dict) ids(vs []scalar) []int32 {
	out := make([]int32, 0, len(vs))
	for _, v := range vs {
		out = append(out, d.add(v))
	}
	slices.Sort(out)
	return slices.Compact(out)
}
