// Package routing is allot's dispatch pipeline: for one item, every member of
// its queue goes through the filters (exclusion, skills, attributes: who the
// agent is; then presence, schedule, capacity, caps: what it is doing); the
// survivors are compared on the queue's policy, an ordered list of scorers;
// the best wins, ties broken by queue order.
// Every run can record an explanation: each candidate with the filter that
// excluded it or its scores.
//
// The package holds the plugin interfaces and the runtime state plugins read
// (AgentState, Member, Cycle). The plugins live in routing/plugins; the state
// is owned and mutated by package engine, which is single-threaded per region:
// nothing here is safe for concurrent use.
//
// Filters and scorers never read the wall clock (Cycle.Now is injected) and
// never allocate on the success path.
package routing
