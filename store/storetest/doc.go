// Package storetest is the conformance suite of store.Store: every
// implementation (store/sqlite, store/postgres) runs Exercise from its own
// tests against a real database, so that they behave the same.
//
// Beyond store.go, the suite pins down these contracts:
//
//   - Chains. A region's first entry has Seq 1 and PrevHash "". An entry
//     that does not continue the stored head or the previous entry of its
//     batch, or whose Hash is not store.HashEntry of itself, makes the
//     commit fail with ECONFLICT and write nothing. Of concurrent commits of
//     the same next Seq exactly one succeeds. The global chain (region "")
//     is independent of the regions and is not listed by Regions.
//   - Atomicity. Any failing commit leaves no trace: no entry, decision,
//     item, assignment or idempotency record of the batch. A unique key that
//     exists already — a decision's (region, Seq), an item's non-empty
//     ExternalID within its region, an idempotency (region, Key) — is
//     ECONFLICT.
//   - Values. Times come back in UTC, == to the written time after .UTC();
//     a zero DueAt stays zero and a nil ExpiresAt nil. Attribute values keep
//     their kind: string and bool unchanged, float64 stays float64 (also when
//     integral, e.g. 3.0), int and int64 come back as int64, lists of strings
//     ([]string or []any) come back as []string; an empty or nil Attributes
//     map and an empty or nil History come back nil. An Explanation round
//     trips through JSON: nil stays nil, a non-nil one compares equal (with
//     its empty slices nil). An empty Payload or Body comes back nil.
//   - Items pages are ordered by (CreatedAt, ID); the cursor is opaque and a
//     malformed one is EINVALID mentioning "cursor". Limits: 0 means 100,
//     above 1000 means 1000, negative is EINVALID. Decisions pages are in Seq
//     order after AfterSeq; the Agent filter matches Decision.Agent.
//   - Assignments follow owners: re-owning an item moves its one active
//     assignment, clearing the owner removes it. Implementations must also
//     show, in their own tests, that the database itself rejects a second
//     active assignment of an item (a unique index), since a correct
//     implementation cannot be made to try through the Store interface.
//   - Durability. Everything committed survives Close and a reopen.
package storetest
