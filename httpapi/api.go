package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/allot/allot"
	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/allot/allot/node"
)

// Options configure the API. Every field may be left zero.
type Options struct {
	// Logger receives access logs and internal errors (default
	// slog.Default()).
	Logger *slog.Logger
	// MaxBodyBytes bounds a request body (default 1 MiB); larger bodies are
	// answered 413.
	MaxBodyBytes int64
	// MaxBulkBodyBytes bounds the body of a bulk item create (default 16 MiB).
	MaxBulkBodyBytes int64
	// MaxConfigBodyBytes bounds the body of a whole region config (create,
	// replace, dry run, shadow; default 64 MiB, as a config file): a region
	// of 4,000 rules and 10,000 agents is about 4 MB of JSON.
	MaxConfigBodyBytes int64
	// Registry serves /metrics. Pass the registry given to NewMetrics; nil
	// means a new registry with the Go and process collectors.
	Registry *prometheus.Registry
	// Version is the server's version, shown by /healthz.
	Version string
}

// API is allot's HTTP interface: the REST API under /v1 (described by the
// OpenAPI document at /openapi.json), /healthz, /readyz and /metrics. It is
// an http.Handler, safe for concurrent use.
type API struct {
	n       *node.Node
	opts    Options
	log     *slog.Logger
	mux     *http.ServeMux
	api     huma.API
	tokens  *tokenCache
	today   *todayCounter
	metrics *apiMetrics
	spec    []byte
}

// APIVersion is the version of the API contract (the OpenAPI document's
// info.version); it changes when the contract does, not with every build.
const APIVersion = "1.0.0"

// New builds the API over node n. n may be nil only to produce the OpenAPI
// document (see OpenAPI); such an API answers nothing else usefully.
func New(n *node.Node, opts Options) *API {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = 1 << 20
	}
	if opts.MaxBulkBodyBytes <= 0 {
		opts.MaxBulkBodyBytes = 16 << 20
	}
	if opts.MaxConfigBodyBytes <= 0 {
		opts.MaxConfigBodyBytes = 64 << 20
	}
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
		register(opts.Registry, collectors.NewGoCollector())
		register(opts.Registry, collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	a := &API{n: n, opts: opts, log: opts.Logger, mux: http.NewServeMux(),
		tokens: &tokenCache{ttl: 5 * time.Second, m: map[string]cachedToken{}},
		today:  &todayCounter{m: map[string]*dayCount{}}}
	a.registerMetrics(opts.Registry)

	cfg := huma.DefaultConfig("allot API", APIVersion)
	// JSON answers of item creation encode themselves (fastjson.go).
	cfg.Formats = map[string]huma.Format{}
	for ct, f := range huma.DefaultFormats {
		cfg.Formats[ct] = f
	}
	cfg.Formats["application/json"], cfg.Formats["json"] = jsonFormat, jsonFormat
	cfg.CreateHooks = nil // no $schema links in responses
	cfg.OpenAPIPath, cfg.DocsPath, cfg.SchemasPath = "", "", ""
	cfg.FieldsOptionalByDefault = true
	cfg.Info.Description = apiDescription
	cfg.Components.SecuritySchemes = map[string]*huma.SecurityScheme{
		"bearer": {Type: "http", Scheme: "bearer", BearerFormat: "allot_<id>_<secret>",
			Description: "An API token. Roles: admin (everything), manager (its region), agent (its own presence and items), integration (item intake and reads)."},
	}
	cfg.Security = []map[string][]string{{"bearer": {}}}
	// An explanation's candidates and scoring rules are compact tables in
	// memory and lists on the wire (allot.Candidates and allot.RuleList
	// marshal so).
	cfg.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[allot.Candidates](), reflect.TypeFor[[]allot.Candidate]())
	cfg.Components.Schemas.RegisterTypeAlias(reflect.TypeFor[allot.RuleList](), reflect.TypeFor[[]string]())
	a.api = humago.New(a.mux, cfg)
	a.api.UseMiddleware(a.authMiddleware)

	a.routeRegions()
	a.routeConfigVersions()
	a.routeShadow()
	a.routeAgents()
	a.routeQueues()
	registerRuleOps(a, routingRules)
	registerRuleOps(a, scoringRules)
	a.routeItems()
	a.routeReads()
	a.routeTokens()
	documentSchemas(a.api.OpenAPI())

	spec, err := json.MarshalIndent(a.api.OpenAPI(), "", "  ")
	if err != nil {
		panic(fmt.Sprintf("httpapi: marshal the OpenAPI document: %v", err))
	}
	a.spec = append(spec, '\n')

	a.mux.HandleFunc("GET /openapi.json", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(a.spec)
	})
	a.mux.HandleFunc("GET /healthz", a.healthz)
	a.mux.HandleFunc("GET /readyz", a.readyz)
	a.mux.HandleFunc("/", a.unmatched)
	a.mux.Handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry}))
	return a
}

