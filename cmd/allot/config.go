package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/configfile"
	"github.com/allot/allot/node"
)

// The config-as-code commands: validate, lint, test (offline) and export,
// apply, config history, config rollback (against a server's API, with a
// manager token for one region or an admin token).

const configUsage = `Config as code (see docs/config.md):
  allot validate -f config.yaml [--json] [--no-lint]
        check a config offline as the server would: every problem as
        file:line:col: path: message; lint findings as warnings.
        Exit 0 valid, 1 invalid, 2 bad usage.
  allot lint -f config.yaml [--json]
        shadowed and duplicate rules, rules targeting empty queues or
        queues no member can serve, queues nothing routes to.
        Exit 0 clean, 1 findings or an invalid config.
  allot test -f config.yaml [--json] [-v]
        run the config's tests: (item → expected queue, rule, tier, score,
        skills) against a throwaway engine. Exit 0 all pass, 1 otherwise.
  allot export --region R [-o file] [--url URL] [--token T]
        write a region's live config as canonical YAML.
  allot apply -f config.yaml [--yes] [--create] [--url URL] [--token T]
        validate and test the file, show what changes per region (agents,
        queues, rules ... added, removed, changed), then replace each
        changed region's config; each region's change is atomic and is a
        new version. Asks first on a terminal unless --yes.
  allot config history --region R [--url URL] [--token T] [--json]
        list a region's config versions: seq, time, actor.
  allot config rollback VERSION --region R [--yes] [--url URL] [--token T]
        apply an earlier version's config again, as a new version.
  allot config shadow start|promote|stop ... / allot config shadow-report ...
        run a candidate config beside a region's live one and compare
        (allot config shadow help).

--url defaults to $ALLOT_URL or http://127.0.0.1:8080; --token to $ALLOT_TOKEN.
`

// parseArgs parses flags that may come before or after positional
// arguments; it returns the positionals, or an exit code ≥ 0 to stop with.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer) ([]string, int) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return nil, 0
			}
			return nil, 2
		}
		if fs.NArg() == 0 {
			return pos, -1
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func newConfigFlags(name, usage string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: %s\n\n%s\nFlags:\n", usage, configUsage)
		fs.PrintDefaults()
	}
	return fs
}

// loadChecked loads a config file and prints its problems; ok is false
// when the file cannot be used.
func loadChecked(path string, stderr io.Writer) (*configfile.File, bool) {
	f, err := configfile.LoadFile(path)
	if err != nil {
		printProblems(stderr, err)
		return nil, false
	}
	return f, true
}

func printProblems(w io.Writer, err error) {
	var ce *configfile.Error
	if errors.As(err, &ce) {
		for _, p := range ce.Problems {
			fmt.Fprintln(w, p.String())
		}
		return
	}
	fmt.Fprintln(w, err)
}

func validateCmd(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("validate", "allot validate -f config.yaml [--json] [--no-lint]", stderr)
	file := fs.String("f", "", "the config file (required)")
	asJSON := fs.Bool("json", false, `print {"valid", "problems": [{file, line, column, path, message, warning}]}`)
	noLint := fs.Bool("no-lint", false, "skip the lint warnings")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "allot validate: -f: required (the config file)")
		return 2
	}
	f, err := configfile.LoadFile(*file)
	var ps []configfile.Problem
	var ce *configfile.Error
	switch {
	case errors.As(err, &ce):
		ps = ce.Problems
	case err != nil:
		fmt.Fprintln(stderr, "allot validate:", err)
		return 1
	case !*noLint:
		ps = f.Lint()
	}
	if *asJSON {
		if ps == nil {
			ps = []configfile.Problem{}
		}
		writeJSON(stdout, map[string]any{"valid": ce == nil, "problems": ps})
	} else {
		for _, p := range ps {
			fmt.Fprintln(stdout, p.String())
		}
		if ce == nil {
			fmt.Fprintf(stdout, "%s: valid: %s\n", *file, summary(f))
		}
	}
	if ce != nil {
		return 1
	}
	return 0
}

