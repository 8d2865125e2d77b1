// Package plugins holds allot's routing filters and scorers, one small type per
// file, and ForQueue, which assembles a queue's profile from its policy.
//
// Adding a filter: write a type with Name and Filter, add it to the filters
// list in profile.go at the place its cost and selectivity deserve (cheap and
// selective first), give it a table test. Adding a policy: add the constant in
// the root package and its scorer list in policies below. See
// docs/architecture.md.
package plugins
