package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only on $ALLOT_PPROF_ADDR
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/allot/allot/configfile"
	"github.com/allot/allot/httpapi"
	"github.com/allot/allot/node"
	"github.com/allot/allot/store"
	"github.com/allot/allot/store/sqlite"
)

const usage = `allot — a self-hosted assignment engine for leads, cases and any work item.

Usage:
  allot serve [--addr 127.0.0.1:8080] [--db ./allot.db] [--config file.yaml]
                                                             start the server
  allot token create --role admin [--db ./allot.db]          print a new API token
  allot audit verify [--db ./allot.db] [--json]              check the audit log
  allot bench --url URL --token TOKEN --items N --concurrency C [--bulk K] [--json]
                                                             load-test a running server
  allot simulate SCENARIO.yaml [--config a.yaml ...] [--seed N] [--json] [--report out.html]
  allot validate -f config.yaml                              check a config offline (+ lint warnings)
  allot lint -f config.yaml                                  find shadowed rules, unservable queues, ...
  allot test -f config.yaml                                  run the config's rule tests offline
  allot export --region R [-o file]                          a region's live config as YAML
  allot apply -f config.yaml [--yes] [--create]              show the diff, then apply per region
  allot config history --region R                           a region's config versions
  allot config rollback VERSION --region R                   re-apply an earlier version
  allot explain --item item.json (-f config.yaml | --region R)
                                                             which rule, queue, tier, candidates and why
  allot import agents.csv|items.csv --region R [--map col=field,...]
                                                             bulk-load agents or items from CSV
  allot help                                                 this text

Settings come from flags, then ALLOT_* environment variables (ALLOT_ADDR,
ALLOT_DB, ALLOT_LOG_FORMAT, ALLOT_TOKEN, ALLOT_URL), then defaults.
Run "allot COMMAND --help" for a command's flags.
`

// run is main without the process: it parses args, runs the subcommand and
// returns the exit code (0 ok, 1 failure, 2 usage).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	case "serve":
		return serve(ctx, args[1:], stdout, stderr)
	case "token":
		return tokenCmd(ctx, args[1:], stdout, stderr)
	case "audit":
		return auditCmd(ctx, args[1:], stdout, stderr)
	case "bench":
		return bench(ctx, args[1:], stdout, stderr)
	case "simulate":
		return simulate(ctx, args[1:], stdout, stderr)
	case "validate":
		return validateCmd(args[1:], stdout, stderr)
	case "lint":
		return lintCmd(args[1:], stdout, stderr)
	case "test":
		return testCmd(args[1:], stdout, stderr)
	case "export":
		return exportCmd(ctx, args[1:], stdout, stderr)
	case "apply":
		return applyCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	case "config":
		return configCmd(ctx, args[1:], os.Stdin, stdout, stderr)
	case "explain":
		return explainCmd(ctx, args[1:], stdout, stderr)
	case "import":
		return importCmd(ctx, args[1:], stdout, stderr)
	default:
		fmt.Fprintf(stderr, "allot: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// parse parses a command's flags; it returns -1 to go on, else an exit code.
func parse(fs *flag.FlagSet, args []string) int {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "allot %s: unexpected argument %q\n", fs.Name(), fs.Arg(0))
		return 2
	}
	return -1
}

func newLogger(w io.Writer, format string) (*slog.Logger, error) {
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, nil)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, nil)), nil
	}
	return nil, fmt.Errorf("--log-format: want text or json, got %q", format)
}

// serveGOGC is the server's default GOGC. Most of what a request allocates
// is garbage the moment it is answered (its body, its JSON, the store's
// statement arguments), while the live heap (the regions' engines, open
// items) changes slowly, so collecting less often costs memory in
// proportion to the live heap and saves CPU on every request: 300 instead
// of 100 took ~10 % off the server's CPU per single-item request in
// docs/performance.md's runs, for ~90 MB more resident memory there.
const serveGOGC = 300

