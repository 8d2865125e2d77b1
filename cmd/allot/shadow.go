package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/node"
)

// Shadow mode from the CLI: run a candidate config beside a region's live
// one, read the comparison, promote or stop it (see docs/config.md).

const shadowUsage = `Shadow mode (per region; see docs/config.md):
  allot config shadow start -f candidate.yaml [--region R] [--url URL] [--token T]
        validate and test the candidate, then run its region R (the file's
        only region when --region is omitted) in shadow beside the live
        config: it decides every item too, without acting.
  allot config shadow-report --region R [--json] [--examples N] [--url URL] [--token T]
        agreement, disagreements by field with examples and the shadow's
        reason, load and fairness live beside shadow.
  allot config shadow promote --region R [--yes] [--url URL] [--token T]
        make the candidate the region's config (a new version) and end the
        shadow; roll back with allot config rollback PREVIOUS --region R.
  allot config shadow stop --region R [--url URL] [--token T]
        end the shadow; the live config is unchanged.
`

func shadowCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, "usage: allot config shadow start|report|promote|stop ...\n\n"+shadowUsage)
		return 2
	}
	switch args[0] {
	case "start":
		return shadowStartCmd(ctx, args[1:], stdout, stderr)
	case "report":
		return shadowReportCmd(ctx, args[1:], stdout, stderr)
	case "promote":
		return shadowPromoteCmd(ctx, args[1:], stdin, stdout, stderr)
	case "stop", "end":
		return shadowStopCmd(ctx, args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, shadowUsage)
		return 0
	}
	fmt.Fprintf(stderr, "allot config shadow: unknown subcommand %q; want start, report, promote or stop\n", args[0])
	return 2
}

func shadowStartCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("config shadow start", "allot config shadow start -f candidate.yaml [--region R] [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	file := fs.String("f", "", "the candidate config file (required)")
	region := fs.String("region", "", "the region to shadow (default: the file's only region)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *file == "" {
		fmt.Fprintln(stderr, "allot config shadow start: -f: required (the candidate config file)")
		return 2
	}
	if !needToken("config shadow start", *token, stderr) {
		return 2
	}
	f, ok := loadChecked(*file, stderr)
	if !ok {
		fmt.Fprintln(stderr, "allot config shadow start: the candidate is invalid; no shadow started")
		return 1
	}
	if res := f.RunTests(); len(res) > 0 {
		if failed := reportTests(f, res, false, false, stderr); failed > 0 {
			fmt.Fprintln(stderr, "allot config shadow start: the candidate's tests fail; no shadow started")
			return 1
		}
	}
	var cand *allot.Region
	for i := range f.Regions {
		if f.Regions[i].ID == *region || (*region == "" && len(f.Regions) == 1) {
			cand = &f.Regions[i]
		}
	}
	if cand == nil {
		if *region == "" {
			fmt.Fprintf(stderr, "allot config shadow start: the file holds %d regions; say which with --region (shadows are per region)\n", len(f.Regions))
		} else {
			fmt.Fprintf(stderr, "allot config shadow start: the file has no region %q\n", *region)
		}
		return 2
	}
	normalizeAbsences(cand)
	c := newRemote(*base, *token)
	var rep node.ShadowReport
	if err := c.call(ctx, "PUT", regionPath(cand.ID)+"/shadow", cand, &rep); err != nil {
		fmt.Fprintf(stderr, "allot config shadow start: region %s: %v (no shadow started)\n", cand.ID, err)
		return 1
	}
	fmt.Fprintf(stdout, "region %s: candidate running in shadow (since entry %d); compare with: allot config shadow-report --region %s\n", cand.ID, rep.Seq, cand.ID)
	return 0
}

func shadowReportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("config shadow-report", "allot config shadow-report --region R [--json] [--examples N] [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region (required)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	examples := fs.Int("examples", 10, "how many recent disagreements to show")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot config shadow-report: --region: required")
		return 2
	}
	if !needToken("config shadow-report", *token, stderr) {
		return 2
	}
	var rep node.ShadowReport
	if err := newRemote(*base, *token).call(ctx, "GET", regionPath(*region)+"/shadow", nil, &rep); err != nil {
		fmt.Fprintf(stderr, "allot config shadow-report: region %s: %v\n", *region, err)
		return 1
	}
	if *asJSON {
		writeJSON(stdout, rep)
		return 0
	}
	printShadowReport(stdout, rep, *examples)
	return 0
}

func pct(n, of int64) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

