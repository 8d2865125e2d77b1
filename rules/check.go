package rules

import (
	"math"
	"slices"
	"strings"

	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/overloads"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/common/types/traits"
)

// check is a conjunct over one item key and literals that Classify decides
// without running CEL. Each kind decides as CEL does because it runs the
// code CEL runs for it (the ordering and size traits of CEL's values, the
// string functions' bodies, the equality the index mirrors, see scalar):
//
//	item.K < lit, <=, >, >= (and lit < item.K, turned round)
//	size(item.K) < lit, ... (also item.K.size())
//	item.K != lit, !(item.K == lit), !(item.K in [lit, ...])
//	lit in item.K (a list or map attribute)
//	has(item.K), !has(item.K)
//	item.K.startsWith(lit), item.K.endsWith(lit), item.K.contains(lit)
//	item.K == lit, item.K in [lit, ...] inside a disjunction
//	a || b, a && b over conjuncts of these kinds
//
// Each holds exactly when CEL evaluates it to true (false and errors alike
// are no match), which is why || and && of them can be decided natively:
// CEL's a || b is true exactly when a or b is true, a && b when both are.
// Negation in general cannot: !a is true only when a is false, not when it
// errs; the negations above are those whose operand errs only for a missing
// key.
type check struct {
	key  string
	id   int32 // key's index into Set.keys, set when the Set is built
	kind checkKind
	sub  []check  // checkAny, checkAll
	set  []scalar // checkOneOf, checkNoneOf
	op   cmpOp    // checkOrder, checkSize
	lit  ref.Val  // checkOrder, checkSize, checkIn: the literal
	sc   scalar   // checkIn: the literal's canonical form
	str  string   // the string functions: the literal
}

type checkKind uint8

const (
	checkOrder checkKind = iota
	checkSize
	checkNoneOf
	checkIn
	checkHas
	checkHasNot
	checkPrefix
	checkSuffix
	checkContains
	checkOneOf
	checkAny
	checkAll
)

type cmpOp uint8

const (
	opLess cmpOp = iota
	opLessEq
	opGreater
	opGreaterEq
)

var orderings = map[string]cmpOp{
	operators.Less:          opLess,
	operators.LessEquals:    opLessEq,
	operators.Greater:       opGreater,
	operators.GreaterEquals: opGreaterEq,
}

var stringFuncs = map[string]checkKind{
	overloads.StartsWith: checkPrefix,
	overloads.EndsWith:   checkSuffix,
	overloads.Contains:   checkContains,
}

// turned is the operator that gives the same answer with the operands
// swapped (lit < item.K is item.K > lit): CEL's comparisons are
// antisymmetric, and fail for a pair of types in either order.
func (o cmpOp) turned() cmpOp {
	switch o {
	case opLess:
		return opGreater
	case opLessEq:
		return opGreaterEq
	case opGreater:
		return opLess
	}
	return opLessEq
}

// accepts reports whether a Compare result r satisfies o; anything but
// -1, 0 or 1 is an error (a type mismatch) and satisfies nothing.
func (o cmpOp) accepts(r ref.Val) bool {
	switch r {
	case types.IntNegOne:
		return o == opLess || o == opLessEq
	case types.IntZero:
		return o == opLessEq || o == opGreaterEq
	case types.IntOne:
		return o == opGreater || o == opGreaterEq
	}
	return false
}

// nativeCheck recognises the conjuncts check handles.
func nativeCheck(e celast.Expr) (check, bool) {
	if kind, ok := junction(e); ok {
		c := check{kind: kind}
		for _, op := range operands(e, e.AsCall().FunctionName(), nil) {
			sub, ok := nativeCheck(op)
			if !ok {
				return check{}, false
			}
			c.sub = append(c.sub, sub)
		}
		return c, true
	}
	if rp, ok := indexable(e); ok {
		return check{key: rp.key, kind: checkOneOf, set: rp.vals}, true
	}
	if c, ok := negation(e); ok {
		return c, true
	}
	switch e.Kind() {
	case celast.SelectKind:
		if sel := e.AsSelect(); sel.IsTestOnly() && isItem(sel.Operand()) {
			return check{key: sel.FieldName(), kind: checkHas}, true
		}
	case celast.CallKind:
		call := e.AsCall()
		if kind, ok := stringFuncs[call.FunctionName()]; ok && call.IsMemberFunction() && len(call.Args()) == 1 {
			k, kok := itemKey(call.Target(), false)
			s, sok := stringLiteral(call.Args()[0])
			return check{key: k, kind: kind, str: s}, kok && sok
		}
		if call.FunctionName() == operators.In && !call.IsMemberFunction() && len(call.Args()) == 2 {
			k, kok := itemKey(call.Args()[1], false)
			sc, sok := literal(call.Args()[0])
			return check{key: k, kind: checkIn, lit: call.Args()[0].AsLiteral(), sc: sc}, kok && sok
		}
		if !call.IsMemberFunction() && len(call.Args()) == 2 {
			return binaryCheck(call.FunctionName(), call.Args()[0], call.Args()[1])
		}
	}
	return check{}, false
}

