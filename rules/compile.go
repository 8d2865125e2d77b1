package rules

import (
	"fmt"
	"strings"
	"sync"

	"cel.dev/cel-go/cel"
	celast "cel.dev/cel-go/common/ast"
	"cel.dev/cel-go/common/cost"
	"cel.dev/cel-go/common/operators"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/interpreter"

	"github.com/allot/allot"
)

// CostLimit bounds the runtime cost (CEL's abstract cost units: about one per
// operation, string and list work by size) of one evaluation of one
// condition. An evaluation that exceeds it stops with an error, and a
// condition whose evaluation errors does not match.
const CostLimit = 10_000

// itemVar is the one variable conditions see.
const itemVar = "item"

// environment is the CEL environment every condition is compiled in. A cel.Env
// is immutable and safe for concurrent use, so one serves every region.
var environment = sync.OnceValue(func() *cel.Env {
	env, err := cel.NewEnv(
		cel.Variable(itemVar, cel.MapType(cel.StringType, cel.DynType)),
		// item.budget > 1000 compares a double with an int, as users expect.
		cel.CrossTypeNumericComparisons(true),
	)
	if err != nil {
		panic("rules: building the CEL environment: " + err.Error()) // static options: a bug
	}
	return env
})

// parsed is one compiled condition before indexing. It is shared by every rule
// with the same text and never changed.
type parsed struct {
	prog     cel.Program // nil for an empty condition, which always holds
	preds    []rawPred   // the membership conjuncts
	checks   []check     // the conjuncts decided natively
	residual bool        // some conjunct is neither: prog decides
	scoreRef string      // non-empty when the condition reads item.score or item.tier: why that is wrong
}

// rawPred is an indexable conjunct: the value of item.key is one of vals.
type rawPred struct {
	key  string
	vals []scalar
}

// compiler compiles conditions, each distinct text once.
type compiler struct {
	env  *cel.Env
	seen map[string]*parsed
	errs map[string]string
}

func newCompiler() *compiler {
	return &compiler{env: environment(), seen: map[string]*parsed{}, errs: map[string]string{}}
}

// Compile compiles every routing and scoring rule of r (call it on a region of
// cfg.WithDefaults()). Problems name the field relative to the region,
// "rules[3].when" or "scoring_rules[0].when", with a one-line message that
// says what is wrong and where in the expression; every bad rule is reported.
// The Set is nil exactly when there are problems. Disabled routing rules are
// compiled, so their errors show, but never match.
func Compile(r *allot.Region) (*Set, allot.Problems) {
	return compile(r, defaultShape)
}

