package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/node"
)

// RegionSummary is a region in the list of regions.
type RegionSummary struct {
	ID       string `json:"id" doc:"The region's id."`
	Name     string `json:"name,omitempty" doc:"The region's name."`
	TimeZone string `json:"time_zone" doc:"The region's IANA time zone."`
}

func (a *API) routeRegions() {
	huma.Register(a.api, a.op(opSpec{id: "create-region", maxBody: a.opts.MaxConfigBodyBytes, method: http.MethodPost, path: "/v1/regions",
		summary: "Create a region", tags: []string{"regions"}, perm: permAdmin, status: http.StatusCreated,
		errors: append([]int{http.StatusConflict}, bodyErrors...),
		desc:   "Creates a region with its whole config (queues, agents, rules, ...). Every problem of the config is reported with its location; nothing is created then."}),
		func(ctx context.Context, in *struct{ Body allot.Region }) (*bodyOut[allot.Region], error) {
			r := in.Body
			normalizeRegion(&r)
			if _, err := a.n.CreateRegion(ctx, principalFrom(ctx).ID, allot.Config{Regions: []allot.Region{r}}); err != nil {
				return nil, a.problem(ctx, err, regionBodyLocator)
			}
			cfg, err := a.n.Config(ctx, r.ID)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return ok(http.StatusCreated, cfg.Regions[0]), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "list-regions", method: http.MethodGet, path: "/v1/regions",
		summary: "List regions", tags: []string{"regions"}, perm: permAny,
		desc: "Lists the regions the token reaches: every region for admin (and an integration token without a region), the token's own region otherwise."}),
		func(ctx context.Context, _ *struct{}) (*listOut[RegionSummary], error) {
			p := principalFrom(ctx)
			var out []RegionSummary
			for _, id := range a.n.Regions() {
				if !p.seesRegion(id) {
					continue
				}
				cfg, err := a.n.Config(ctx, id)
				if allot.ErrorCode(err) == allot.ENOTFOUND {
					continue
				}
				if err != nil {
					return nil, a.problem(ctx, err, nil)
				}
				r := cfg.Regions[0]
				out = append(out, RegionSummary{ID: r.ID, Name: r.Name, TimeZone: r.TimeZone})
			}
			return list(out, ""), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "get-region", method: http.MethodGet, path: "/v1/regions/{region}",
		summary: "Get a region's config", tags: []string{"regions"}, perm: permManage,
		desc: "Returns the region's whole current config, with defaults filled in, and its version as ETag: send that as If-Match with PUT .../config so that the replacement fails (409) instead of overwriting a change made in between."}),
		func(ctx context.Context, in *RegionPath) (*configOut, error) {
			cfg, seq, err := a.n.ConfigVersion(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return &configOut{Status: http.StatusOK, ETag: strconv.Quote(strconv.FormatUint(seq, 10)), Body: cfg.Regions[0]}, nil
		})

	putConfig := a.op(opSpec{id: "put-region-config", maxBody: a.opts.MaxConfigBodyBytes, method: http.MethodPut, path: "/v1/regions/{region}/config",
		summary: "Replace a region's config", tags: []string{"regions"}, perm: permManage, errors: bodyErrors,
		desc: "Replaces the region's whole config. Runtime state carries over: open items keep their owners, waiting items are routed again under the new rules. The body's id may be omitted; if present it must be the region's. Send If-Match with the config version you read (GET .../config/versions) to replace it only if nobody changed it since: otherwise 409 and nothing changes.\n\n" +
			"The answer is the new config (200) with its version as ETag. A client that does not need the config back sends `Prefer: return=minimal` (RFC 7240): the answer is then 204 with no body, the ETag and `Preference-Applied: return=minimal`; problems are answered as without it."})
	putConfig.Responses = map[string]*huma.Response{
		"204": {Description: "Replaced; sent for `Prefer: return=minimal`: no body, the new version as ETag.", Headers: map[string]*huma.Param{
			"ETag":               {Description: "The config's version, quoted (\"12\").", Schema: &huma.Schema{Type: huma.TypeString}},
			"Preference-Applied": {Description: "`return=minimal`.", Schema: &huma.Schema{Type: huma.TypeString}},
		}},
	}
	huma.Register(a.api, putConfig,
		func(ctx context.Context, in *struct {
			RegionPath
			IfMatch string `header:"If-Match" maxLength:"40" doc:"The config version (the seq of its config entry, optionally quoted) this replacement is based on; the write fails with 409 if the config has changed since."`
			Prefer  string `header:"Prefer" maxLength:"200" doc:"return=minimal (RFC 7240): answer 204 with the new version as ETag and no body instead of the whole config."`
			Body    allot.Region
		}) (*putConfigOut, error) {
			var ifVersion uint64
			if in.IfMatch != "" {
				v, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(in.IfMatch, "W/"), `"`), 10, 64)
				if err != nil || v == 0 {
					return nil, invalid("invalid If-Match", allot.Problems{{Path: "header.If-Match", Message: fmt.Sprintf("want a config version such as \"12\", got %q", in.IfMatch)}})
				}
				ifVersion = v
			}
			r := in.Body
			if r.ID != "" && r.ID != in.Region {
				return nil, invalid("invalid region config", allot.Problems{{Path: "body.id", Message: fmt.Sprintf("must be the region in the path (%q); a region cannot be renamed", in.Region)}})
			}
			r.ID = in.Region
			normalizeRegion(&r)
			res, err := a.n.Submit(ctx, in.Region, node.Command{Actor: principalFrom(ctx).ID, IfConfigVersion: ifVersion, EditConfig: func(cfg *allot.Config) error {
				cfg.Regions[0] = r
				return nil
			}})
			if err != nil {
				return nil, a.problem(ctx, err, regionBodyLocator)
			}
			hold(ctx, res) // released once the answer is written
			etag := strconv.Quote(strconv.FormatUint(res.ConfigVersion, 10))
			if preferMinimal(in.Prefer) {
				return &putConfigOut{Status: http.StatusNoContent, ETag: etag, PreferenceApplied: "return=minimal"}, nil
			}
			cfg, err := a.n.Config(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return &putConfigOut{Status: http.StatusOK, ETag: etag, Body: cfg.Regions[0]}, nil
		})

	huma.Register(a.api, a.op(opSpec{id: "validate-region-config", maxBody: a.opts.MaxConfigBodyBytes, method: http.MethodPost, path: "/v1/regions/{region}/config/validate",
		summary: "Validate a region config (dry run)", tags: []string{"regions"}, perm: permManage, errors: bodyErrors,
		desc: "Checks a whole region config as PUT .../config would (defaults, validation, rule compilation) and returns every problem. Never changes anything."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Body allot.Region
		}) (*bodyOut[ValidationResult], error) {
			r := in.Body
			var ps allot.Problems
			if r.ID != "" && r.ID != in.Region {
				ps.Add("body.id", fmt.Sprintf("must be the region in the path (%q)", in.Region))
			}
			r.ID = in.Region
			normalizeRegion(&r)
			cfg, err := a.n.Config(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			cfg.Regions = []allot.Region{r}
			for _, p := range dryRun(cfg, in.Region) {
				ps.Add(regionBodyLocator(p.Path), p.Message)
			}
			return ok(http.StatusOK, validation(ps)), nil
		})
}