// negation recognises !(item.K == lit), !(item.K in [lit, ...]) and
// !has(item.K).
func negation(e celast.Expr) (check, bool) {
	if e.Kind() != celast.CallKind {
		return check{}, false
	}
	call := e.AsCall()
	if call.FunctionName() != operators.LogicalNot || call.IsMemberFunction() || len(call.Args()) != 1 {
		return check{}, false
	}
	arg := call.Args()[0]
	if rp, ok := indexable(arg); ok {
		return check{key: rp.key, kind: checkNoneOf, set: rp.vals}, true
	}
	if arg.Kind() == celast.SelectKind {
		if sel := arg.AsSelect(); sel.IsTestOnly() && isItem(sel.Operand()) {
			return check{key: sel.FieldName(), kind: checkHasNot}, true
		}
	}
	return check{}, false
}

// junction recognises a || b and a && b.
func junction(e celast.Expr) (checkKind, bool) {
	if e.Kind() != celast.CallKind {
		return 0, false
	}
	call := e.AsCall()
	if call.IsMemberFunction() || len(call.Args()) != 2 {
		return 0, false
	}
	switch call.FunctionName() {
	case operators.LogicalOr:
		return checkAny, true
	case operators.LogicalAnd:
		return checkAll, true
	}
	return 0, false
}

// operands appends the operands of a chain of fn (a || b || c) to out.
func operands(e celast.Expr, fn string, out []celast.Expr) []celast.Expr {
	if e.Kind() == celast.CallKind {
		call := e.AsCall()
		if call.FunctionName() == fn && !call.IsMemberFunction() && len(call.Args()) == 2 {
			return operands(call.Args()[1], fn, operands(call.Args()[0], fn, out))
		}
	}
	return append(out, e)
}

// binaryCheck recognises the comparisons, either way round.
func binaryCheck(fn string, a, b celast.Expr) (check, bool) {
	op, ordering := orderings[fn]
	if !ordering && fn != operators.NotEquals {
		return check{}, false
	}
	for turn, side := range [2][2]celast.Expr{{a, b}, {b, a}} {
		if side[1].Kind() != celast.LiteralKind {
			continue
		}
		lit := side[1].AsLiteral()
		if turn == 1 {
			op = op.turned()
		}
		if !ordering {
			k, ok := itemKey(side[0], false)
			sc := scalarOfVal(lit)
			return check{key: k, kind: checkNoneOf, set: []scalar{sc}}, ok && sc.kind != kindNone
		}
		switch lit.(type) {
		case types.Int, types.Uint, types.Double, types.String, types.Bool:
		default:
			return check{}, false
		}
		if k, ok := itemKey(side[0], false); ok {
			return check{key: k, kind: checkOrder, op: op, lit: lit}, true
		}
		if k, ok := sizeOfItemKey(side[0]); ok {
			return check{key: k, kind: checkSize, op: op, lit: lit}, true
		}
		return check{}, false
	}
	return check{}, false
}

// sizeOfItemKey recognises size(item.K) and item.K.size().
func sizeOfItemKey(e celast.Expr) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	call := e.AsCall()
	if call.FunctionName() != overloads.Size {
		return "", false
	}
	switch {
	case call.IsMemberFunction() && len(call.Args()) == 0:
		return itemKey(call.Target(), false)
	case !call.IsMemberFunction() && len(call.Args()) == 1:
		return itemKey(call.Args()[0], false)
	}
	return "", false
}

// holds reports whether the conjunct is true for p's item.
func (c *check) holds(p *probe) bool {
	switch c.kind {
	case checkAny:
		for i := range c.sub {
			if c.sub[i].holds(p) {
				return true
			}
		}
		return false
	case checkAll:
		for i := range c.sub {
			if !c.sub[i].holds(p) {
				return false
			}
		}
		return true
	}
	x, found := p.value(c.id)
	return c.holdsFor(x, found, p.s.adapter)
}