func summary(f *configfile.File) string {
	var q, a, r int
	for _, rg := range f.Regions {
		q += len(rg.Queues)
		a += len(rg.Agents)
		r += len(rg.Rules)
	}
	return fmt.Sprintf("%d region%s, %d queues, %d agents, %d rules, %d tests", len(f.Regions), plural(len(f.Regions)), q, a, r, len(f.Tests))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func writeJSON(w io.Writer, v any) {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(v)
}

func lintCmd(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("lint", "allot lint -f config.yaml [--json]", stderr)
	file := fs.String("f", "", "the config file (required)")
	asJSON := fs.Bool("json", false, "print the findings as a JSON list")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "allot lint: -f: required (the config file)")
		return 2
	}
	f, ok := loadChecked(*file, stderr)
	if !ok {
		return 1
	}
	ps := f.Lint()
	if *asJSON {
		if ps == nil {
			ps = []configfile.Problem{}
		}
		writeJSON(stdout, ps)
	} else {
		for _, p := range ps {
			fmt.Fprintln(stdout, p.String())
		}
		fmt.Fprintf(stdout, "%d finding%s\n", len(ps), plural(len(ps)))
	}
	if len(ps) > 0 {
		return 1
	}
	return 0
}

func testCmd(args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("test", "allot test -f config.yaml [--json] [-v]", stderr)
	file := fs.String("f", "", "the config file (required)")
	asJSON := fs.Bool("json", false, "print the results as a JSON list")
	verbose := fs.Bool("v", false, "also list the tests that pass")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "allot test: -f: required (the config file)")
		return 2
	}
	f, ok := loadChecked(*file, stderr)
	if !ok {
		return 1
	}
	res := f.RunTests()
	failed := reportTests(f, res, *asJSON, *verbose, stdout)
	if failed > 0 {
		return 1
	}
	return 0
}

// reportTests prints test results and returns the number failed.
func reportTests(f *configfile.File, res []configfile.TestResult, asJSON, verbose bool, w io.Writer) int {
	failed := 0
	for _, r := range res {
		if !r.Pass {
			failed++
		}
	}
	if asJSON {
		if res == nil {
			res = []configfile.TestResult{}
		}
		writeJSON(w, res)
		return failed
	}
	for _, r := range res {
		if r.Pass {
			if verbose {
				fmt.Fprintf(w, "ok   %s (queue %s, rule %s, tier %s)\n", r.Name, r.Got.Queue, r.Got.Rule, r.Got.Tier)
			}
			continue
		}
		loc := f.Locate(allot.Problems{{Path: r.Path}}, false)[0]
		fmt.Fprintf(w, "FAIL %s (%s:%d)\n", r.Name, loc.File, loc.Line)
		for _, m := range r.Failures {
			fmt.Fprintf(w, "     %s\n", m)
		}
	}
	fmt.Fprintf(w, "%d test%s, %d passed, %d failed\n", len(res), plural(len(res)), len(res)-failed, failed)
	return failed
}

// remote is a client of a server's API.
type remote struct {
	base, token string
	hc          *http.Client
}

// apiError is a problem+json answer.
type apiError struct {
	Status int             `json:"status"`
	Title  string          `json:"title"`
	Detail string          `json:"detail"`
	Errors []serverProblem `json:"errors"`
}

// serverProblem is one problem in a server's answer: where in the request
// (body.agents[3].presence) and what.
type serverProblem struct {
	Location string `json:"location"`
	Message  string `json:"message"`
}

func (e *apiError) Error() string {
	msg := e.Detail
	if msg == "" {
		msg = e.Title
	}
	s := fmt.Sprintf("%d %s", e.Status, msg)
	for _, d := range e.Errors {
		s += fmt.Sprintf("\n  %s: %s", d.Location, d.Message)
	}
	return s
}

