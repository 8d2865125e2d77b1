package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"slices"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
)

// ruleKind describes one ordered, named list of a region's config: routing
// rules or scoring rules. Both have the same endpoints.
type ruleKind[T any] struct {
	segment string // URL segment: rules, scoring-rules
	field   string // config field: rules, scoring_rules
	noun    string // rule, scoring rule
	opNoun  string // operation ids: rule, scoring-rule
	list    func(r *allot.Region) *[]T
	name    func(*T) *string
	about   string
}

var routingRules = ruleKind[allot.Rule]{
	segment: "rules", field: "rules", noun: "rule", opNoun: "rule",
	list:  func(r *allot.Region) *[]allot.Rule { return &r.Rules },
	name:  func(r *allot.Rule) *string { return &r.Name },
	about: "Routing rules are ordered: the first rule whose condition (CEL over item) holds sends the item to its queue, with required skills, attribute matches, priority and SLA.",
}

var scoringRules = ruleKind[allot.ScoringRule]{
	segment: "scoring-rules", field: "scoring_rules", noun: "scoring rule", opNoun: "scoring-rule",
	list:  func(r *allot.Region) *[]allot.ScoringRule { return &r.ScoringRules },
	name:  func(r *allot.ScoringRule) *string { return &r.Name },
	about: "Scoring rules add points to the score of every item whose condition (CEL over item) holds; the score gives the item's tier.",
}

// OptionalInt is an integer query parameter that may be omitted.
type OptionalInt struct {
	Value int
	IsSet bool
}

// Schema documents the parameter as an integer.
func (o OptionalInt) Schema(r huma.Registry) *huma.Schema {
	return huma.SchemaFromType(r, reflect.TypeFor[int]())
}

// Receiver is where huma parses the value.
func (o *OptionalInt) Receiver() reflect.Value { return reflect.ValueOf(o).Elem().Field(0) }

// OnParamSet records whether the parameter was sent.
func (o *OptionalInt) OnParamSet(isSet bool, _ any) { o.IsSet = isSet }

// RulePath is the {region} and {rule} path parameters.
// (Exported: huma fills only exported embedded fields.)
type RulePath struct {
	RegionPath
	Rule string `path:"rule" maxLength:"128" doc:"The rule's name."`
}

func (k ruleKind[T]) find(r *allot.Region, name string) int {
	return slices.IndexFunc(*k.list(r), func(x T) bool { return *k.name(&x) == name })
}