const apiDescription = `allot routes work items (leads, cases, ...) to agents.

Every request under /v1 needs "Authorization: Bearer <token>". A region the
token does not reach answers 404, exactly like a region that does not exist;
an action the token's role may not take inside its region answers 403.

Errors are RFC 9457 problem+json: "status", "title", "detail" and, for 422,
"errors" with one entry per problem ("location" such as
"body.attributes.score" or "config.rules[2].queue", and "message"). A failed
request changes nothing. Timestamps are RFC 3339 in UTC. Lists answer
{"items": [...], "next_cursor": "..."}; pass next_cursor as "cursor" for the
next page ("" means the last page).`

// OpenAPI returns the OpenAPI 3.1 document served at /openapi.json.
func (a *API) OpenAPI() ([]byte, error) { return a.spec, nil }

// reqInfo is filled while a request is served, for the access log.
type reqInfo struct {
	token string

	// leases hold the memory of the explanations the answer carries
	// (node.Result.Release); ServeHTTP releases them once the handler has
	// written the answer. Handlers of bulk requests add from several
	// goroutines.
	mu     sync.Mutex
	leases []node.Lease
}

// hold keeps the memory of res's decisions' explanations from being reused
// until the answer is written (ServeHTTP releases it then). A request not
// served through ServeHTTP never releases: its result is left to the
// garbage collector, which is always safe.
func hold(ctx context.Context, res node.Result) {
	l := res.Lease()
	info, _ := ctx.Value(reqInfoKey{}).(*reqInfo)
	if info == nil || l == (node.Lease{}) {
		return
	}
	info.mu.Lock()
	info.leases = append(info.leases, l)
	info.mu.Unlock()
}

// release releases what hold kept; the handler has returned.
func (info *reqInfo) release() {
	info.mu.Lock()
	ls := info.leases
	info.leases = nil
	info.mu.Unlock()
	for _, l := range ls {
		l.Release()
	}
}

type reqInfoKey struct{}

type statusRecorder struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (s *statusRecorder) WriteHeader(code int) {
	if !s.wrote {
		s.status, s.wrote = code, true
	}
	if code == http.StatusNoContent || code == http.StatusNotModified {
		// No content, so no content type (huma sets one for every answer).
		s.ResponseWriter.Header().Del("Content-Type")
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(b []byte) (int, error) {
	if !s.wrote {
		s.status, s.wrote = http.StatusOK, true
	}
	return s.ResponseWriter.Write(b)
}

func (s *statusRecorder) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// ServeHTTP serves a request, logs it (method, path, status, duration,
// token id) and turns a panic into a 500 problem.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	info := &reqInfo{}
	r = r.WithContext(context.WithValue(r.Context(), reqInfoKey{}, info))
	defer func() {
		// The handler has returned: its answer is written (or abandoned).
		info.release()
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			a.log.Error("panic serving a request", "method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
			if !rec.wrote {
				writeProblem(rec, http.StatusInternalServerError, "internal error; the server log has the details")
			}
			rec.status = http.StatusInternalServerError
		}
		d := time.Since(start)
		route := r.Pattern
		if route == "" {
			route = "unmatched"
		}
		a.metrics.requests.WithLabelValues(route, r.Method, fmt.Sprint(rec.status)).Inc()
		a.metrics.duration.WithLabelValues(route).Observe(d.Seconds())
		a.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", rec.status),
			slog.Duration("duration", d), slog.String("token", info.token))
	}()
	a.mux.ServeHTTP(rec, r)
}

