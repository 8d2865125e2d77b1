// Package httpapi is allot's REST API: /v1 (described by the OpenAPI 3.1
// document served at /openapi.json and checked in as openapi.json),
// /healthz, /readyz and /metrics.
//
// Handlers are thin: authenticate and authorize, validate the request fully,
// translate it into one node command (or a read), translate the result. A
// request that fails changes nothing: validation happens before anything is
// submitted, and the node commits a command whole or not at all.
//
// Auth: "Authorization: Bearer allot_<id>_<secret>"; tokens are stored
// hashed (NewToken). The auth middleware runs before the body is read: a
// missing or bad token is 401; a region the token does not reach is 404,
// the same answer as a region that does not exist; an action the token's
// role may not take is 403. Roles: admin (everything), manager (its
// region), agent (its own presence and items, next), integration (item
// intake and reads, in its region or all).
//
// Errors are RFC 9457 problem+json. Application errors map to statuses in
// one table (statusOf): EINVALID 422 with one "errors" entry per problem,
// located (body.attributes.score, config.rules[2].queue), ENOTFOUND 404,
// ECONFLICT 409, node.EUNAVAILABLE 503; anything else is a 500 whose cause
// is logged, never shown.
//
// Wiring (cmd/allot): reg := prometheus.NewRegistry(); m := NewMetrics(reg);
// n, err := node.Open(ctx, st, node.Options{Metrics: m});
// h := New(n, Options{Registry: reg, Logger: log, Version: v}).
package httpapi