func remoteFlags(fs *flag.FlagSet) (*string, *string) {
	u := fs.String("url", envOr("ALLOT_URL", "http://127.0.0.1:8080"), "server base URL ($ALLOT_URL)")
	t := fs.String("token", envOr("ALLOT_TOKEN", ""), "API token: admin, or the region's manager ($ALLOT_TOKEN)")
	return u, t
}

func newRemote(base, token string) *remote {
	return &remote{base: strings.TrimRight(base, "/"), token: token, hc: &http.Client{Timeout: 2 * time.Minute}}
}

// call sends a request and decodes a 2xx answer into out (nil: ignore).
// Other answers are *apiError.
func (c *remote) call(ctx context.Context, method, path string, body, out any) error {
	_, err := c.callHeader(ctx, method, path, body, out)
	return err
}

// callHeader is call returning the answer's headers too.
func (c *remote) callHeader(ctx context.Context, method, path string, body, out any) (http.Header, error) {
	return c.callWith(ctx, method, path, nil, body, out)
}

// callWith is callHeader sending the request headers hdr too.
func (c *remote) callWith(ctx context.Context, method, path string, hdr http.Header, body, out any) (http.Header, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 != 2 {
		e := &apiError{Status: resp.StatusCode}
		if json.Unmarshal(b, e) != nil || e.Status == 0 {
			e.Status, e.Detail = resp.StatusCode, strings.TrimSpace(string(b))
		}
		return resp.Header, e
	}
	if out != nil {
		return resp.Header, json.Unmarshal(b, out)
	}
	return resp.Header, nil
}

func regionPath(id string) string { return "/v1/regions/" + url.PathEscape(id) }

func (c *remote) region(ctx context.Context, id string) (allot.Region, error) {
	r, _, err := c.regionVersion(ctx, id)
	return r, err
}

// regionVersion returns a region's config and its version (0 when the
// server does not say).
func (c *remote) regionVersion(ctx context.Context, id string) (allot.Region, uint64, error) {
	var r allot.Region
	hdr, err := c.callHeader(ctx, "GET", regionPath(id), nil, &r)
	if err != nil {
		return r, 0, err
	}
	return r, etagVersion(hdr), nil
}

// etagVersion reads the config version of an answer's ETag, 0 if none.
func etagVersion(hdr http.Header) uint64 {
	v, err := strconv.ParseUint(strings.Trim(strings.TrimPrefix(hdr.Get("ETag"), "W/"), `"`), 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// replaceConfig replaces a region's config with r, based on version base
// (If-Match; 0: unconditionally), and returns the version it made (0 when
// the server does not say). A config changed since base fails with 409.
func (c *remote) replaceConfig(ctx context.Context, id string, r allot.Region, base uint64) (uint64, error) {
	// The answer's body would be the whole config again (megabytes for a
	// large region): only its version (ETag) is wanted.
	hdr := http.Header{"Prefer": {"return=minimal"}}
	if base > 0 {
		hdr.Set("If-Match", strconv.Quote(strconv.FormatUint(base, 10)))
	}
	ans, err := c.callWith(ctx, "PUT", regionPath(id)+"/config", hdr, r, nil)
	if err != nil {
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusConflict && base > 0 {
			return 0, fmt.Errorf("the region's config changed since it was read (version %d): run the command again to see and apply the new difference: %w", base, err)
		}
		return 0, err
	}
	return etagVersion(ans), nil
}

type configVersion struct {
	Seq    uint64       `json:"seq"`
	At     time.Time    `json:"at"`
	Actor  string       `json:"actor"`
	Config allot.Region `json:"config"`
}

// versions lists a region's config versions (every page).
func (c *remote) versions(ctx context.Context, id string) ([]configVersion, error) {
	var all []configVersion
	cursor := ""
	for {
		var page struct {
			Items      []configVersion `json:"items"`
			NextCursor string          `json:"next_cursor"`
		}
		q := "?limit=1000"
		if cursor != "" {
			q += "&cursor=" + url.QueryEscape(cursor)
		}
		if err := c.call(ctx, "GET", regionPath(id)+"/config/versions"+q, nil, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Items...)
		if page.NextCursor == "" {
			return all, nil
		}
		cursor = page.NextCursor
	}
}

// latestVersion returns the newest config version of a region (0 if none).
func (c *remote) latestVersion(ctx context.Context, id string) (uint64, error) {
	vs, err := c.versions(ctx, id)
	if err != nil || len(vs) == 0 {
		return 0, err
	}
	return vs[len(vs)-1].Seq, nil
}

func needToken(cmd, token string, stderr io.Writer) bool {
	if token == "" {
		fmt.Fprintf(stderr, "allot %s: --token: required (or $ALLOT_TOKEN): an admin token or the region's manager token\n", cmd)
		return false
	}
	return true
}

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("export", "allot export --region R [-o file] [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region to export (required)")
	out := fs.String("o", "", "write to this file (default stdout)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot export: --region: required")
		return 2
	}
	if !needToken("export", *token, stderr) {
		return 2
	}
	r, err := newRemote(*base, *token).region(ctx, *region)
	if err != nil {
		fmt.Fprintf(stderr, "allot export: region %s: %v\n", *region, err)
		return 1
	}
	b, err := configfile.Encode(allot.Config{Regions: []allot.Region{r}})
	if err != nil {
		fmt.Fprintln(stderr, "allot export:", err)
		return 1
	}
	b = append([]byte("# yaml-language-server: $schema="+configfile.SchemaID+"\n# Exported from "+*base+" region "+*region+".\n"), b...)
	if *out == "" {
		stdout.Write(b)
		return 0
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(stderr, "allot export: -o:", err)
		return 1
	}
	return 0
}