// writeProblem writes a problem+json body outside huma (health checks,
// panics).
func writeProblem(w http.ResponseWriter, status int, detail string) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(&huma.ErrorModel{Status: status, Title: http.StatusText(status), Detail: detail})
}

// unmatched answers requests no route takes: 405 (with Allow) when the
// path exists for other methods, else 404; both as problem+json.
func (a *API) unmatched(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		r2 := r.Clone(r.Context())
		r2.Method = m
		if _, p := a.mux.Handler(r2); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		writeProblem(w, http.StatusMethodNotAllowed, r.Method+" is not allowed here; allowed: "+strings.Join(allow, ", "))
		return
	}
	writeProblem(w, http.StatusNotFound, "no such endpoint; the API is described at /openapi.json")
}

// healthz answers while the process is up.
func (a *API) healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": a.opts.Version})
}

// readyz answers 200 when the store answers and the node serves its
// regions, else 503.
func (a *API) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
	defer cancel()
	if a.n == nil {
		writeProblem(w, http.StatusServiceUnavailable, "no node")
		return
	}
	if _, _, err := a.n.Store().Head(ctx, ""); err != nil {
		a.log.Error("readyz: store unreachable", "err", err)
		writeProblem(w, http.StatusServiceUnavailable, "the store does not answer")
		return
	}
	if !a.n.Ready() {
		writeProblem(w, http.StatusServiceUnavailable, "the server is shutting down")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	io.WriteString(w, `{"status":"ready"}`+"\n")
}

// opSpec describes one operation.
type opSpec struct {
	id, method, path, summary, desc string
	tags                            []string
	perm                            perm
	status                          int   // default status (200 unless set)
	maxBody                         int64 // 0: Options.MaxBodyBytes
	errors                          []int // documented error statuses beyond the common ones
}

// op builds a huma.Operation with the common error responses documented
// and the required roles recorded (Metadata "perm", x-allot-roles).
func (a *API) op(s opSpec) huma.Operation {
	errs := []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusServiceUnavailable}
	errs = append(errs, s.errors...)
	maxBody := s.maxBody
	if maxBody == 0 {
		maxBody = a.opts.MaxBodyBytes
	}
	return huma.Operation{
		OperationID:   s.id,
		Method:        s.method,
		Path:          s.path,
		Summary:       s.summary,
		Description:   s.desc + "\n\nRoles: " + joinRoles(s.perm) + ".",
		Tags:          s.tags,
		DefaultStatus: s.status,
		MaxBodyBytes:  maxBody,
		Errors:        errs,
		Metadata:      map[string]any{"perm": s.perm},
		Extensions:    map[string]any{"x-allot-roles": s.perm.roles()},
	}
}

func joinRoles(p perm) string {
	rs := p.roles()
	out := ""
	for i, r := range rs {
		if i > 0 {
			out += ", "
		}
		out += r
	}
	switch p {
	case permAgentSelf:
		out += " (an agent token only for its own agent)"
	case permOwnItem, permItemRead:
		out += " (an agent token only for items it owns)"
	}
	return out
}

// bodyErrors are the statuses of operations that read a body.
var bodyErrors = []int{http.StatusBadRequest, http.StatusRequestEntityTooLarge, http.StatusUnprocessableEntity}
