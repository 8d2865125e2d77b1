// Package sqlite is allot's embedded store: store.Store on one SQLite file
// through the pure-Go modernc.org/sqlite driver (no cgo), with a derived
// list index beside it (path + "-lists", below).
//
// # Connections
//
// Open keeps two pools on the file. The writer is one connection in WAL
// mode with synchronous=FULL, foreign keys on and a busy timeout; its
// transactions begin IMMEDIATE, taking the database's write lock at BEGIN,
// so a commit's chain check and its writes cannot interleave with another
// writer, in this process or another. When Commit returns nil the batch is
// in the fsynced WAL. The readers are several query_only connections; each
// query reads the last committed state as of its start (a WAL snapshot) and
// never sees an uncommitted write. Methods are safe for concurrent use;
// commits are serialised on the writer. Close is idempotent.
//
// # Commit
//
// A Batch is checked before the write lock is taken: every entry belongs to
// the batch's region, its Hash is store.HashEntry of itself, and each entry
// continues the previous one of the batch (Seq+1, PrevHash = its Hash).
// Inside the transaction the first entry must continue the stored head (Seq
// = head+1, PrevHash = head hash). A failed check is ECONFLICT and nothing is
// written. Then decisions are inserted, items upserted by (region, id) with
// updated_seq = the new head, assignments reconciled (below) and
// idempotency records inserted. A unique key that exists already (decision
// seq, external id within the region, idempotency key) is ECONFLICT; any
// error rolls the whole batch back. A batch without entries is allowed and
// checks no chain. An idempotency record with an empty Region takes the
// batch's; one naming another region is EINVALID.
//
// # Assignments
//
// Assignments follow owners. For each item of a batch, in order: if it has
// an owner and an active assignment to that owner exists, nothing changes;
// otherwise the active assignment, if any, is closed (active = 0, until_seq
// = the new head) and, if the item has an owner, a new active one is opened
// (since_seq = the new head). Closed rows are kept as the ownership history.
// A partial unique index (region, item) WHERE active = 1 makes two active
// assignments of one item impossible even if this code were wrong.
//
// # Values
//
// Times are stored as fixed-width UTC text (2006-01-02T15:04:05.000000000Z,
// years 0000–9999, else EINVALID) and come back as UTC time.Time values ==
// to the written ones after .UTC(). A zero DueAt and a nil ExpiresAt are
// NULL. Attributes are JSON that keeps number types: float64 comes back
// float64 (3.0 stays a float), int and int64 come back int64, []string and
// []any lists of strings come back []string, an empty map comes back nil.
// History is JSON, Explanation its binary stored form
// (store.EncodeStoredExplanation; rows written before it hold deflated
// compact JSON, which store.DecodeExplanation still reads, so the 0001
// schema's comment on the column describes those); an empty History and a nil Explanation
// come back nil (a non-nil Explanation stays non-nil, its empty slices nil).
// An empty Payload or Body comes back nil.
//
// # The list index
//
// The indexes that item lists (by creation, status, queue, owner, type) and
// decision lists by agent read are not in the main file but in the list
// index, path + "-lists", written by a goroutine of the store after each
// commit, many commits to a transaction, without fsync (lists.go has the
// why and the how). It is derived data: it records how far it is applied
// per region, and whatever it lacks (a machine crash lost its last
// transactions, the file was deleted or is of another version, another
// process committed) is caught up from the main file, by the items'
// updated_seq and the decisions' seq. Lists first wait until it holds every
// commit before the call (EUNAVAILABLE, "unavailable", after 10 s without),
// then read the rows from the main tables and check them against the filter
// again; a page may hold fewer rows than its limit when items changed
// during the call. Backups need the main file only.
//
// # Paging
//
// Items are ordered by (CreatedAt, ID); the cursor is the opaque
// base64url of the last row's key, and a malformed one is EINVALID at path
// "cursor". Decisions are ordered by Seq and paged with AfterSeq. A limit of
// 0 means 100, above 1000 means 1000, a negative one is EINVALID at "limit".
//
// # Schema
//
// The schema is in migrations/, embedded and applied at Open in one
// transaction, recorded in schema_migrations; applying is idempotent, and a
// database from a newer binary is refused. Every SQL statement is in
// queries.go.
package sqlite