// parseGOGC reads a GOGC value: a percentage (1–100000) or "off" (-1).
func parseGOGC(s string) (int, error) {
	if strings.EqualFold(s, "off") {
		return -1, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 100000 {
		return 0, fmt.Errorf("want a percentage from 1 to 100000 or off, got %q", s)
	}
	return n, nil
}

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", envOr("ALLOT_ADDR", "127.0.0.1:8080"), "address to listen on ($ALLOT_ADDR)")
	db := fs.String("db", envOr("ALLOT_DB", "./allot.db"), "database file, embedded SQLite ($ALLOT_DB); created when missing")
	logFormat := fs.String("log-format", envOr("ALLOT_LOG_FORMAT", "text"), "log format: text or json ($ALLOT_LOG_FORMAT)")
	drain := fs.Duration("shutdown-timeout", 30*time.Second, "on SIGTERM, how long in-flight requests may take to finish")
	configPath := fs.String("config", envOr("ALLOT_CONFIG", ""), "a config file (YAML) to apply on start: its regions are created or updated, as actor config-file ($ALLOT_CONFIG)")
	gogc := fs.String("gogc", envOr("GOGC", fmt.Sprint(serveGOGC)), "the garbage collector's heap growth target in percent, or off ($GOGC); the server's default trades memory for CPU, Go's own is 100; $GOMEMLIMIT caps the heap as usual")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	logBuf := newLogBuffer(stderr)
	defer logBuf.Close()
	stderr = logBuf.Direct()
	log, err := newLogger(logBuf, *logFormat)
	if err != nil {
		fmt.Fprintln(stderr, "allot serve:", err)
		return 2
	}
	log = slog.New(logHandler{log.Handler(), logBuf})
	gcPercent, err := parseGOGC(*gogc)
	if err != nil {
		fmt.Fprintln(stderr, "allot serve: --gogc:", err)
		return 2
	}
	debug.SetGCPercent(gcPercent)
	var cfgFile *configfile.File
	if *configPath != "" {
		// Checked before the database is touched: a bad file stops the start.
		f, ok := loadChecked(*configPath, stderr)
		if !ok {
			fmt.Fprintln(stderr, "allot serve: --config: the config is invalid; not started")
			return 2
		}
		res := f.RunTests()
		if slices.ContainsFunc(res, func(r configfile.TestResult) bool { return !r.Pass }) {
			reportTests(f, res, false, false, stderr)
			fmt.Fprintln(stderr, "allot serve: --config: the config's tests fail; not started")
			return 2
		}
		cfgFile = f
	}
	st, err := sqlite.Open(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "allot serve: --db %s: %v\n", *db, err)
		return 1
	}
	defer st.Close()
	reg := prometheus.NewRegistry()
	metrics := httpapi.NewMetrics(reg)
	nopts := node.Options{Logger: log, Metrics: metrics}
	if spec := os.Getenv("ALLOT_TEST_CLOCK"); spec != "" {
		c, err := parseTestClock(spec)
		if err != nil {
			fmt.Fprintln(stderr, "allot serve: ALLOT_TEST_CLOCK:", err)
			return 2
		}
		nopts.Clock, nopts.TimeScale = c, c.scale
		log.Warn("running on a test clock", "epoch", c.epoch, "scale", c.scale)
	}
	n, err := node.Open(ctx, st, nopts)
	if err != nil {
		fmt.Fprintln(stderr, "allot serve:", err)
		return 1
	}
	if cfgFile != nil {
		if err := applyConfigFile(ctx, n, cfgFile, log); err != nil {
			n.Close()
			printProblems(stderr, err)
			fmt.Fprintln(stderr, "allot serve: --config: not started")
			return 2
		}
	}
	api := httpapi.New(n, httpapi.Options{Logger: log, Registry: reg, Version: version})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		n.Close()
		fmt.Fprintf(stderr, "allot serve: --addr: %v\n", err)
		return 1
	}
	srv := &http.Server{Handler: api, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	log.Info("allot serving", "addr", ln.Addr().String(), "db", *db, "regions", len(n.Regions()))
	if toks, err := st.Tokens(ctx); err == nil && len(toks) == 0 {
		log.Warn("no API token exists yet: create the first admin token with `allot token create --role admin --db " + *db + "`")
	}
	if dbg := os.Getenv("ALLOT_PPROF_ADDR"); dbg != "" {
		// Go's profiler on a separate, loopback-only listener, for diagnosing
		// performance; never on the API address.
		go func() {
			log.Info("pprof listening", "addr", dbg)
			if err := http.ListenAndServe(dbg, http.DefaultServeMux); err != nil {
				log.Error("pprof", "err", err)
			}
		}()
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		n.Close()
		fmt.Fprintf(stderr, "allot serve: %v\n", err)
		return 1
	case <-ctx.Done():
	}
	log.Info("shutting down: draining in-flight requests", "timeout", drain.String())
	shutdownCtx, cancel := context.WithTimeout(context.Background(), *drain)
	defer cancel()
	err = srv.Shutdown(shutdownCtx)
	n.Close() // after the handlers: their commands are committed and answered
	if err != nil {
		fmt.Fprintf(stderr, "allot serve: shutdown: %v\n", err)
		return 1
	}
	log.Info("allot stopped")
	return 0
}

const version = "0.1.0-dev"