func registerRuleOps[T any](a *API, k ruleKind[T]) {
	tags := []string{k.segment}
	base := "/v1/regions/{region}/" + k.segment
	huma.Register(a.api, a.op(opSpec{id: "list-" + k.opNoun + "s", method: http.MethodGet, path: base,
		summary: "List " + k.noun + "s", tags: tags, perm: permManage,
		desc: "Lists the region's " + k.noun + "s in order. " + k.about}),
		func(ctx context.Context, in *RegionPath) (*listOut[T], error) {
			r, err := a.regionConfig(ctx, in.Region)
			if err != nil {
				return nil, err
			}
			return list(*k.list(&r), ""), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "create-" + k.opNoun, method: http.MethodPost, path: base,
		summary: "Add a " + k.noun, tags: tags, perm: permManage, status: http.StatusCreated,
		errors: append([]int{http.StatusConflict}, bodyErrors...),
		desc:   "Adds a " + k.noun + " at position (0 is first; omitted: last). Its condition is compiled and checked against the region; every problem is reported. " + k.about}),
		func(ctx context.Context, in *struct {
			RegionPath
			Position OptionalInt `query:"position" doc:"Where to insert the rule: 0 is first; omitted, it is appended."`
			Body     T
		}) (*bodyOut[T], error) {
			x := in.Body
			name := *k.name(&x)
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				l := k.list(r)
				if name != "" && k.find(r, name) >= 0 {
					return "", allot.Errorf(allot.ECONFLICT, "%s %q already exists; PUT it to change it", k.noun, name)
				}
				pos := len(*l)
				if in.Position.IsSet {
					pos = in.Position.Value
				}
				if pos < 0 || pos > len(*l) {
					return "", &allot.Error{Code: allot.EINVALID, Message: "invalid position", Problems: allot.Problems{
						{Path: "query.position", Message: fmt.Sprintf("must be between 0 and %d (the number of %ss)", len(*l), k.noun)}}}
				}
				*l = slices.Insert(*l, pos, x)
				return objPath(k.field, pos), nil
			})
			if err != nil {
				return nil, err
			}
			return getRuleOf(ctx, a, k, in.Region, name, http.StatusCreated)
		})

	huma.Register(a.api, a.op(opSpec{id: "validate-" + k.opNoun, method: http.MethodPost, path: base + "/validate",
		summary: "Validate a " + k.noun + " (dry run)", tags: tags, perm: permManage, errors: bodyErrors,
		desc: "Checks a " + k.noun + " against the region as if it were saved (replacing the " + k.noun + " of the same name, or appended): compiles its condition and checks its references. Returns every problem; never changes anything."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Body T
		}) (*bodyOut[ValidationResult], error) {
			cfg, err := a.n.Config(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			x := in.Body
			// n.Config shares its slices with the node: edit a copy.
			cfg.Regions = []allot.Region{cfg.Regions[0]}
			r := &cfg.Regions[0]
			l := k.list(r)
			*l = slices.Clone(*l)
			i := k.find(r, *k.name(&x))
			if i < 0 || *k.name(&x) == "" {
				*l = append(*l, x)
				i = len(*l) - 1
			} else {
				(*l)[i] = x
			}
			obj := objPath(k.field, i)
			loc := configLocator(&obj)
			var ps allot.Problems
			for _, p := range dryRun(cfg, in.Region) {
				ps.Add(loc(p.Path), p.Message)
			}
			return ok(http.StatusOK, validation(ps)), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "get-" + k.opNoun, method: http.MethodGet, path: base + "/{rule}",
		summary: "Get a " + k.noun, tags: tags, perm: permManage, desc: "Returns the " + k.noun + "."}),
		func(ctx context.Context, in *RulePath) (*bodyOut[T], error) {
			return getRuleOf(ctx, a, k, in.Region, in.Rule, http.StatusOK)
		})

	huma.Register(a.api, a.op(opSpec{id: "put-" + k.opNoun, method: http.MethodPut, path: base + "/{rule}",
		summary: "Replace a " + k.noun, tags: tags, perm: permManage, errors: bodyErrors,
		desc: "Replaces the " + k.noun + ", keeping its position. Items decided under the old version keep their decision; waiting items follow the new rules."}),
		func(ctx context.Context, in *struct {
			RulePath
			Body T
		}) (*bodyOut[T], error) {
			x := in.Body
			if err := checkPathID("name", *k.name(&x), in.Rule, k.noun); err != nil {
				return nil, err
			}
			*k.name(&x) = in.Rule
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				i := k.find(r, in.Rule)
				if i < 0 {
					return "", notFound("no %s %q in region %q", k.noun, in.Rule, in.Region)
				}
				(*k.list(r))[i] = x
				return objPath(k.field, i), nil
			})
			if err != nil {
				return nil, err
			}
			return getRuleOf(ctx, a, k, in.Region, in.Rule, http.StatusOK)
		})

	huma.Register(a.api, a.op(opSpec{id: "delete-" + k.opNoun, method: http.MethodDelete, path: base + "/{rule}",
		summary: "Delete a " + k.noun, tags: tags, perm: permManage, status: http.StatusNoContent,
		desc: "Removes the " + k.noun + ". Waiting items are routed again without it."}),
		func(ctx context.Context, in *RulePath) (*struct{}, error) {
			_, err := a.edit(ctx, in.Region, func(r *allot.Region) (string, error) {
				i := k.find(r, in.Rule)
				if i < 0 {
					return "", notFound("no %s %q in region %q", k.noun, in.Rule, in.Region)
				}
				*k.list(r) = slices.Delete(*k.list(r), i, i+1)
				return "", nil
			})
			return nil, err
		})
}

// getRuleOf answers one rule of a region's current config.
func getRuleOf[T any](ctx context.Context, a *API, k ruleKind[T], region, name string, status int) (*bodyOut[T], error) {
	r, err := a.regionConfig(ctx, region)
	if err != nil {
		return nil, err
	}
	i := k.find(&r, name)
	if i < 0 {
		return nil, a.problem(ctx, notFound("no %s %q in region %q", k.noun, name, region), nil)
	}
	return ok(status, (*k.list(&r))[i]), nil
}
