// Command allot is the allot assignment engine's single binary.
//
//	allot serve [--addr 127.0.0.1:8080] [--db ./allot.db]
//
// Run `allot help` for every subcommand.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	_ "time/tzdata" // agents' time zones must resolve on machines without zoneinfo
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
