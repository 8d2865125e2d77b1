package httpapi

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// TokenInput creates a token.
type TokenInput struct {
	Role      store.Role `json:"role" required:"true" enum:"admin,manager,agent,integration" doc:"admin: everything; manager: everything in its region; agent: its own presence and items; integration: item intake and reads (in its region, or all regions without one)."`
	Region    string     `json:"region,omitempty" maxLength:"128" doc:"The region the token reaches: required for manager and agent, optional for integration, not allowed for admin."`
	Agent     string     `json:"agent,omitempty" maxLength:"128" doc:"The agent an agent token acts for (an agent of region); only for agent tokens."`
	Name      string     `json:"name,omitempty" maxLength:"200" doc:"A label for people, e.g. who holds the token."`
	ExpiresAt *time.Time `json:"expires_at,omitempty" doc:"When the token stops working (RFC 3339, in the future); omitted: never."`
}

// NewTokenOutput is a created token with its plaintext.
type NewTokenOutput struct {
	Token
	Secret string `json:"token" doc:"The token to send as Authorization: Bearer <token>. Shown once: only its hash is stored."`
}

func (a *API) routeTokens() {
	tags := []string{"tokens"}
	huma.Register(a.api, a.op(opSpec{id: "create-token", method: http.MethodPost, path: "/v1/tokens",
		summary: "Create an API token", tags: tags, perm: permAdmin, status: http.StatusCreated, errors: bodyErrors,
		desc: "Creates a token and returns it once; only its hash is stored."}),
		func(ctx context.Context, in *struct{ Body TokenInput }) (*bodyOut[NewTokenOutput], error) {
			b := in.Body
			if err := a.checkTokenInput(ctx, &b); err != nil {
				return nil, err
			}
			plain, t := NewToken(b.Role, b.Region, b.Agent, b.Name, b.ExpiresAt)
			if err := a.n.CreateToken(ctx, principalFrom(ctx).ID, t); err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return ok(http.StatusCreated, NewTokenOutput{Token: tokenOut(t), Secret: plain}), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "list-tokens", method: http.MethodGet, path: "/v1/tokens",
		summary: "List API tokens", tags: tags, perm: permAdmin,
		desc: "Lists every token (never their secrets), revoked ones included, sorted by id."}),
		func(ctx context.Context, _ *struct{}) (*listOut[Token], error) {
			ts, err := a.n.Store().Tokens(ctx)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			out := make([]Token, len(ts))
			for i, t := range ts {
				out[i] = tokenOut(t)
			}
			return list(out, ""), nil
		})

	huma.Register(a.api, a.op(opSpec{id: "revoke-token", method: http.MethodDelete, path: "/v1/tokens/{id}",
		summary: "Revoke an API token", tags: tags, perm: permAdmin, status: http.StatusNoContent,
		desc: "Revokes a token: it is refused from now on. Revoking a revoked token changes nothing."}),
		func(ctx context.Context, in *struct {
			ID string `path:"id" maxLength:"64" doc:"The token's id."`
		}) (*struct{}, error) {
			err := a.n.RevokeToken(ctx, principalFrom(ctx).ID, in.ID)
			a.tokens.drop(in.ID)
			if err != nil {
				return nil, a.problem(ctx, err, nil)
			}
			return nil, nil
		})
}

// checkTokenInput checks a token's role, scope and expiry against the
// regions and agents that exist.
func (a *API) checkTokenInput(ctx context.Context, b *TokenInput) error {
	var ps allot.Problems
	switch b.Role {
	case store.RoleAdmin:
		if b.Region != "" {
			ps.Add("body.region", "an admin token reaches every region; omit region")
		}
		if b.Agent != "" {
			ps.Add("body.agent", "only agent tokens name an agent")
		}
	case store.RoleManager, store.RoleIntegration:
		if b.Region == "" && b.Role == store.RoleManager {
			ps.Add("body.region", "required: the region the manager manages")
		}
		if b.Agent != "" {
			ps.Add("body.agent", "only agent tokens name an agent")
		}
	case store.RoleAgent:
		if b.Region == "" {
			ps.Add("body.region", "required: the agent's region")
		}
		if b.Agent == "" {
			ps.Add("body.agent", "required: the agent the token acts for")
		}
	default:
		ps.Add("body.role", fmt.Sprintf("unknown role %q; want admin, manager, agent or integration", b.Role))
	}
	if b.ExpiresAt != nil && !b.ExpiresAt.After(time.Now()) {
		ps.Add("body.expires_at", "must be in the future")
	}
	if b.Region != "" && len(ps) == 0 {
		cfg, err := a.n.Config(ctx, b.Region)
		switch allot.ErrorCode(err) {
		case "":
			if b.Agent != "" && findAgent(&cfg.Regions[0], b.Agent) < 0 {
				ps.Add("body.agent", fmt.Sprintf("no agent %q in region %q", b.Agent, b.Region))
			}
		case allot.ENOTFOUND:
			ps.Add("body.region", fmt.Sprintf("no region %q", b.Region))
		default:
			return a.problem(ctx, err, nil)
		}
	}
	if len(ps) > 0 {
		return invalid("invalid token", ps)
	}
	return nil
}