// dryRun builds a throwaway engine for cfg and returns its problems (paths
// relative to the config: regions[0]...).
func dryRun(cfg allot.Config, region string) allot.Problems {
	_, err := engine.New(cfg, region, &allot.ManualClock{T: time.Now().UTC()})
	if err == nil {
		return nil
	}
	if e, ok := err.(*allot.Error); ok && len(e.Problems) > 0 {
		return e.Problems
	}
	return allot.Problems{{Path: "", Message: err.Error()}}
}

func validation(ps allot.Problems) ValidationResult {
	out := ValidationResult{Valid: len(ps) == 0, Problems: []*huma.ErrorDetail{}}
	for _, p := range ps {
		out.Problems = append(out.Problems, &huma.ErrorDetail{Location: p.Path, Message: p.Message})
	}
	return out
}

// normalizeRegion puts a config's times in UTC (timestamps in answers are
// UTC).
func normalizeRegion(r *allot.Region) {
	for i := range r.Agents {
		normalizeAgent(&r.Agents[i])
	}
}

func normalizeAgent(a *allot.Agent) {
	for i := range a.Absences {
		a.Absences[i].Start = a.Absences[i].Start.UTC()
		a.Absences[i].End = a.Absences[i].End.UTC()
	}
}

// edit submits a config edit of one region. fn edits the region in place
// and returns the config path of the object it touched (e.g.
// "regions[0].agents[3]"; "" for none), which locates the engine's
// problems under body; an *allot.Error from fn (ENOTFOUND, ECONFLICT,
// EINVALID with located paths) fails the request and changes nothing.
func (a *API) edit(ctx context.Context, region string, fn func(r *allot.Region) (string, error)) (node.Result, error) {
	var obj string
	res, err := a.n.Submit(ctx, region, node.Command{Actor: principalFrom(ctx).ID, EditConfig: func(cfg *allot.Config) error {
		var err error
		obj, err = fn(&cfg.Regions[0])
		return err
	}})
	if err != nil {
		return res, a.problem(ctx, err, configLocator(&obj))
	}
	hold(ctx, res) // released once the answer is written
	return res, nil
}

