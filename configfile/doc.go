// Package configfile reads, checks and writes allot's "config as code" YAML
// files: a whole allot.Config (presence statuses and regions with their
// queues, agents, rules, scoring rules, tiers, ...) plus optional rule tests.
//
// # Contracts
//
// Decoding is strict: an unknown key, a value of the wrong type or a
// duplicate key is an error. Every problem is reported, not the first one,
// each with the file, line and column it comes from and the field path
// (regions[0].rules[3].when) the rest of allot uses. After decoding, the
// config is checked exactly as the server checks it — cfg.WithDefaults(),
// Validate(), then rules.Compile per region — and those problems are mapped
// back to the closest line of the file.
//
// Load and Decode never change anything outside the returned value; they
// are safe for concurrent use. Encode writes the canonical form: the
// struct's field order, maps sorted by key, two-space indentation; decoding
// what Encode wrote gives back an equal config.
//
// Lint looks for rules that can never do what their author meant (shadowed,
// duplicate conditions, empty or unservable target queues); its findings
// are warnings, never errors. RunTests runs a file's tests against a
// throwaway engine with a manual clock: no I/O, no wall clock.
//
// Schema returns the JSON Schema of the format, generated from the Go types;
// allot.schema.json in this directory is that output, kept fresh by a test.
package configfile