// plan is one region's part of an apply.
type plan struct {
	index  int // in the file
	want   allot.Region
	create bool
	diff   configfile.RegionDiff
	// version is the live config's version the diff was made against: the
	// replacement is conditional on it (If-Match), so a change made by
	// someone else in between is never silently overwritten.
	version uint64
}

func applyCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newConfigFlags("apply", "allot apply -f config.yaml [--yes] [--create] [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	file := fs.String("f", "", "the config file (required)")
	yes := fs.Bool("yes", false, "apply without asking (asked only on a terminal)")
	create := fs.Bool("create", false, "create the file's regions that do not exist (admin token)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "allot apply: -f: required (the config file)")
		return 2
	}
	if !needToken("apply", *token, stderr) {
		return 2
	}
	f, ok := loadChecked(*file, stderr)
	if !ok {
		fmt.Fprintln(stderr, "allot apply: the config is invalid; nothing applied")
		return 1
	}
	if res := f.RunTests(); len(res) > 0 {
		if failed := reportTests(f, res, false, false, stderr); failed > 0 {
			fmt.Fprintln(stderr, "allot apply: the config's tests fail; nothing applied")
			return 1
		}
	}
	c := newRemote(*base, *token)
	// Read everything first: a region the token cannot reach fails the
	// whole apply before anything changes.
	var plans []plan
	failed := false
	for i, r := range f.Regions {
		p := plan{index: i, want: r}
		live, version, err := c.regionVersion(ctx, r.ID)
		p.version = version
		var ae *apiError
		switch {
		case errors.As(err, &ae) && ae.Status == http.StatusNotFound && *create:
			p.create = true
			p.diff = configfile.Diff(allot.Region{ID: r.ID}, r)
		case err != nil:
			fmt.Fprintf(stderr, "allot apply: region %s: %v\n", r.ID, err)
			failed = true
			continue
		default:
			p.diff = configfile.Diff(live, r)
		}
		plans = append(plans, p)
	}
	// The server's own dry run of each changed region, before any region
	// changes, when several are to change: a region the server refuses
	// then stops the apply before the others change. One region alone
	// needs none: its replacement is checked and made atomically.
	changing := 0
	for _, p := range plans {
		if p.create || !p.diff.Empty() {
			changing++
		}
	}
	readFailed := failed
	for _, p := range plans {
		if readFailed || changing < 2 || p.create || p.diff.Empty() {
			continue
		}
		var vr struct {
			Valid    bool            `json:"valid"`
			Problems []serverProblem `json:"problems"`
		}
		if err := c.call(ctx, "POST", regionPath(p.want.ID)+"/config/validate", p.want, &vr); err != nil {
			fmt.Fprintf(stderr, "allot apply: region %s: %v\n", p.want.ID, err)
			failed = true
			continue
		}
		if !vr.Valid {
			printServerProblems(stderr, f, p.index, vr.Problems)
			failed = true
		}
	}
	if failed {
		fmt.Fprintln(stderr, "allot apply: nothing applied")
		return 1
	}
	if len(f.Presence) > 0 {
		fmt.Fprintln(stdout, "note: presence statuses are server-wide; apply does not change them")
	}
	changes := 0
	for _, p := range plans {
		if p.create {
			fmt.Fprintf(stdout, "region %s: create\n", p.want.ID)
		} else {
			fmt.Fprint(stdout, p.diff.String())
		}
		if p.create || !p.diff.Empty() {
			changes++
		}
	}
	if changes == 0 {
		fmt.Fprintln(stdout, "nothing to apply")
		return 0
	}
	if !*yes && isTerminal(stdout) && isTerminalReader(stdin) {
		fmt.Fprintf(stdout, "Apply %d region%s? [y/N] ", changes, plural(changes))
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "nothing applied")
			return 1
		}
	}
	// Creations first: they need an admin token, and a refused creation
	// then stops the apply before any existing region changes. Each
	// region's change is atomic; the apply as a whole is not, so it stops
	// at the first failure and says what was applied.
	slices.SortStableFunc(plans, func(a, b plan) int {
		if a.create == b.create {
			return 0
		}
		if a.create {
			return -1
		}
		return 1
	})
	var applied []string
	for _, p := range plans {
		if !p.create && p.diff.Empty() {
			continue
		}
		var (
			err     error
			version uint64
		)
		if p.create {
			err = c.call(ctx, "POST", "/v1/regions", p.want, nil)
		} else {
			version, err = c.replaceConfig(ctx, p.want.ID, p.want, p.version)
		}
		var ae *apiError
		if errors.As(err, &ae) && ae.Status == http.StatusUnprocessableEntity && len(ae.Errors) > 0 {
			printServerProblems(stderr, f, p.index, ae.Errors)
			fmt.Fprintf(stderr, "allot apply: region %s: the server refused the config (unchanged)\n", p.want.ID)
		} else if err != nil {
			fmt.Fprintf(stderr, "allot apply: region %s: %v (unchanged)\n", p.want.ID, err)
		}
		if err != nil {
			if len(applied) == 0 {
				fmt.Fprintln(stderr, "allot apply: nothing applied")
			} else {
				fmt.Fprintf(stderr, "allot apply: stopped; applied before the failure: %s\n", strings.Join(applied, ", "))
			}
			return 1
		}
		applied = append(applied, p.want.ID)
		// A replacement answers its version (ETag); a creation, or an
		// older server, is asked for the region's versions.
		if version > 0 {
			fmt.Fprintf(stdout, "region %s: applied as version %d\n", p.want.ID, version)
			continue
		}
		v, err := c.latestVersion(ctx, p.want.ID)
		if err != nil {
			fmt.Fprintf(stdout, "region %s: applied (version unknown: %v)\n", p.want.ID, err)
			continue
		}
		fmt.Fprintf(stdout, "region %s: applied as version %d\n", p.want.ID, v)
	}
	return 0
}