// printShadowReport writes a readable shadow report.
func printShadowReport(w io.Writer, rep node.ShadowReport, examples int) {
	fmt.Fprintf(w, "region %s: shadow since %s", rep.Region, rep.StartedAt.UTC().Format(time.RFC3339))
	if rep.StartedBy != "" {
		fmt.Fprintf(w, " by %s", rep.StartedBy)
	}
	fmt.Fprintf(w, " (entry %d)\n\n", rep.Seq)
	fmt.Fprintf(w, "arrivals compared  %d\n", rep.Arrivals)
	fmt.Fprintf(w, "agree              %d (%s)\n", rep.Agreements, pct(rep.Agreements, rep.Arrivals))
	fmt.Fprintf(w, "disagree           %d (%s)\n", rep.Disagreements, pct(rep.Disagreements, rep.Arrivals))
	if len(rep.ByField) > 0 {
		type fc struct {
			f string
			n int64
		}
		var fcs []fc
		for f, n := range rep.ByField {
			fcs = append(fcs, fc{f, n})
		}
		sort.Slice(fcs, func(i, j int) bool {
			if fcs[i].n != fcs[j].n {
				return fcs[i].n > fcs[j].n
			}
			return fcs[i].f < fcs[j].f
		})
		var parts []string
		for _, x := range fcs {
			parts = append(parts, fmt.Sprintf("%s %d (%s)", x.f, x.n, pct(x.n, rep.Arrivals)))
		}
		fmt.Fprintf(w, "  by field         %s\n", strings.Join(parts, ", "))
	}
	if rep.Skipped > 0 {
		var parts []string
		for k, n := range rep.SkippedByKind {
			parts = append(parts, fmt.Sprintf("%s %d", k, n))
		}
		sort.Strings(parts)
		fmt.Fprintf(w, "skipped in shadow  %d of %d events (%s); last: %s\n", rep.Skipped, rep.Events, strings.Join(parts, ", "), rep.LastSkip)
	}
	if rep.SeedSkipped > 0 {
		fmt.Fprintf(w, "seed steps refused %d (live state the candidate could not take at the start)\n", rep.SeedSkipped)
	}
	if rep.LiveConfigChanges > 0 {
		fmt.Fprintf(w, "note: the live config changed %d time(s) since the shadow started; promoting replaces those changes\n", rep.LiveConfigChanges)
	}

	if n := min(examples, len(rep.Examples)); n > 0 {
		fmt.Fprintf(w, "\nmost recent disagreements (%d of %d):\n", n, rep.Disagreements)
		tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "  ITEM\tDIFFERS\tLIVE\tSHADOW\tSHADOW'S REASON")
		for _, ex := range rep.Examples[len(rep.Examples)-n:] {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", ex.Item, strings.Join(ex.Fields, ","), outcomeString(ex.Live), outcomeString(ex.Shadow), ex.Reason)
		}
		tw.Flush()
	}

	fmt.Fprintln(w, "\nload and fairness (assignments since the shadow started; load now):")
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "  AGENT\tLIVE ASSIGNED\tSHADOW ASSIGNED\tLIVE LOAD\tSHADOW LOAD\t")
	for _, a := range rep.Agents {
		la, sa, ll, sl := fmt.Sprint(a.LiveAssignments), fmt.Sprint(a.ShadowAssignments), fmt.Sprint(a.LiveLoad), fmt.Sprint(a.ShadowLoad)
		if !a.InLive {
			la, ll = "-", "-"
		}
		if !a.InShadow {
			sa, sl = "-", "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t\n", a.Agent, la, sa, ll, sl)
	}
	fmt.Fprintf(tw, "  total\t%d\t%d\t%d\t%d\t\n", rep.Live.Assignments, rep.Shadow.Assignments, rep.Live.Load, rep.Shadow.Load)
	tw.Flush()
	fmt.Fprintf(w, "fairness (Gini of assignments per weight; 0 = even): live %.3f, shadow %.3f\n", rep.Live.Fairness, rep.Shadow.Fairness)
}

func outcomeString(o node.ShadowOutcome) string {
	rule := o.Rule
	if rule == "" {
		rule = "(default)"
	}
	agent := o.Agent
	if agent == "" {
		agent = "-"
	}
	s := fmt.Sprintf("%s → %s → %s %s", rule, orDash(o.Queue), string(o.Kind), agent)
	if o.Tier != "" {
		s += " tier " + o.Tier
	}
	return s + fmt.Sprintf(" score %d", o.Score)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func shadowPromoteCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := newConfigFlags("config shadow promote", "allot config shadow promote --region R [--yes] [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region (required): only it changes")
	yes := fs.Bool("yes", false, "promote without asking (asked only on a terminal)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot config shadow promote: --region: required")
		return 2
	}
	if !needToken("config shadow promote", *token, stderr) {
		return 2
	}
	c := newRemote(*base, *token)
	prev, err := c.latestVersion(ctx, *region)
	if err != nil {
		fmt.Fprintf(stderr, "allot config shadow promote: region %s: %v\n", *region, err)
		return 1
	}
	if !*yes && isTerminal(stdout) && isTerminalReader(stdin) {
		fmt.Fprintf(stdout, "Make region %s's shadow config live? [y/N] ", *region)
		line, _ := bufio.NewReader(stdin).ReadString('\n')
		if a := strings.ToLower(strings.TrimSpace(line)); a != "y" && a != "yes" {
			fmt.Fprintln(stdout, "nothing changed")
			return 1
		}
	}
	var out struct {
		Version uint64 `json:"version"`
	}
	if err := c.call(ctx, "POST", regionPath(*region)+"/shadow/promote", nil, &out); err != nil {
		fmt.Fprintf(stderr, "allot config shadow promote: region %s: %v (unchanged)\n", *region, err)
		return 1
	}
	fmt.Fprintf(stdout, "region %s: shadow promoted as version %d; to undo: allot config rollback %d --region %s\n", *region, out.Version, prev, *region)
	return 0
}

func shadowStopCmd(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newConfigFlags("config shadow stop", "allot config shadow stop --region R [--url URL] [--token T]", stderr)
	base, token := remoteFlags(fs)
	region := fs.String("region", "", "the region (required)")
	if code := parse(fs, args); code >= 0 {
		return code
	}
	if *region == "" {
		fmt.Fprintln(stderr, "allot config shadow stop: --region: required")
		return 2
	}
	if !needToken("config shadow stop", *token, stderr) {
		return 2
	}
	if err := newRemote(*base, *token).call(ctx, "DELETE", regionPath(*region)+"/shadow", nil, nil); err != nil {
		fmt.Fprintf(stderr, "allot config shadow stop: region %s: %v\n", *region, err)
		return 1
	}
	fmt.Fprintf(stdout, "region %s: shadow stopped; the live config is unchanged\n", *region)
	return 0
}
