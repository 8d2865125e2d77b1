// Command memlat measures how this machine runs right now: the latency of a
// dependent load from working sets of growing size (L2, a share of L3, past
// L3) and the speed of a chain of multiplies. The engine's decision is
// memory-bound (docs/performance.md), so on a shared machine its timings
// swing with what other tenants do to the caches; run memlat beside a
// timing and record both, so that figures from different days can be
// compared (docs/testing.md, "Performance method").
//
//	go run ./internal/tools/memlat        (make calibrate)
package main

import (
	"flag"
	"fmt"
	"os"
	"time"
)

func main() {
	d := flag.Duration("for", 300*time.Millisecond, "how long to measure each size")
	flag.Parse()
	if *d <= 0 {
		fmt.Fprintln(os.Stderr, "memlat: -for must be positive")
		os.Exit(2)
	}
	ns := alu(*d)
	fmt.Printf("multiply chain: %.2f ns per multiply-add (%.2f GHz at 4 cycles each)\n", ns, 4/ns)
	for _, size := range []int{256 << 10, 2 << 20, 16 << 20, 256 << 20} {
		fmt.Printf("dependent load, %6s working set: %6.1f ns\n", human(size), chase(newCycle(size/64, 1), *d))
	}
}

func human(n int) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%d MB", n>>20)
	}
	return fmt.Sprintf("%d KB", n>>10)
}

var sink uint64

// alu returns the time of one step of a dependent multiply-add chain.
func alu(d time.Duration) float64 {
	x, n := uint64(1), 0
	start := time.Now()
	for time.Since(start) < d {
		for range 100000 {
			x = x*6364136223846793005 + 1442695040888963407
		}
		n += 100000
	}
	sink = x
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}

// newCycle returns lines cache lines (8 words each) whose first words link
// them into one random cycle through all of them: following it visits every
// line once per lap, in an order the prefetcher cannot guess.
func newCycle(lines int, seed uint64) []uint64 {
	perm := make([]int, lines)
	for i := range perm {
		perm[i] = i
	}
	s := seed*0x9e3779b97f4a7c15 | 1
	for i := lines - 1; i > 0; i-- {
		s ^= s << 13
		s ^= s >> 7
		s ^= s << 17
		j := int(s % uint64(i+1))
		perm[i], perm[j] = perm[j], perm[i]
	}
	a := make([]uint64, lines*8)
	for i := range lines {
		a[perm[i]*8] = uint64(perm[(i+1)%lines] * 8)
	}
	return a
}

// chase follows the cycle for about d and returns the time per load.
func chase(a []uint64, d time.Duration) float64 {
	p, n := uint64(0), 0
	for range len(a) / 8 { // one lap to warm what fits
		p = a[p]
	}
	start := time.Now()
	for time.Since(start) < d {
		for range 100000 {
			p = a[p]
		}
		n += 100000
	}
	sink = p
	return float64(time.Since(start).Nanoseconds()) / float64(n)
}
