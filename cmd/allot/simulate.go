package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/allot/allot"
	"github.com/allot/allot/sim"
	"github.com/schollz/progressbar/v3"
)

const simulateUsage = `allot simulate: what-if replay of arrivals through the real routing engine.

Usage:
  allot simulate SCENARIO.yaml [--config a.yaml ...] [--seed N] [--json] [--report out.html]

SCENARIO.yaml describes a whole run (every key is checked; unknown keys are
errors with file:line:column):
  name: text                       label in reports
  start: 2024-01-01T00:00:00Z      virtual start (default: that Monday, UTC)
  horizon: 720h                    how long items arrive (required unless CSV)
  warmup: 24h                      left out of every statistic (default 0)
  seed: 1                          random seed (--seed wins; default 1)
  sla_seconds: 20                  service-level target (default 20)
  time_zone: Europe/Paris          zone of the arrival profile (default UTC)
  arrivals:
    rate_per_hour: 200             Poisson arrivals, or csv: (see docs/simulator.md)
    profile: {hourly: [24 multipliers], weekly: [7 multipliers, Monday first]}
    mix: [{weight: 3, type: lead, priority: 0, attributes: {country: FR}}]
  handle_time:                     how long an assigned item keeps its agent
    distribution: exponential      exponential | lognormal | fixed | empirical
    mean_seconds: 180              (lognormal: sigma; empirical: values_seconds)
  patience: {distribution: exponential, mean_seconds: 300}
                                   optional: a waiting item abandons after it
  agents: {count: 12, capacity: 1, shifts: [{days: mon-fri, start: "09:00", end: "17:00"}]}
                                   or list: [{id: ana, weight: 2, capacity: 1}]
  region: r0                       config region to drive (default the first)
  config: {...}                    optional embedded config (allot config YAML)

Without --config the scenario's embedded config runs, or else a default one:
one queue "main" of every scenario agent, round_robin, FIFO. Each --config
(allot config YAML, strictly decoded) is run on the same arrivals, handle
times and patience (common random numbers) and reported as a column; the
configs bring their own agents. Every non-manual agent is logged in at the
start; schedules decide when it works.

Measurement: items arriving in [start+warmup, start+horizon); after the
horizon the run drains so that every such item is served or abandons.

Output: a table (configs as columns, the change against the first config in
parentheses), or with --json one object:
  {"seed", "start", "horizon_s", "warmup_s", "sla_seconds", "results": [
    {"config", "arrivals", "assigned", "abandoned", "unroutable", "unassigned",
     "p_wait"         share of arrivals not assigned the instant they arrived,
     "mean_wait_s", "p50_wait_s", "p90_wait_s", "p99_wait_s", "max_wait_s"
                      wait = assignment − arrival, over assigned items,
     "service_level"  share of arrivals assigned within sla_seconds,
     "abandon_rate", "utilisation" busy / available capacity-time,
     "mean_queue_len", "max_queue_len",
     "fairness": {"gini", "max_min_ratio"}  assignments ÷ weight per agent
                      (max_min_ratio is null when an agent got nothing),
     "agents": [{"id", "weight", "assigned", "share", "weight_share", "utilisation"}],
     "wait_histogram": [{"le_s", "count"}], "queue_depth": [{"at_h", "waiting"}]}]}
The same inputs and seed give byte-identical JSON.

--report out.html writes a self-contained HTML report (inline SVG charts).

Exit status: 0 ok, 1 the simulation failed, 2 bad usage or input.

Flags:
`

// stringList is a repeatable string flag.
type stringList []string

func (s *stringList) String() string     { return strings.Join(*s, ",") }
func (s *stringList) Set(v string) error { *s = append(*s, v); return nil }

func simulate(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("simulate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(fs.Output(), simulateUsage); fs.PrintDefaults() }
	var configs stringList
	fs.Var(&configs, "config", "an allot config YAML to run (repeat to compare several side by side)")
	seed := fs.Uint64("seed", 0, "random seed (default: the scenario's seed, else 1)")
	asJSON := fs.Bool("json", false, "print one JSON object instead of a table")
	report := fs.String("report", "", "also write a self-contained HTML report to this file")
	// Flags may come before or after the scenario.
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fs.SetOutput(stdout)
				fs.Usage()
				return 0
			}
			return 2
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(pos) != 1 {
		fmt.Fprint(stderr, "allot simulate: want exactly one SCENARIO.yaml\n\nusage: allot simulate SCENARIO.yaml [--config a.yaml ...] [--seed N] [--json] [--report out.html]\n")
		return 2
	}
	scn, err := sim.LoadScenario(pos[0])
	if err != nil {
		fmt.Fprintln(stderr, "allot simulate:", err)
		return 2
	}
	var named []sim.NamedConfig
	for _, path := range configs {
		cfg, err := loadConfigFile(path)
		if err != nil {
			fmt.Fprintln(stderr, "allot simulate:", err)
			return 2
		}
		named = append(named, sim.NamedConfig{Name: path, Config: cfg})
	}
	var opt sim.Options
	var bar *progressbar.ProgressBar
	if isTerminal(stderr) && !*asJSON {
		bar = newProgressBar(stderr)
		opt.Progress = func(f float64) { _ = bar.Set(int(f * progressSteps)) }
	}
	rep, err := sim.RunNamed(scn, named, *seed, opt)
	if bar != nil {
		_ = bar.Finish() // clears the bar: the table starts on a clean line
	}
	if err != nil {
		fmt.Fprintln(stderr, "allot simulate:", err)
		return 1
	}
	if ctx.Err() != nil {
		return 1
	}
	if *report != "" {
		f, err := os.Create(*report)
		if err == nil {
			err = sim.WriteHTML(f, rep)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
		if err != nil {
			fmt.Fprintf(stderr, "allot simulate: --report: %v\n", err)
			return 1
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			fmt.Fprintln(stderr, "allot simulate:", err)
			return 1
		}
		return 0
	}
	sim.WriteTable(stdout, rep)
	return 0
}

// loadConfigFile decodes an allot config YAML strictly; errors name the file
// and line (decoding) or the file and field path (validation happens in the
// engine, per region).
func loadConfigFile(path string) (allot.Config, error) {
	f, err := os.Open(path)
	if err != nil {
		return allot.Config{}, fmt.Errorf("--config: %w", err)
	}
	defer f.Close()
	var cfg allot.Config
	if err := sim.DecodeYAML(f, path, &cfg); err != nil {
		return allot.Config{}, err
	}
	d := cfg.WithDefaults()
	if ps := d.Validate(); len(ps) > 0 {
		return allot.Config{}, fmt.Errorf("%s: %w", path, ps.Err("invalid config"))
	}
	return cfg, nil
}

// progressSteps is the resolution of the progress bar.
const progressSteps = 1000

// newProgressBar is the terminal progress bar of a run, on w (stderr). It is
// shown only when stderr is a terminal and never with --json, so scripts and
// pipes see no progress output at all.
func newProgressBar(w io.Writer) *progressbar.ProgressBar {
	return progressbar.NewOptions(progressSteps,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription("simulating"),
		progressbar.OptionSetPredictTime(true),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionClearOnFinish(),
		progressbar.OptionSetWidth(30),
	)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
