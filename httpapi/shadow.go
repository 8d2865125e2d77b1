package httpapi

import (
	"context"
	"fmt"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/node"
)

// ShadowPromoted is the answer to a promotion.
type ShadowPromoted struct {
	Version uint64       `json:"version" doc:"The config version the promotion made (roll back by PUTting the previous version's config, or allot config rollback)."`
	Config  allot.Region `json:"config" doc:"The region's config now: the candidate, with defaults."`
}

func (a *API) routeShadow() {
	tags := []string{"shadow"}
	huma.Register(a.api, a.op(opSpec{id: "put-region-shadow", maxBody: a.opts.MaxConfigBodyBytes, method: http.MethodPut, path: "/v1/regions/{region}/shadow",
		summary: "Run a candidate config in shadow", tags: tags, perm: permManage, errors: bodyErrors,
		desc: "Starts running the body, a whole candidate region config, beside the live config (replacing any shadow already running). The candidate is validated like PUT .../config; an invalid one answers 422 with every problem and changes nothing. " +
			"The shadow starts from the live state (presence, open items and their owners) and then sees every live event; it decides every arriving item too, without acting. " +
			"Compare with GET .../shadow, then promote it or delete it. Starting and ending a shadow are audit-log entries (shadow_config, shadow_end): a restart keeps the shadow and its report. Shadows are per region: promote one region first, watch it, then the next."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Body allot.Region
		}) (*bodyOut[node.ShadowReport], error) {
			r := in.Body
			if r.ID != "" && r.ID != in.Region {
				return nil, invalid("invalid candidate config", allot.Problems{{Path: "body.id", Message: fmt.Sprintf("must be the region in the path (%q)", in.Region)}})
			}
			r.ID = in.Region
			normalizeRegion(&r)
			if err := a.n.StartShadow(ctx, in.Region, principalFrom(ctx).ID, r); err != nil {
				return nil, a.problem(ctx, err, regionBodyLocator)
			}
			rep, err := a.n.ShadowReport(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return ok(http.StatusOK, rep), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "get-region-shadow", method: http.MethodGet, path: "/v1/regions/{region}/shadow",
		summary: "Compare the shadow config with the live one", tags: tags, perm: permManage,
		desc: "Returns the shadow report since the shadow started: arrivals compared, agreements, disagreements per field (rule, queue, tier, score, agent, kind) with the most recent examples and the shadow's explanation, live events the shadow could not apply, and per agent the assignments and load under each config with each config's fairness (Gini of assignments per unit of weight). 404 when the region runs no shadow."}),
		func(ctx context.Context, in *RegionPath) (*bodyOut[node.ShadowReport], error) {
			rep, err := a.n.ShadowReport(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return ok(http.StatusOK, rep), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "promote-region-shadow", method: http.MethodPost, path: "/v1/regions/{region}/shadow/promote",
		summary: "Make the shadow config live", tags: tags, perm: permManage, errors: []int{http.StatusUnprocessableEntity},
		desc: "Applies the shadow's candidate config as the region's config (a new config version, exactly like PUT .../config: open items keep their owners, waiting items are routed again) and ends the shadow, in one commit. Only this region changes. To undo, roll back to the previous version (GET .../config/versions, or allot config rollback). 404 when the region runs no shadow."}),
		func(ctx context.Context, in *RegionPath) (*bodyOut[ShadowPromoted], error) {
			v, err := a.n.PromoteShadow(ctx, in.Region, principalFrom(ctx).ID)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			cfg, err := a.n.Config(ctx, in.Region)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return ok(http.StatusOK, ShadowPromoted{Version: v, Config: cfg.Regions[0]}), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "delete-region-shadow", method: http.MethodDelete, path: "/v1/regions/{region}/shadow",
		summary: "Stop the shadow config", tags: tags, perm: permManage, status: http.StatusNoContent,
		desc: "Ends the region's shadow without changing the live config; its report is gone. 404 when the region runs no shadow."}),
		func(ctx context.Context, in *RegionPath) (*struct{}, error) {
			if err := a.n.EndShadow(ctx, in.Region, principalFrom(ctx).ID); err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return nil, nil
		})
}
