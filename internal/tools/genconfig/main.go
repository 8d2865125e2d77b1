// Command genconfig writes a generated region config (internal/gen) as a
// config file, for benchmarking validate, lint and apply by hand:
//
//	go run ./internal/tools/genconfig -o big.yaml             # gen.Large
//	go run ./internal/tools/genconfig -o big2.yaml -change 10  # every 10th rule's SLA changed
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/allot/allot/configfile"
	"github.com/allot/allot/internal/gen"
)

func main() {
	o := gen.Large
	out := flag.String("o", "", "output file (default stdout)")
	flag.IntVar(&o.Rules, "rules", o.Rules, "routing rules")
	flag.IntVar(&o.ScoringRules, "scoring", o.ScoringRules, "scoring rules")
	flag.IntVar(&o.Queues, "queues", o.Queues, "queues")
	flag.IntVar(&o.Agents, "agents", o.Agents, "agents")
	change := flag.Int("change", 0, "when > 0, give every n-th rule an SLA of its own (a second version of the same config)")
	flag.Parse()
	cfg := gen.Config(o)
	if *change > 0 {
		r := &cfg.Regions[0]
		for i := 0; i < len(r.Rules); i += *change {
			r.Rules[i].SLAMinutes = 30 + i%60
		}
	}
	b, err := configfile.Encode(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
	if *out == "" {
		os.Stdout.Write(b)
		return
	}
	if err := os.WriteFile(*out, b, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "genconfig:", err)
		os.Exit(1)
	}
}
