package rules

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
)

// The fast path. Most conditions of a real config are conjunctions of
// equalities, memberships and comparisons of item keys with literals, which
// Classify decides natively (preds and checks) without ever running their
// CEL program. For those, CEL's full compilation — the ANTLR parser, the type
// checker and the program planner, about 0.1 ms a condition — is almost all
// the cost of loading a config. fastCompile parses such a condition with a
// small hand parser for a subset of CEL's grammar, building the very AST
// nodes CEL's parser builds for it, and runs the same recognisers on them.
//
// A condition takes the fast path only when
//
//   - the hand parser reads all of it (anything outside the subset, or any
//     doubt about how CEL would read it, is left to CEL: reserved words,
//     escapes, comments, other number forms, nesting, length), and
//   - every conjunct is then a membership predicate, a native check or
//     true, so the program is never run by Classify or Match, and
//   - it reads neither item.score nor item.tier (a scoring condition must
//     not; CEL's path words that error).
//
// Such a condition always type-checks: the subset's only operands are item
// keys (dyn, item being a map(string, dyn)) and literals, and CEL has an
// overload of ==, !=, <, <=, >, >=, in, !, && and || for dyn against any
// literal this accepts (cross-type numeric comparisons are on; a list
// literal of mixed kinds is a list(dyn)). Its problems are therefore none,
// exactly as CEL would say. The CEL program is still built, from the same
// text by the full compiler, on first use (ClassifySlow, the oracle of the
// tests); Classify never needs it. The test TestFastPathMatchesCEL holds
// the fast path to CEL's compiler: whatever it accepts, CEL compiles
// without problems to the same predicates and checks.

// Bounds of the fast path: longer or deeper conditions are left to CEL
// (whose limits are far above these).
const (
	fastMaxLen   = 4096
	fastMaxDepth = 16
)

// fastCompile returns the parsed form of src if it takes the fast path.
func fastCompile(env *cel.Env, src string) (*parsed, bool) {
	if len(src) > fastMaxLen {
		return nil, false
	}
	fp := fastParser{src: src, fac: celast.NewExprFactory()}
	e, ok := fp.parse()
	if !ok {
		return nil, false
	}
	p := &parsed{}
	for _, c := range conjuncts(e, nil) {
		if pr, ok := indexable(c); ok {
			p.preds = append(p.preds, pr)
		} else if ch, ok := nativeCheck(c); ok {
			p.checks = append(p.checks, ch)
		} else if !isTrue(c) {
			return nil, false
		}
	}
	if fp.readsScore {
		return nil, false
	}
	p.prog = &lazyProgram{env: env, src: src}
	return p, true
}

// lazyProgram is a condition's CEL program, compiled from its text by the
// full compiler on first use. It is safe for concurrent use.
type lazyProgram struct {
	env  *cel.Env
	src  string
	once sync.Once
	prog cel.Program
}

var _ cel.Program = (*lazyProgram)(nil)

func (l *lazyProgram) get() cel.Program {
	l.once.Do(func() {
		ast, iss := l.env.Compile(l.src)
		if iss.Err() != nil {
			// The fast path accepts only conditions that compile.
			panic(fmt.Sprintf("rules: fast-path condition %q does not compile: %v", l.src, iss.Err()))
		}
		prog, err := l.env.Program(ast, programOptions(l.env, ast)...)
		if err != nil {
			panic(fmt.Sprintf("rules: fast-path condition %q: %v", l.src, err))
		}
		l.prog = prog
	})
	return l.prog
}

// Eval implements cel.Program.
func (l *lazyProgram) Eval(v any) (ref.Val, *cel.EvalDetails, error) { return l.get().Eval(v) }

// ContextEval implements cel.Program.
func (l *lazyProgram) ContextEval(ctx context.Context, v any) (ref.Val, *cel.EvalDetails, error) {
	return l.get().ContextEval(ctx, v)
}

// ConcurrentEval implements cel.Program.
func (l *lazyProgram) ConcurrentEval(ctx context.Context, v any) <-chan cel.EvalResult {
	return l.get().ConcurrentEval(ctx, v)
}

// fastParser reads the subset:
//
//	expr    = and { "||" and }
//	and     = unary { "&&" unary }
//	unary   = "!" ( "(" expr ")" | has ) | "(" expr ")" | has | rel
//	has     = "has" "(" "item" "." IDENT ")"
//	rel     = operand [ ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand
//	                  | "in" ( list | key ) ]      (a lone operand must be true)
//	operand = key | literal
//	key     = "item" "." IDENT | "item" "[" STRING "]"
//	list    = "[" [ literal { "," literal } ] "]"
//	literal = STRING | INT | UINT | DOUBLE | "true" | "false"
//
// STRING is "..." or '...' of valid UTF-8 with no backslash or line break;
// INT is -?[0-9]+ in int64; UINT [0-9]+[uU] in uint64; DOUBLE -?[0-9]+.[0-9]+;
// IDENT is CEL's identifier, not a reserved word. Whitespace is CEL's.
// Chains of || and && are built left-leaning (CEL balances them; the
// recognisers flatten either shape alike). Nodes are those CEL's parser makes.
type fastParser struct {
	src        string
	pos        int
	fac        celast.ExprFactory
	id         int64
	depth      int
	readsScore bool
}

