// Package engine is a region's routing state machine: events in, decisions out.
//
// An Engine owns a region's open items, its agents' runtime state (presence,
// load, shift, caps) and its queues' waiting items and fairness counters. Apply
// takes one event (an item arrives, changes, is touched, released or closed;
// an agent changes presence or asks for the next item; time passes) and
// returns the decisions it caused, each with its explanation.
//
// Contracts:
//   - Deterministic: no I/O, no wall clock, no map iteration that affects a
//     decision. Time comes from the injected allot.Clock, read once per Apply.
//     The same config and the same events at the same times give the same
//     decisions, so the simulator predicts what the server does.
//   - Work-conserving: after every Apply, no waiting item has an eligible
//     agent with room. Agents never pick: the engine pushes the best waiting
//     item an agent is eligible for whenever the agent may take one.
//   - Safe: an item is only ever assigned to an agent that passes every filter
//     (exclusion, skills, attributes, presence, schedule, absence, capacity,
//     caps) at that instant, and is owned by at most one agent.
//   - A failed Apply (invalid event) changes nothing but time: timers due up
//     to now still fire and their decisions are returned with the error.
//   - Not safe for concurrent use: one goroutine owns an engine (the server
//     runs one writer per region).
//   - Explanations are allocated one by one unless the caller says how long
//     it needs them: ReuseExplanations (valid until the next call: replay,
//     shadow) or UseArena (valid until the caller resets the arena: the
//     server's batches). Either way the decisions are the same.
//
// Closed items leave the engine; the store keeps their history.
package engine