// compile is Compile with the index tree's shape given (tests vary it).
func compile(r *allot.Region, sh shape) (*Set, allot.Problems) {
	c := newCompiler()
	var ps allot.Problems
	routing := make([]*parsed, len(r.Rules))
	for i := range r.Rules {
		p, msg := c.compile(r.Rules[i].When)
		if msg != "" {
			ps.Add(fmt.Sprintf("rules[%d].when", i), msg)
		}
		routing[i] = p
	}
	scoring := make([]*parsed, len(r.ScoringRules))
	for i := range r.ScoringRules {
		p, msg := c.compile(r.ScoringRules[i].When)
		if msg == "" && p.scoreRef != "" {
			msg = p.scoreRef
		}
		if msg != "" {
			ps.Add(fmt.Sprintf("scoring_rules[%d].when", i), msg)
		}
		scoring[i] = p
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return build(r, routing, scoring, c.env.CELTypeAdapter(), sh), nil
}

// compile compiles one condition, or says in one line what is wrong with it.
func (c *compiler) compile(src string) (*parsed, string) {
	if p, ok := c.seen[src]; ok {
		return p, ""
	}
	if msg, ok := c.errs[src]; ok {
		return nil, msg
	}
	p, msg := c.compileNew(src)
	if msg != "" {
		c.errs[src] = msg
		return nil, msg
	}
	c.seen[src] = p
	return p, ""
}

func (c *compiler) compileNew(src string) (*parsed, string) {
	if strings.TrimSpace(src) == "" {
		return &parsed{}, ""
	}
	if p, ok := fastCompile(c.env, src); ok {
		return p, ""
	}
	return c.compileFull(src)
}

// compileFull compiles one condition with CEL's whole compiler: parser,
// type checker, program planner.
func (c *compiler) compileFull(src string) (*parsed, string) {
	ast, iss := c.env.Compile(src)
	if iss.Err() != nil {
		return nil, issuesMessage(iss)
	}
	if t := ast.OutputType(); !t.IsExactType(types.BoolType) && !t.IsExactType(types.DynType) {
		return nil, fmt.Sprintf("the condition must be a bool, but it is %s", t)
	}
	prog, err := c.env.Program(ast, programOptions(c.env, ast)...)
	if err != nil {
		return nil, oneLine(err.Error())
	}
	p := &parsed{prog: prog}
	native := ast.NativeRep()
	for _, e := range conjuncts(native.Expr(), nil) {
		if pr, ok := indexable(e); ok {
			p.preds = append(p.preds, pr)
		} else if ch, ok := nativeCheck(e); ok {
			p.checks = append(p.checks, ch)
		} else if !isTrue(e) {
			p.residual = true
		}
	}
	p.scoreRef = scoreRef(native)
	return p, ""
}

// programOptions returns the options to plan ast with. Runtime cost
// tracking roughly triples the cost of a cheap evaluation, so it is enabled
// only for conditions whose worst case CEL cannot bound under CostLimit with
// item values of any size (comprehensions, contains, matches, ...): a
// condition bounded statically can never reach the limit, so leaving it
// untracked changes no outcome.
func programOptions(env *cel.Env, ast *cel.Ast) []cel.ProgramOption {
	// Not cel.OptOptimize: besides folding constants it turns x in [lits]
	// into a hash lookup that errs on bytes and makes x in [] false even
	// for a missing x, unlike CEL's definition, which the index follows.
	// Constant regular expressions are still compiled once.
	opts := []cel.ProgramOption{cel.OptimizeRegex(interpreter.MatchesRegexOptimization)}
	if est, err := env.EstimateCost(ast, anySize{}); err != nil || est.Max > CostLimit {
		opts = append(opts, cel.CostLimit(CostLimit))
	}
	return opts
}

// anySize is a cost estimator that knows nothing: item values may be of any
// size, functions cost what CEL's cost model says.
type anySize struct{}

func (anySize) EstimateCallCost(string, string, *cost.AstNode, []cost.AstNode) *cost.CallEstimate {
	return nil
}

func (anySize) EstimateSize(cost.AstNode) *cost.SizeEstimate { return nil }

// maxIssues is how many of CEL's errors a problem message lists.
const maxIssues = 3

// issuesMessage renders CEL's issues on one line, each with its position,
// the first maxIssues of them.
func issuesMessage(iss *cel.Issues) string {
	var b strings.Builder
	errs := iss.Errors()
	for i, e := range errs[:min(len(errs), maxIssues)] {
		if i > 0 {
			b.WriteString("; ")
		}
		if l := e.Location; l != nil && l.Line() > 0 {
			fmt.Fprintf(&b, "line %d, column %d: ", l.Line(), l.Column()+1)
		}
		b.WriteString(oneLine(e.Message))
	}
	if n := len(errs) - maxIssues; n > 0 {
		fmt.Fprintf(&b, "; and %d more", n)
	}
	return b.String()
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// conjuncts appends the top-level conjuncts of e (a && b && c) to out.
// A condition holds exactly when every conjunct evaluates to true: CEL's &&
// is false or an error otherwise, and neither matches.
func conjuncts(e celast.Expr, out []celast.Expr) []celast.Expr {
	if e.Kind() == celast.CallKind {
		call := e.AsCall()
		if call.FunctionName() == operators.LogicalAnd && !call.IsMemberFunction() && len(call.Args()) == 2 {
			return conjuncts(call.Args()[1], conjuncts(call.Args()[0], out))
		}
	}
	return append(out, e)
}

func isTrue(e celast.Expr) bool {
	return e.Kind() == celast.LiteralKind && e.AsLiteral() == types.True
}

// indexable recognises item.K == lit, lit == item.K and item.K in [lit, ...]
// (also spelt item["K"]) where every literal is a string, bool or number the
// index compares exactly as CEL does (see scalar).
func indexable(e celast.Expr) (rawPred, bool) {
	if e.Kind() != celast.CallKind {
		return rawPred{}, false
	}
	call := e.AsCall()
	args := call.Args()
	if call.IsMemberFunction() || len(args) != 2 {
		return rawPred{}, false
	}
	switch call.FunctionName() {
	case operators.Equals:
		for _, side := range [2][2]celast.Expr{{args[0], args[1]}, {args[1], args[0]}} {
			k, kok := itemKey(side[0], false)
			v, vok := literal(side[1])
			if kok && vok {
				return rawPred{key: k, vals: []scalar{v}}, true
			}
		}
	case operators.In:
		k, ok := itemKey(args[0], false)
		if !ok || args[1].Kind() != celast.ListKind {
			return rawPred{}, false
		}
		list := args[1].AsList()
		if len(list.OptionalIndices()) > 0 {
			return rawPred{}, false
		}
		vals := make([]scalar, 0, list.Size())
		for _, el := range list.Elements() {
			v, ok := literal(el)
			if !ok {
				return rawPred{}, false
			}
			vals = append(vals, v)
		}
		return rawPred{key: k, vals: vals}, true
	}
	return rawPred{}, false
}

// itemKey recognises item.K and item["K"]; has(item.K) only when presence is set.
func itemKey(e celast.Expr, presence bool) (string, bool) {
	switch e.Kind() {
	case celast.SelectKind:
		sel := e.AsSelect()
		if (!sel.IsTestOnly() || presence) && isItem(sel.Operand()) {
			return sel.FieldName(), true
		}
	case celast.CallKind:
		call := e.AsCall()
		args := call.Args()
		if call.FunctionName() == operators.Index && !call.IsMemberFunction() && len(args) == 2 && isItem(args[0]) {
			if s, ok := stringLiteral(args[1]); ok {
				return s, true
			}
		}
	}
	return "", false
}

func isItem(e celast.Expr) bool {
	return e.Kind() == celast.IdentKind && e.AsIdent() == itemVar
}

func stringLiteral(e celast.Expr) (string, bool) {
	if e.Kind() != celast.LiteralKind {
		return "", false
	}
	s, ok := e.AsLiteral().(types.String)
	return string(s), ok
}

// literal returns the canonical form of an indexable literal.
func literal(e celast.Expr) (scalar, bool) {
	if e.Kind() != celast.LiteralKind {
		return scalar{}, false
	}
	v := scalarOfVal(e.AsLiteral())
	return v, v.kind != kindNone
}

// scoreRef explains why a scoring condition may not read item.score or
// item.tier (the scoring rules compute them), pointing at the first such
// reference, or returns "" when there is none. It sees item.K, item["K"],
// has(item.K) and "K" in item; a computed key (item[k]) finds the fields
// absent at run time instead.
func scoreRef(a *celast.AST) string {
	var (
		at   celast.Expr
		name string
	)
	celast.PreOrderVisit(a.Expr(), celast.NewExprVisitor(func(e celast.Expr) {
		if at != nil {
			return
		}
		k, ok := itemKey(e, true)
		if !ok {
			k, ok = keyInItem(e)
		}
		if ok && (k == "score" || k == "tier") {
			at, name = e, k
		}
	}))
	if at == nil {
		return ""
	}
	where := ""
	if l := a.SourceInfo().GetStartLocation(at.ID()); l.Line() > 0 {
		where = fmt.Sprintf("line %d, column %d: ", l.Line(), l.Column()+1)
	}
	return where + fmt.Sprintf("a scoring condition cannot use item.%s: scoring rules compute the score and the tier (routing rules can use them)", name)
}

// keyInItem recognises "K" in item.
func keyInItem(e celast.Expr) (string, bool) {
	if e.Kind() != celast.CallKind {
		return "", false
	}
	call := e.AsCall()
	args := call.Args()
	if call.FunctionName() != operators.In || len(args) != 2 || !isItem(args[1]) {
		return "", false
	}
	return stringLiteral(args[0])
}