func (p *fastParser) nextID() int64 { p.id++; return p.id }

func (p *fastParser) parse() (celast.Expr, bool) {
	e, ok := p.expr()
	if !ok {
		return nil, false
	}
	p.space()
	return e, p.pos == len(p.src)
}

func (p *fastParser) space() {
	for p.pos < len(p.src) {
		switch p.src[p.pos] {
		case ' ', '\t', '\n', '\r', '\f':
			p.pos++
		default:
			return
		}
	}
}

// accept consumes tok (an operator or punctuation) if it comes next.
func (p *fastParser) accept(tok string) bool {
	p.space()
	if len(p.src)-p.pos >= len(tok) && p.src[p.pos:p.pos+len(tok)] == tok {
		p.pos += len(tok)
		return true
	}
	return false
}

// peek reports whether tok comes next, without consuming it.
func (p *fastParser) peek(tok string) bool {
	save := p.pos
	ok := p.accept(tok)
	p.pos = save
	return ok
}

func (p *fastParser) expr() (celast.Expr, bool) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > fastMaxDepth {
		return nil, false
	}
	e, ok := p.and()
	for ok && p.accept("||") {
		var r celast.Expr
		if r, ok = p.and(); ok {
			e = p.fac.NewCall(p.nextID(), operators.LogicalOr, e, r)
		}
	}
	return e, ok
}

func (p *fastParser) and() (celast.Expr, bool) {
	e, ok := p.unary()
	for ok && p.accept("&&") {
		var r celast.Expr
		if r, ok = p.unary(); ok {
			e = p.fac.NewCall(p.nextID(), operators.LogicalAnd, e, r)
		}
	}
	return e, ok
}

func (p *fastParser) unary() (celast.Expr, bool) {
	if p.peek("!=") {
		return nil, false
	}
	if p.accept("!") {
		var (
			e  celast.Expr
			ok bool
		)
		switch {
		case p.accept("("):
			e, ok = p.expr()
			ok = ok && p.accept(")")
		case p.peekWord("has"):
			e, ok = p.has()
		}
		if !ok {
			return nil, false
		}
		return p.fac.NewCall(p.nextID(), operators.LogicalNot, e), true
	}
	if p.accept("(") {
		e, ok := p.expr()
		return e, ok && p.accept(")")
	}
	if p.peekWord("has") {
		return p.has()
	}
	return p.rel()
}

// peekWord reports whether the identifier w comes next.
func (p *fastParser) peekWord(w string) bool {
	save := p.pos
	got, ok := p.ident()
	p.pos = save
	return ok && got == w
}

func (p *fastParser) has() (celast.Expr, bool) {
	p.ident() // "has"
	if !p.accept("(") {
		return nil, false
	}
	if w, ok := p.ident(); !ok || w != itemVar || !p.accept(".") {
		return nil, false
	}
	f, ok := p.field()
	if !ok || !p.accept(")") {
		return nil, false
	}
	return p.fac.NewPresenceTest(p.nextID(), p.fac.NewIdent(p.nextID(), itemVar), f), true
}

var relOps = []struct{ tok, fn string }{
	{"==", operators.Equals}, {"!=", operators.NotEquals},
	{"<=", operators.LessEquals}, {">=", operators.GreaterEquals},
	{"<", operators.Less}, {">", operators.Greater},
}

func (p *fastParser) rel() (celast.Expr, bool) {
	l, isKey, ok := p.operand()
	if !ok {
		return nil, false
	}
	for _, op := range relOps {
		if p.accept(op.tok) {
			r, _, ok := p.operand()
			if !ok {
				return nil, false
			}
			return p.fac.NewCall(p.nextID(), op.fn, l, r), true
		}
	}
	if p.peekWord("in") {
		p.ident()
		p.space()
		if p.pos < len(p.src) && p.src[p.pos] == '[' {
			if !isKey {
				return nil, false
			}
			list, ok := p.list()
			if !ok {
				return nil, false
			}
			return p.fac.NewCall(p.nextID(), operators.In, l, list), true
		}
		r, rIsKey, ok := p.operand()
		if !ok || !rIsKey || isKey {
			return nil, false
		}
		return p.fac.NewCall(p.nextID(), operators.In, l, r), true
	}
	if !isKey && l.AsLiteral() == types.True {
		return l, true
	}
	return nil, false
}

// operand reads an item key or a literal.
func (p *fastParser) operand() (e celast.Expr, isKey, ok bool) {
	p.space()
	if p.peekWord(itemVar) {
		e, ok = p.key()
		return e, true, ok
	}
	e, ok = p.literal()
	return e, false, ok
}

func (p *fastParser) key() (celast.Expr, bool) {
	p.ident() // item
	item := p.fac.NewIdent(p.nextID(), itemVar)
	switch {
	case p.accept("."):
		f, ok := p.field()
		if !ok {
			return nil, false
		}
		return p.fac.NewSelect(p.nextID(), item, f), true
	case p.accept("["):
		p.space()
		s, ok := p.str()
		if !ok || !p.accept("]") {
			return nil, false
		}
		p.noteKey(s)
		return p.fac.NewCall(p.nextID(), operators.Index, item, p.fac.NewLiteral(p.nextID(), types.String(s))), true
	}
	return nil, false
}

