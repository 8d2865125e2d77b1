// Package sim is the simulator: it replays arrivals — generated or from a
// historical CSV — through the real routing engine under a virtual clock and
// reports waits, service level, abandonment, utilisation and fairness.
//
// Contracts:
//   - The same engine as production: every config is built with engine.New
//     (engine.WithoutCandidates for speed) and driven with an
//     allot.ManualClock set to each event's instant; engine timers (shifts,
//     absences, cap resets) fire through Tick events at Engine.NextWake.
//   - Discrete events in virtual time: arrivals, service completions (handle
//     time), abandonments (patience) and the engine's own wake-ups, ordered by
//     time then by scheduling sequence. Nothing reads the wall clock.
//   - Common random numbers: arrivals, handle times and patience come from
//     separate PCG streams of the seed and are drawn per arrival, so every
//     config of one run sees exactly the same items with the same handle
//     times and patience; differences between configs are the configs' own.
//   - Reproducible: the same scenario, configs and seed give byte-identical
//     JSON (no wall-clock fields, ordered slices, no maps in the report).
//   - Not safe for concurrent use of one Run's values; separate Runs are
//     independent.
//
// Measurement: items arriving in [start+warmup, start+horizon) are measured.
// After the horizon no new items arrive and the run drains (work in progress
// completes, waiting items are assigned or abandon) so that waits are not
// censored; utilisation is measured over [start+warmup, start+horizon).
package sim