// printServerProblems prints the server's problems with region i of f
// (locations body...) located in the file.
func printServerProblems(w io.Writer, f *configfile.File, i int, problems []serverProblem) {
	var ps allot.Problems
	for _, p := range problems {
		ps.Add(fmt.Sprintf("regions[%d]%s", i, strings.TrimPrefix(p.Location, "body")), p.Message)
	}
	for _, pr := range f.Locate(ps, false) {
		fmt.Fprintln(w, pr.String())
	}
}

func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func configCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: allot config history|rollback|shadow|shadow-report ...\n\n"+configUsage)
		return 2
	}
	switch args[0] {
	case "history":
		return historyCmd(ctx, args[1:], stdout, stderr)
	case "rollback":
		return rollbackCmd(ctx, args[1:], stdin, stdout, stderr)
	case "shadow":
		return shadowCmd(ctx, args[1:], stdin, stdout, stderr)
	case "shadow-report":
		return shadowReportCmd(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, configUsage)
		return 0
	}
	fmt.Fprintf(stderr, "allot config: unknown subcommand %q; want history, rollback, shadow or shadow-report\n", args[0])
	return 2
}

func historyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("config history", "allot config history --region R [--url URL] [--token T] [--json]", stderr)
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region (required)")
	asJSON := fs.Bool("json", false, "print the versions as a JSON list")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot config history: --region: required")
		return 2
	}
	if !needToken("config history", *token, stderr) {
		return 2
	}
	vs, err := newRemote(*base, *token).versions(ctx, *region)
	if err != nil {
		fmt.Fprintf(stderr, "allot config history: region %s: %v\n", *region, err)
		return 1
	}
	if *asJSON {
		type row struct {
			Seq   uint64    `json:"seq"`
			At    time.Time `json:"at"`
			Actor string    `json:"actor"`
		}
		out := make([]row, len(vs))
		for i, v := range vs {
			out[i] = row{v.Seq, v.At, v.Actor}
		}
		writeJSON(stdout, out)
		return 0
	}
	fmt.Fprintf(stdout, "%-8s  %-20s  %s\n", "VERSION", "AT (UTC)", "ACTOR")
	for _, v := range vs {
		fmt.Fprintf(stdout, "%-8d  %-20s  %s\n", v.Seq, v.At.UTC().Format(time.RFC3339), v.Actor)
	}
	return 0
}

func rollbackCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newConfigFlags("config rollback", "allot config rollback VERSION --region R [--yes] [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region (required)")
	yes := fs.Bool("yes", false, "roll back without asking (asked only on a terminal)")
	pos, code := parseArgs(fs, args, stdout)
	if code >= 0 {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "allot config rollback: want one VERSION (see allot config history)")
		return 2
	}
	seq, err := strconv.ParseUint(pos[0], 10, 64)
	if err != nil || seq == 0 {
		fmt.Fprintf(stderr, "allot config rollback: VERSION: want a positive number from allot config history, got %q\n", pos[0])
		return 2
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot config rollback: --region: required")
		return 2
	}
	if !needToken("config rollback", *token, stderr) {
		return 2
	}
	c := newRemote(*base, *token)
	var v configVersion
	if err := c.call(ctx, "GET", fmt.Sprintf("%s/config/versions/%d", regionPath(*region), seq), nil, &v); err != nil {
		fmt.Fprintf(stderr, "allot config rollback: region %s version %d: %v\n", *region, seq, err)
		return 1
	}
	live, liveVersion, err := c.regionVersion(ctx, *region)
	if err != nil {
		fmt.Fprintf(stderr, "allot config rollback: region %s: %v\n", *region, err)
		return 1
	}
	d := configfile.Diff(live, v.Config)
	fmt.Fprint(stdout, d.String())
	if d.Empty() {
		fmt.Fprintf(stdout, "region %s already has version %d's config; nothing to do\n", *region, seq)
		return 0
	}
	if !*yes && isTerminal(stdout) && isTerminalReader(stdin) {
		fmt.Fprintf(stdout, "Roll region %s back to version %d? [y/N] ", *region, seq)
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "nothing applied")
			return 1
		}
	}
	nv, err := c.replaceConfig(ctx, *region, v.Config, liveVersion)
	if err != nil {
		fmt.Fprintf(stderr, "allot config rollback: region %s: %v (unchanged)\n", *region, err)
		return 1
	}
	if nv == 0 { // an older server: ask for the region's versions
		nv, err = c.latestVersion(ctx, *region)
	}
	if err != nil {
		fmt.Fprintf(stdout, "region %s: rolled back to version %d's config (new version unknown: %v)\n", *region, seq, err)
		return 0
	}
	fmt.Fprintf(stdout, "region %s: rolled back to version %d's config as version %d\n", *region, seq, nv)
	return 0
}