// holdsFor reports whether a conjunct on one key is true for the item value
// x; found false means the item has no such key, which CEL reports as an
// error everywhere but in has().
func (c *check) holdsFor(x any, found bool, adapter types.Adapter) bool {
	switch {
	case c.kind == checkHas:
		return found
	case c.kind == checkHasNot:
		return !found
	case !found:
		return false
	}
	switch c.kind {
	case checkOneOf:
		return slices.Contains(c.set, scalarOf(x, adapter))
	case checkNoneOf:
		return !slices.Contains(c.set, scalarOf(x, adapter))
	case checkIn:
		return contains(x, c.lit, c.sc, adapter)
	case checkOrder:
		if r, ok := compareFast(x, c.lit); ok {
			return c.op.acceptsInt(r)
		}
		return c.op.accepts(compare(x, c.lit, adapter))
	case checkSize:
		n, ok := size(x, adapter).(types.Int)
		return ok && c.op.accepts(n.Compare(c.lit))
	}
	s, ok := x.(string)
	if !ok {
		v, isString := adapter.NativeToValue(x).(types.String)
		if !isString {
			return false // CEL: no such overload
		}
		s = string(v)
	}
	switch c.kind {
	case checkPrefix:
		return strings.HasPrefix(s, c.str)
	case checkSuffix:
		return strings.HasSuffix(s, c.str)
	}
	return strings.Contains(s, c.str)
}

// compareFast is compare for the common kinds without boxing the result (a
// boxed -1 allocates): float64, int64 and int values against double and int
// literals, strings against strings. It mirrors cel-go's Double, Int and
// String Compare exactly (NaN orders nothing, doubles beyond the int64 range
// compare by sign). ok is false when the kinds are not handled here or do not
// compare; the caller then asks compare.
func compareFast(x any, lit ref.Val) (r int, ok bool) {
	switch v := x.(type) {
	case float64:
		if math.IsNaN(v) {
			return 0, false
		}
		switch l := lit.(type) {
		case types.Double:
			if math.IsNaN(float64(l)) {
				return 0, false
			}
			return cmpFloat(v, float64(l)), true
		case types.Int:
			return cmpDoubleInt(v, int64(l)), true
		}
	case int64:
		return cmpIntLit(v, lit)
	case int:
		return cmpIntLit(int64(v), lit)
	case string:
		if l, isStr := lit.(types.String); isStr {
			return strings.Compare(v, string(l)), true
		}
	}
	return 0, false
}

func cmpIntLit(v int64, lit ref.Val) (int, bool) {
	switch l := lit.(type) {
	case types.Int:
		return cmpInt(v, int64(l)), true
	case types.Double:
		if math.IsNaN(float64(l)) {
			return 0, false
		}
		return -cmpDoubleInt(float64(l), v), true
	}
	return 0, false
}

// cmpDoubleInt is cel-go's compareDoubleInt.
func cmpDoubleInt(d float64, i int64) int {
	if d < math.MinInt64 {
		return -1
	}
	if d > math.MaxInt64 {
		return 1
	}
	return cmpFloat(d, float64(i))
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// acceptsInt is accepts for an unboxed comparison result.
func (o cmpOp) acceptsInt(r int) bool {
	switch r {
	case -1:
		return o == opLess || o == opLessEq
	case 0:
		return o == opLessEq || o == opGreaterEq
	case 1:
		return o == opGreater || o == opGreaterEq
	}
	return false
}

// compare is CEL's ordering of x against lit: -1, 0, 1, or an error or nil
// when the two do not compare (NaN included). The common kinds are compared
// without boxing them.
func compare(x any, lit ref.Val, adapter types.Adapter) ref.Val {
	switch v := x.(type) {
	case float64:
		return types.Double(v).Compare(lit)
	case int64:
		return types.Int(v).Compare(lit)
	case int:
		return types.Int(v).Compare(lit)
	case string:
		return types.String(v).Compare(lit)
	}
	if cv, ok := adapter.NativeToValue(x).(traits.Comparer); ok {
		return cv.Compare(lit)
	}
	return nil
}

// size is CEL's size() of x, or nil when x has none.
func size(x any, adapter types.Adapter) ref.Val {
	switch v := x.(type) {
	case string:
		return types.String(v).Size()
	case []any:
		return types.Int(len(v))
	case []string:
		return types.Int(len(v))
	}
	if sv, ok := adapter.NativeToValue(x).(traits.Sizer); ok {
		return sv.Size()
	}
	return nil
}

// contains is CEL's lit in x for a literal the index can canonicalise: list
// membership by CEL's equality, map key presence, an error (false) for
// anything else.
func contains(x any, lit ref.Val, sc scalar, adapter types.Adapter) bool {
	switch v := x.(type) {
	case []string:
		return sc.kind == kindString && slices.Contains(v, sc.s)
	case []any:
		return slices.ContainsFunc(v, func(e any) bool { return scalarOf(e, adapter) == sc })
	}
	cv := adapter.NativeToValue(x)
	if !cv.Type().HasTrait(traits.ContainerType) {
		return false
	}
	return cv.(traits.Container).Contains(lit) == types.True
}
