package main

import "testing"

// TestCycleVisitsEveryLineOnce: the chase's links form one cycle through
// every line, so a lap touches the whole working set (a shorter cycle
// would measure a smaller one).
func TestCycleVisitsEveryLineOnce(t *testing.T) {
	for _, lines := range []int{1, 2, 3, 64, 1000, 4096} {
		a := newCycle(lines, 7)
		seen := make([]bool, lines)
		p := uint64(0)
		for i := range lines {
			l := int(p / 8)
			if p%8 != 0 || l >= lines || seen[l] {
				t.Fatalf("%d lines: step %d reaches word %d (line seen before, or not a line's first word)", lines, i, p)
			}
			seen[l] = true
			p = a[p]
		}
		if p != 0 {
			t.Fatalf("%d lines: the cycle does not close after one lap (at word %d)", lines, p)
		}
	}
}