// configFileActor is the audit actor of the config changes that
// `allot serve --config` makes.
const configFileActor = "config-file"

// applyConfigFile makes the node's regions what f says, on start: a region
// of the file that the node lacks is created; one that differs is replaced
// (through the node, atomically, a config change by configFileActor);
// regions not in the file are left alone. Presence statuses the file lists
// go into each of its regions' configs. It stops at the first failure; the
// error lists the problems located in the file (a *configfile.Error) when
// it can.
func applyConfigFile(ctx context.Context, n *node.Node, f *configfile.File, log *slog.Logger) error {
	for i := range f.Regions {
		want := f.Regions[i]
		normalizeAbsences(&want)
		live, err := n.Config(ctx, want.ID)
		switch {
		case allot.ErrorCode(err) == allot.ENOTFOUND:
			cfg := allot.Config{Presence: f.Presence, Regions: []allot.Region{want}}
			if _, err := n.CreateRegion(ctx, configFileActor, cfg); err != nil {
				return locateNodeError(f, i, err)
			}
			log.Info("config file: region created", "file", f.Name, "region", want.ID, "actor", configFileActor)
			continue
		case err != nil:
			return fmt.Errorf("region %s: %w", want.ID, err)
		}
		d := configfile.Diff(live.Regions[0], want)
		presence := len(f.Presence) > 0 && !samePresence(live, f.Presence)
		if d.Empty() && !presence {
			log.Info("config file: region unchanged", "file", f.Name, "region", want.ID)
			continue
		}
		_, err = n.Submit(ctx, want.ID, node.Command{Actor: configFileActor, EditConfig: func(cfg *allot.Config) error {
			cfg.Regions[0] = want
			if len(f.Presence) > 0 {
				cfg.Presence = slices.Clone(f.Presence)
			}
			return nil
		}})
		if err != nil {
			return locateNodeError(f, i, err)
		}
		changes := len(d.Changes)
		if d.RulesReordered {
			changes++
		}
		log.Info("config file: region applied", "file", f.Name, "region", want.ID, "changes", changes, "presence_changed", presence, "actor", configFileActor)
	}
	return nil
}

// samePresence reports whether a live config has the file's presence
// statuses (defaults filled in on both sides).
func samePresence(live allot.Config, presence []allot.PresenceStatus) bool {
	a := allot.Config{Presence: live.Presence}.WithDefaults().Presence
	b := allot.Config{Presence: presence}.WithDefaults().Presence
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return bytes.Equal(ja, jb)
}

// normalizeAbsences puts agents' absence times in UTC, as the API does, so
// that a file with offsets is not a change at every start.
func normalizeAbsences(r *allot.Region) {
	r.Agents = slices.Clone(r.Agents)
	for i := range r.Agents {
		a := &r.Agents[i]
		a.Absences = slices.Clone(a.Absences)
		for j := range a.Absences {
			a.Absences[j].Start = a.Absences[j].Start.UTC()
			a.Absences[j].End = a.Absences[j].End.UTC()
		}
	}
}

// locateNodeError turns the node's problems for region i of f (paths
// regions[0]...) into problems located in the file.
func locateNodeError(f *configfile.File, i int, err error) error {
	var ae *allot.Error
	if !errors.As(err, &ae) || len(ae.Problems) == 0 {
		return fmt.Errorf("%s: region %s: %w", f.Name, f.Regions[i].ID, err)
	}
	var ps allot.Problems
	for _, p := range ae.Problems {
		path := p.Path
		if rest, ok := strings.CutPrefix(path, "regions[0]"); ok {
			path = fmt.Sprintf("regions[%d]%s", i, rest)
		}
		ps.Add(path, p.Message)
	}
	return &configfile.Error{Problems: f.Locate(ps, false)}
}
