package allot

import "time"

// Clock is the only source of time for the engine. The server passes a real
// clock, the simulator and tests a virtual one. Implementations must be safe
// for use by the single goroutine that owns an engine.
type Clock interface {
	Now() time.Time
}

// ManualClock is a Clock that only moves when told to. The zero value reads the
// zero time. It is not safe for concurrent use.
type ManualClock struct{ T time.Time }

// Now returns the clock's current time.
func (c *ManualClock) Now() time.Time { return c.T }

// Set moves the clock to t (which may be earlier: callers own monotonicity).
func (c *ManualClock) Set(t time.Time) { c.T = t }

// Advance moves the clock forward by d.
func (c *ManualClock) Advance(d time.Duration) { c.T = c.T.Add(d) }
