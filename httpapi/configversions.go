package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/engine"
	"github.com/allot/allot/store"
)

// kindConfig is the audit-log kind of a config change (node.KindConfig).
const kindConfig = store.KindConfig

// ConfigVersion is one version of a region's config: the audit-log entry
// that set it.
type ConfigVersion struct {
	Seq   uint64    `json:"seq" doc:"The version: the seq of the audit-log entry that set this config."`
	At    time.Time `json:"at" doc:"When the config took effect."`
	Actor string    `json:"actor" doc:"Who set it: a token id, system or cli."`
}

// ConfigVersionDetail is one version of a region's config with the config.
type ConfigVersionDetail struct {
	ConfigVersion
	Config allot.Region `json:"config" doc:"The region's whole config as it was set by this version (PUT it to .../config to roll back to it)."`
}

func (a *API) routeConfigVersions() {
	huma.Register(a.api, a.op(opSpec{id: "list-config-versions", method: http.MethodGet, path: "/v1/regions/{region}/config/versions",
		summary: "List a region's config versions", tags: []string{"regions"}, perm: permManage, errors: []int{http.StatusUnprocessableEntity},
		desc: "Lists every version of the region's config, oldest first: the audit-log entries of kind config (region creation, config replacements and edits), with when and by whom. A version's number is its entry's seq. The versions are indexed: a page costs time in the versions it returns, not in the length of the log."}),
		func(ctx context.Context, in *struct {
			RegionPath
			AfterSeq int64  `query:"after_seq" minimum:"0" doc:"Only versions with a greater seq."`
			Cursor   string `query:"cursor" maxLength:"32" doc:"The next_cursor of the previous page (wins over after_seq)."`
			Limit    int    `query:"limit" minimum:"1" maximum:"1000" default:"100" doc:"Page size."`
		}) (*listOut[ConfigVersion], error) {
			if _, err := a.regionConfig(ctx, in.Region); err != nil {
				return nil, err
			}
			after := uint64(in.AfterSeq)
			if in.Cursor != "" {
				c, err := strconv.ParseUint(in.Cursor, 10, 64)
				if err != nil {
					return nil, invalid("invalid cursor", allot.Problems{{Path: "query.cursor", Message: "not a cursor this API returned"}})
				}
				after = c
			}
			out, next, err := pageOf(in.Limit, func(fn func(store.Entry) error) error {
				return a.n.Store().ConfigEntries(ctx, in.Region, after, fn)
			}, func(e store.Entry) (ConfigVersion, bool) {
				return ConfigVersion{Seq: e.Seq, At: e.At.UTC(), Actor: e.Actor}, e.Kind == kindConfig
			})
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return list(out, next), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "get-config-version", method: http.MethodGet, path: "/v1/regions/{region}/config/versions/{seq}",
		summary: "Get one version of a region's config", tags: []string{"regions"}, perm: permManage,
		desc: "Returns the region's config as version seq set it. 404 when seq is not a config version of the region. To roll back, PUT the returned config to /v1/regions/{region}/config: that makes a new version."}),
		func(ctx context.Context, in *struct {
			RegionPath
			Seq uint64 `path:"seq" minimum:"1" doc:"The version: the seq of a config entry of the region's audit log."`
		}) (*bodyOut[ConfigVersionDetail], error) {
			if _, err := a.regionConfig(ctx, in.Region); err != nil {
				return nil, err
			}
			var found *store.Entry
			errFound := errors.New("found")
			err := a.n.Store().Entries(ctx, in.Region, in.Seq-1, func(e store.Entry) error {
				if e.Seq == in.Seq {
					found = &e
				}
				return errFound
			})
			if err != nil && !errors.Is(err, errFound) {
				return nil, a.problem(ctx, err, nil)
			}
			if found == nil || found.Kind != kindConfig {
				return nil, a.problem(ctx, notFound("region %q has no config version %d; list them at /v1/regions/%s/config/versions", in.Region, in.Seq, in.Region), nil)
			}
			var ev engine.ConfigChanged
			if err := json.Unmarshal(found.Payload, &ev); err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			out := ConfigVersionDetail{ConfigVersion: ConfigVersion{Seq: found.Seq, At: found.At.UTC(), Actor: found.Actor}}
			for _, r := range ev.Config.Regions {
				if r.ID == in.Region {
					out.Config = r
				}
			}
			if out.Config.ID == "" {
				return nil, a.problem(ctx, notFound("region %q has no config version %d", in.Region, in.Seq), nil)
			}
			return ok(http.StatusOK, out), nil
		})
}
