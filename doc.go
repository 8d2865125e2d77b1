// Package allot holds the domain model of the allot assignment engine: the
// configuration tree (regions, queues, agents, rules), work items, decisions and
// their explanations, the application error type and the Clock.
//
// It depends on the standard library only. Everything else depends on it:
// package rules compiles rule conditions, package routing runs the filter and
// score pipeline, package engine is a region's deterministic state machine.
package allot