func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		fmt.Fprint(stderr, "usage: allot token create --role admin|manager|agent|integration [--region R] [--agent A] [--name N] [--expires 720h] [--db ./allot.db]\n")
		return 2
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	role := fs.String("role", "", "admin, manager, agent or integration (required)")
	region := fs.String("region", "", "the region a manager, agent or integration token is limited to")
	agent := fs.String("agent", "", "the agent an agent token acts as")
	name := fs.String("name", "", "a label for the token")
	expires := fs.Duration("expires", 0, "lifetime, e.g. 720h (0: never expires)")
	db := fs.String("db", envOr("ALLOT_DB", "./allot.db"), "database file ($ALLOT_DB)")
	if code := parse(fs, args[1:]); code >= 0 {
		return code
	}
	var bad []string
	r := store.Role(*role)
	switch r {
	case store.RoleAdmin, store.RoleIntegration:
	case store.RoleManager:
		if *region == "" {
			bad = append(bad, "--region: required for a manager token")
		}
	case store.RoleAgent:
		if *region == "" || *agent == "" {
			bad = append(bad, "--region and --agent: required for an agent token")
		}
	default:
		bad = append(bad, fmt.Sprintf("--role: want admin, manager, agent or integration, got %q", *role))
	}
	if r == store.RoleAdmin && (*region != "" || *agent != "") {
		bad = append(bad, "--region/--agent: an admin token reaches every region; do not set them")
	}
	if *expires < 0 {
		bad = append(bad, "--expires: must not be negative")
	}
	if len(bad) > 0 {
		for _, b := range bad {
			fmt.Fprintln(stderr, "allot token create:", b)
		}
		return 2
	}
	var exp *time.Time
	if *expires > 0 {
		t := time.Now().Add(*expires).UTC()
		exp = &t
	}
	st, err := sqlite.Open(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "allot token create: --db %s: %v\n", *db, err)
		return 1
	}
	defer st.Close()
	plain, t := httpapi.NewToken(r, *region, *agent, *name, exp)
	if err := node.AppendToken(ctx, st, "cli", "token_created", t); err != nil {
		fmt.Fprintln(stderr, "allot token create:", err)
		return 1
	}
	fmt.Fprintln(stdout, plain)
	return 0
}

func auditCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "verify" {
		fmt.Fprint(stderr, "usage: allot audit verify [--db ./allot.db] [--json]\n")
		return 2
	}
	fs := flag.NewFlagSet("audit verify", flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", envOr("ALLOT_DB", "./allot.db"), "database file ($ALLOT_DB)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	if code := parse(fs, args[1:]); code >= 0 {
		return code
	}
	if _, err := os.Stat(*db); err != nil {
		fmt.Fprintf(stderr, "allot audit verify: --db: %v\n", err)
		return 1
	}
	st, err := sqlite.Open(ctx, *db)
	if err != nil {
		fmt.Fprintf(stderr, "allot audit verify: --db %s: %v\n", *db, err)
		return 1
	}
	defer st.Close()
	rep, err := node.Verify(ctx, st)
	if err != nil {
		fmt.Fprintln(stderr, "allot audit verify:", err)
		return 1
	}
	if *asJSON {
		json.NewEncoder(stdout).Encode(rep)
	} else {
		fmt.Fprintf(stdout, "global chain: %d entries\n", rep.Global.Entries)
		for _, r := range rep.Regions {
			fmt.Fprintf(stdout, "region %s: %d entries, %d decisions, %d open items, %d active assignments\n",
				r.Region, r.Chain.Entries, r.Decisions, r.OpenItems, r.Assignments)
		}
		if len(rep.Problems) == 0 {
			fmt.Fprintln(stdout, "ok: every chain links and every region replays to the stored state")
		} else {
			fmt.Fprintf(stdout, "%d problems:\n  %s\n", len(rep.Problems), strings.Join(rep.Problems, "\n  "))
		}
	}
	if len(rep.Problems) > 0 {
		return 1
	}
	return 0
}

// testClock runs time faster than the wall clock, for real-process tests of
// timers: Now = epoch + (wall − epoch) · scale. It is a pure function of the
// wall clock, so restarted processes agree on it.
type testClock struct {
	epoch time.Time
	scale float64
}

func (c testClock) Now() time.Time {
	return c.epoch.Add(time.Duration(float64(time.Since(c.epoch)) * c.scale)).UTC()
}

// parseTestClock parses ALLOT_TEST_CLOCK: "<epoch unix nanoseconds>,<scale>".
func parseTestClock(spec string) (testClock, error) {
	e, sc, ok := strings.Cut(spec, ",")
	var ns int64
	var scale float64
	if _, err := fmt.Sscan(e, &ns); !ok || err != nil {
		return testClock{}, fmt.Errorf("want <epoch unix nanoseconds>,<scale>, got %q", spec)
	}
	if _, err := fmt.Sscan(sc, &scale); err != nil || scale <= 0 || scale > 1e6 {
		return testClock{}, fmt.Errorf("scale must be a number in (0, 1e6], got %q", sc)
	}
	return testClock{epoch: time.Unix(0, ns), scale: scale}, nil
}
