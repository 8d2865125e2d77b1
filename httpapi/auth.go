package httpapi

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/allot/allot"
	"github.com/allot/allot/store"
)

// tokenPrefix starts every API token: allot_<id>_<secret>.
const tokenPrefix = "allot_"

// NewToken makes a token: a random id and secret (crypto/rand), the secret
// stored only as its SHA-256. It returns the plaintext to hand to the user
// once ("allot_<id>_<secret>") and the token to store (with
// node.CreateToken). CreatedAt is now, in UTC. The arguments are not
// checked here; the API checks them before calling.
func NewToken(role store.Role, region, agent, name string, expires *time.Time) (plaintext string, t store.Token) {
	id := strings.ToLower(rand.Text()[:16])
	secret := strings.ToLower(rand.Text() + rand.Text())
	if expires != nil {
		e := expires.UTC()
		expires = &e
	}
	t = store.Token{ID: id, SecretHash: hashSecret(secret), Role: role, Region: region, Agent: agent, Name: name,
		CreatedAt: time.Now().UTC(), ExpiresAt: expires}
	return tokenPrefix + id + "_" + secret, t
}

func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// parseToken splits a plaintext token; ok is false when it is malformed.
func parseToken(s string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(s, tokenPrefix)
	if !ok {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || id == "" || secret == "" || len(id) > 64 || len(secret) > 256 || strings.Contains(secret, "_") {
		return "", "", false
	}
	return id, secret, true
}

// principal is who makes a request: its token.
type principal struct{ store.Token }

type principalKey struct{}

// principalFrom returns the principal the auth middleware put in ctx.
func principalFrom(ctx context.Context) principal {
	p, _ := ctx.Value(principalKey{}).(principal)
	return p
}

// seesRegion reports whether the token reaches region id at all. Regions it
// does not reach answer 404, exactly like regions that do not exist.
func (p principal) seesRegion(id string) bool {
	switch p.Role {
	case store.RoleAdmin:
		return true
	case store.RoleIntegration:
		return p.Region == "" || p.Region == id
	default:
		return p.Region == id
	}
}

// perm is what an operation requires; the auth middleware checks it before
// the body is read, so a forbidden request never reaches validation.
type perm int

const (
	// permAny: any valid token (lists filtered to what the token sees).
	permAny perm = iota + 1
	// permAdmin: admin only (regions, tokens).
	permAdmin
	// permManage: admin and the region's manager (config, audit, stats, ...).
	permManage
	// permIntake: item intake — admin, manager, integration.
	permIntake
	// permRead: reads of items and decisions — admin, manager, integration.
	permRead
	// permAgentSelf: the agent itself (its presence, next), admin, manager.
	permAgentSelf
	// permOwnItem: an agent's own items (checked by the handler), admin,
	// manager.
	permOwnItem
	// permItemRead: permRead plus agents, limited to their own items.
	permItemRead
)

var permRoles = map[perm][]store.Role{
	permAny:       {store.RoleAdmin, store.RoleManager, store.RoleAgent, store.RoleIntegration},
	permAdmin:     {store.RoleAdmin},
	permManage:    {store.RoleAdmin, store.RoleManager},
	permIntake:    {store.RoleAdmin, store.RoleManager, store.RoleIntegration},
	permRead:      {store.RoleAdmin, store.RoleManager, store.RoleIntegration},
	permAgentSelf: {store.RoleAdmin, store.RoleManager, store.RoleAgent},
	permOwnItem:   {store.RoleAdmin, store.RoleManager, store.RoleAgent},
	permItemRead:  {store.RoleAdmin, store.RoleManager, store.RoleIntegration, store.RoleAgent},
}

func (p perm) allows(r store.Role) bool { return slices.Contains(permRoles[p], r) }

func (p perm) roles() []string {
	out := make([]string, len(permRoles[p]))
	for i, r := range permRoles[p] {
		out[i] = string(r)
	}
	return out
}

// tokenCache keeps looked-up tokens for a few seconds so that a request
// does not read the store for its token. A token revoked through this API
// is dropped at once; one revoked by another process (the CLI) is refused
// within ttl.
type tokenCache struct {
	mu  sync.Mutex
	ttl time.Duration
	m   map[string]cachedToken
}

type cachedToken struct {
	t  store.Token
	at time.Time
}

const maxCachedTokens = 10000

func (c *tokenCache) get(id string, now time.Time) (store.Token, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[id]
	if !ok || now.Sub(e.at) > c.ttl {
		return store.Token{}, false
	}
	return e.t, true
}

func (c *tokenCache) put(t store.Token, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCachedTokens {
		clear(c.m)
	}
	c.m[t.ID] = cachedToken{t: t, at: now}
}

func (c *tokenCache) drop(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, id)
}

