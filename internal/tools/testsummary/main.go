// Command testsummary reads `go test -json` output on stdin, prints failures and a
// count of passed, failed and skipped tests, and exits non-zero when a test failed
// or fewer than -min tests passed (a run that executes no test is not a pass).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
)

type event struct {
	Action  string
	Package string
	Test    string
	Output  string
}

func main() {
	min := flag.Int("min", 1, "fail unless at least this many tests passed")
	flag.Parse()
	pass, fail, skip := 0, 0, 0
	outputs := map[string][]string{}
	var failed []string
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 1<<20), 1<<26)
	for sc.Scan() {
		var e event
		if json.Unmarshal(sc.Bytes(), &e) != nil {
			fmt.Println(sc.Text())
			continue
		}
		key := e.Package + " " + e.Test
		switch e.Action {
		case "output":
			outputs[key] = append(outputs[key], e.Output)
		case "pass":
			if e.Test != "" {
				pass++
			}
			delete(outputs, key)
		case "skip":
			if e.Test != "" {
				skip++
			}
		case "fail":
			if e.Test != "" {
				fail++
			}
			failed = append(failed, key)
		}
	}
	sort.Strings(failed)
	for _, k := range failed {
		fmt.Printf("--- FAIL %s\n", k)
		for _, l := range outputs[k] {
			fmt.Print("    ", l)
		}
	}
	fmt.Printf("tests: %d passed, %d failed, %d skipped\n", pass, fail, skip)
	if fail > 0 || len(failed) > 0 {
		os.Exit(1)
	}
	if pass < *min {
		fmt.Printf("fewer than %d tests passed: a run that executes no test is not a pass\n", *min)
		os.Exit(1)
	}
}