// field reads a field name after "item.".
func (p *fastParser) field() (string, bool) {
	f, ok := p.ident()
	if !ok {
		return "", false
	}
	if _, reserved := fastReserved[f]; reserved {
		return "", false
	}
	p.noteKey(f)
	return f, true
}

func (p *fastParser) noteKey(k string) {
	if k == "score" || k == "tier" {
		p.readsScore = true
	}
}

// fastReserved are CEL's reserved words and the words its lexer reads as
// other tokens: never taken as a field name here.
var fastReserved = map[string]struct{}{
	"as": {}, "break": {}, "const": {}, "continue": {}, "else": {}, "false": {}, "for": {}, "function": {},
	"if": {}, "import": {}, "in": {}, "let": {}, "loop": {}, "package": {}, "namespace": {}, "null": {},
	"return": {}, "true": {}, "var": {}, "void": {}, "while": {},
}

// ident reads CEL's IDENT: [_a-zA-Z][_a-zA-Z0-9]*.
func (p *fastParser) ident() (string, bool) {
	p.space()
	start := p.pos
	for p.pos < len(p.src) {
		c := p.src[p.pos]
		if c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || p.pos > start && '0' <= c && c <= '9' {
			p.pos++
			continue
		}
		break
	}
	return p.src[start:p.pos], p.pos > start
}

func (p *fastParser) list() (celast.Expr, bool) {
	p.accept("[")
	var elems []celast.Expr
	if !p.accept("]") {
		for {
			e, ok := p.literal()
			if !ok {
				return nil, false
			}
			elems = append(elems, e)
			if p.accept("]") {
				break
			}
			if !p.accept(",") || p.peek("]") {
				return nil, false // CEL allows a trailing comma; left to it
			}
		}
	}
	return p.fac.NewList(p.nextID(), elems, nil), true
}

func (p *fastParser) literal() (celast.Expr, bool) {
	p.space()
	if p.pos >= len(p.src) {
		return nil, false
	}
	var v ref.Val
	switch c := p.src[p.pos]; {
	case c == '"' || c == '\'':
		s, ok := p.str()
		if !ok {
			return nil, false
		}
		v = types.String(s)
	case c == '-' || '0' <= c && c <= '9':
		n, ok := p.number()
		if !ok {
			return nil, false
		}
		v = n
	default:
		w, ok := p.ident()
		switch {
		case ok && w == "true":
			v = types.True
		case ok && w == "false":
			v = types.False
		default:
			return nil, false
		}
	}
	return p.fac.NewLiteral(p.nextID(), v), true
}

// str reads a quoted string with no escapes.
func (p *fastParser) str() (string, bool) {
	if p.pos >= len(p.src) {
		return "", false
	}
	q := p.src[p.pos]
	if q != '"' && q != '\'' {
		return "", false
	}
	if len(p.src)-p.pos >= 3 && p.src[p.pos+1] == q && p.src[p.pos+2] == q {
		return "", false // a triple-quoted string
	}
	for i := p.pos + 1; i < len(p.src); i++ {
		switch p.src[i] {
		case q:
			s := p.src[p.pos+1 : i]
			if !utf8.ValidString(s) {
				return "", false
			}
			p.pos = i + 1
			return s, true
		case '\\', '\n', '\r':
			return "", false
		}
	}
	return "", false
}

// number reads INT, UINT or DOUBLE as CEL's parser converts them.
func (p *fastParser) number() (ref.Val, bool) {
	start := p.pos
	i := p.pos
	neg := p.src[i] == '-'
	if neg {
		i++
	}
	digits := func() int {
		j := i
		for i < len(p.src) && '0' <= p.src[i] && p.src[i] <= '9' {
			i++
		}
		return i - j
	}
	if digits() == 0 {
		return nil, false
	}
	var v ref.Val
	switch {
	case i < len(p.src) && p.src[i] == '.':
		i++
		if digits() == 0 {
			return nil, false
		}
		f, err := strconv.ParseFloat(p.src[start:i], 64)
		if err != nil {
			return nil, false
		}
		v = types.Double(f)
	case i < len(p.src) && (p.src[i] == 'u' || p.src[i] == 'U'):
		if neg {
			return nil, false
		}
		u, err := strconv.ParseUint(p.src[start:i], 10, 64)
		if err != nil {
			return nil, false
		}
		i++
		v = types.Uint(u)
	default:
		n, err := strconv.ParseInt(p.src[start:i], 10, 64)
		if err != nil {
			return nil, false
		}
		v = types.Int(n)
	}
	// A number must end where CEL's lexer ends it: not in an identifier,
	// an exponent, a hex prefix or another dot.
	if i < len(p.src) {
		if c := p.src[i]; c == '_' || c == '.' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			return nil, false
		}
	}
	p.pos = i
	return v, true
}