// authenticate resolves the Authorization header to a valid token. It
// returns a 401 for a missing, malformed, unknown, revoked or expired token
// (one message for all, so that none is told apart) and a 503 when the
// store cannot be read.
func (a *API) authenticate(ctx context.Context, header string) (principal, huma.StatusError) {
	unauthorized := huma.NewError(http.StatusUnauthorized, "a valid API token is required: send Authorization: Bearer allot_<id>_<secret>")
	raw, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return principal{}, unauthorized
	}
	id, secret, ok := parseToken(strings.TrimSpace(raw))
	if !ok {
		return principal{}, unauthorized
	}
	now := time.Now()
	t, ok := a.tokens.get(id, now)
	if !ok {
		var err error
		t, err = a.n.Store().Token(ctx, id)
		switch allot.ErrorCode(err) {
		case "":
			a.tokens.put(t, now)
		case allot.ENOTFOUND:
			return principal{}, unauthorized
		default:
			a.log.ErrorContext(ctx, "token lookup failed", "token", id, "err", err)
			return principal{}, huma.NewError(http.StatusServiceUnavailable, "cannot check the token now; retry")
		}
	}
	if subtle.ConstantTimeCompare([]byte(hashSecret(secret)), []byte(t.SecretHash)) != 1 {
		return principal{}, unauthorized
	}
	if t.Revoked || (t.ExpiresAt != nil && !now.Before(*t.ExpiresAt)) {
		return principal{}, unauthorized
	}
	return principal{t}, nil
}

// authMiddleware runs before huma reads the request: authentication (401),
// then the region's visibility (404, the same answer as for a region that
// does not exist), then the operation's permission (403). Handlers check
// what depends on the object: an agent's ownership of an item.
func (a *API) authMiddleware(ctx huma.Context, next func(huma.Context)) {
	p, herr := a.authenticate(ctx.Context(), ctx.Header("Authorization"))
	if herr != nil {
		if herr.GetStatus() == http.StatusUnauthorized {
			ctx.SetHeader("WWW-Authenticate", `Bearer realm="allot"`)
		}
		huma.WriteErr(a.api, ctx, herr.GetStatus(), herr.Error())
		return
	}
	if info, ok := ctx.Context().Value(reqInfoKey{}).(*reqInfo); ok {
		info.token = p.ID
	}
	if region := ctx.Param("region"); region != "" {
		if !p.seesRegion(region) || !slices.Contains(a.n.Regions(), region) {
			huma.WriteErr(a.api, ctx, http.StatusNotFound, notFoundRegion(region).Error())
			return
		}
	}
	pm, _ := ctx.Operation().Metadata["perm"].(perm)
	if !pm.allows(p.Role) {
		huma.WriteErr(a.api, ctx, http.StatusForbidden, "this token's role ("+string(p.Role)+") may not do this")
		return
	}
	if p.Role == store.RoleAgent && pm == permAgentSelf && ctx.Param("agent") != p.Agent {
		huma.WriteErr(a.api, ctx, http.StatusForbidden, "an agent token acts only for its own agent")
		return
	}
	next(huma.WithValue(ctx, principalKey{}, p))
}
