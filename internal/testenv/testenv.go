// Package testenv holds test-binary setup shared by packages.
package testenv

import (
	"flag"
	"fmt"
	"os"
	"testing"
)

// Main runs m after applying RAPID_CHECKS: CI raises the case count of every
// property test with it (`go test ./...` cannot pass -rapid.checks, which
// packages without rapid tests do not define). Call it from TestMain after
// importing pgregory.net/rapid in the package's tests.
func Main(m *testing.M) {
	flag.Parse()
	if n := os.Getenv("RAPID_CHECKS"); n != "" {
		if err := flag.Set("rapid.checks", n); err != nil {
			fmt.Fprintln(os.Stderr, "RAPID_CHECKS:", err)
			os.Exit(2)
		}
	}
	os.Exit(m.Run())
}