// regionConfig returns the current config of a region. Its slices and maps
// are the node's: read them, never change them.
func (a *API) regionConfig(ctx context.Context, region string) (allot.Region, error) {
	cfg, err := a.n.Config(ctx, region)
	if err != nil {
		return allot.Region{}, a.problem(ctx, err, nil)
	}
	return cfg.Regions[0], nil
}

// checkPathID reports a body id that disagrees with the path's.
func checkPathID(field, bodyID, pathID, noun string) error {
	if bodyID != "" && bodyID != pathID {
		return invalid("invalid "+noun, allot.Problems{{Path: "body." + field,
			Message: fmt.Sprintf("must be the %s in the path (%q) or omitted; to rename, create the new %s and delete the old one", noun, pathID, noun)}})
	}
	return nil
}

func objPath(list string, i int) string { return fmt.Sprintf("regions[0].%s[%d]", list, i) }

func notFound(format string, args ...any) error {
	return allot.Errorf(allot.ENOTFOUND, format, args...)
}

// putConfigOut is a replacement's answer: configOut, or (204) only the
// version when the client preferred return=minimal.
type putConfigOut struct {
	Status            int
	ETag              string `header:"ETag" doc:"The config's version, quoted (\"12\"): send it as If-Match with the next replacement to base it on this config."`
	PreferenceApplied string `header:"Preference-Applied" doc:"return=minimal when the answer has no body (204)."`
	Body              allot.Region
}

// preferMinimal reports whether a Prefer header (RFC 7240) asks for
// return=minimal: a comma-separated list of preferences, each a token with
// an optional (possibly quoted) value and ;-separated parameters, the token
// case-insensitive.
func preferMinimal(h string) bool {
	for pref := range strings.SplitSeq(h, ",") {
		pref, _, _ = strings.Cut(pref, ";")
		k, v, ok := strings.Cut(pref, "=")
		if ok && strings.EqualFold(strings.TrimSpace(k), "return") && strings.Trim(strings.TrimSpace(v), `"`) == "minimal" {
			return true
		}
	}
	return false
}

// configOut is a region's config with its version: the current one, or the
// one a replacement made.
type configOut struct {
	Status int
	ETag   string `header:"ETag" doc:"The config's version, quoted (\"12\"): send it as If-Match with the next replacement to base it on this config."`
	Body   allot.Region
}
