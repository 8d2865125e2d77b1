// Package rules compiles a region's rule conditions once and classifies items
// against them fast.
//
// # Conditions
//
// A condition (allot.Rule.When, allot.ScoringRule.When) is a CEL expression
// over one variable, item: a map(string, dyn) holding the item's attributes
// plus its own fields under the reserved names type, external_id, priority,
// score and tier (the fields win over an attribute of the same name). An
// empty condition always holds. A condition matches an item exactly when it
// evaluates to true: false, a non-bool value or an evaluation error (a
// missing key, a type mismatch, more than CostLimit of work) is no match.
// Conditions must type-check as bool or dyn; evaluation follows CEL's
// definition, including its heterogeneous numeric equality (3 == 3.0 == 3u,
// "3" != 3).
//
// # Classification
//
// Classification runs in two stages. Every scoring rule that matches adds its
// Points to the score; scoring conditions may not read item.score or
// item.tier (Compile rejects it, and at run time those keys are absent). The
// score gives the tier. Then the routing rules are tried in order, with the
// new score and tier visible, and the first match wins. Disabled routing
// rules never match.
//
// # Contracts
//
// Compile reports every bad condition with its field path and then returns
// no Set. A Set is immutable and safe for concurrent use. Classify never
// modifies the item and always returns what ClassifySlow, the plain
// evaluation of every program in order, returns; the property and fuzz tests
// hold it to that.
//
// # Index
//
// Each condition is split into its top-level conjuncts (a && b && c); it
// holds exactly when every conjunct is true. A conjunct item.K == lit,
// lit == item.K or item.K in [lit, ...] (also item["K"]) over string, bool
// and number literals is a membership predicate. Literals and item values
// are canonicalised so that equal canonical forms mean CEL's == (lists, null
// and NaN equal no literal; numbers beyond ±2^53, where CEL's mixed-type
// equality is not transitive, are left to CEL) and numbered per key. The
// rules of a stage are filed in a discrimination tree: a node splits on the
// key that saves the most candidates, each rule going under the values its
// predicate on that key accepts, or under "rest" when it has none; a leaf
// lists rules. With a single split this is the classic anchor index (one
// posting list per key and value, rest as the always-check list); deeper
// splits keep the lists short when thousands of rules share a key, such as
// country then program. To classify, the item's value of each key on its
// path is looked up once (a map lookup and a dictionary lookup), the few
// lists reached are scanned in rule order, and each candidate's predicates
// are checked by value id. Conjuncts that are comparisons, negated
// memberships, has(), size(), startsWith/endsWith/contains, lit in item.K,
// or || and && of these, are decided natively by the code CEL itself runs
// for them; only a rule with some other conjunct runs its CEL program, over
// a view that reads the item in place. A rule made only of predicates and
// native checks runs no CEL at all.
//
// # Compilation
//
// A condition made only of membership predicates, native checks and true,
// over item keys other than score and tier, is read by a small parser of
// that subset of CEL (see fast.go), which builds the AST nodes CEL's parser
// builds for it; such a condition always type-checks, so it is reported as
// CEL would report it (no problem), and its CEL program, which Classify
// never runs, is compiled from the text by CEL on first use (ClassifySlow,
// the tests' oracle). Every other condition goes through CEL's parser, type
// checker and planner at Compile, with CEL's messages.
//
// Programs whose worst-case cost CEL bounds statically under CostLimit run
// without runtime cost tracking, which would triple their cost and could
// never trip; the others are tracked.
package rules
