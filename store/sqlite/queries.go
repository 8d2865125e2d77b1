package sqlite

// Every SQL statement of the package lives in this file (the schema lives in
// migrations/). Items and decisions pages are assembled from the fragments at
// the bottom: each filter adds one fixed clause, so the planner sees a plain
// equality it can match to an index.

const (
	qHead = `SELECT seq, hash FROM entries WHERE region = ? ORDER BY seq DESC LIMIT 1`

	qInsertEntry = `INSERT INTO entries (region, seq, at, actor, kind, item, payload, prev_hash, hash)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`

	qEntries = `SELECT seq, at, actor, kind, item, payload, prev_hash, hash
FROM entries WHERE region = ? AND seq > ? ORDER BY seq LIMIT ?`

	qItemEntries = `SELECT seq, at, actor, kind, item, payload, prev_hash, hash
FROM entries WHERE region = ? AND item = ? AND seq > ? ORDER BY seq LIMIT ?`

	// qConfigEntries names the kind as a literal so that the partial index
	// entries_config (migration 0002) applies.
	qConfigEntries = `SELECT seq, at, actor, kind, item, payload, prev_hash, hash
FROM entries WHERE region = ? AND kind = 'config' AND seq > ? ORDER BY seq LIMIT ?`

	// qRegions walks the distinct regions of the entries primary key with one
	// index seek per region instead of scanning every entry.
	qRegions = `WITH RECURSIVE r(region) AS (
    SELECT MIN(region) FROM entries WHERE region > ''
    UNION ALL
    SELECT (SELECT MIN(region) FROM entries WHERE region > r.region) FROM r WHERE r.region IS NOT NULL
)
SELECT region FROM r WHERE region IS NOT NULL`

	qUpsertItem = `INSERT INTO items (region, id, external_id, type, status, queue, owner, rule,
    priority, score, tier, created_at, due_at, attributes, history, updated_seq)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (region, id) DO UPDATE SET
    external_id = excluded.external_id, type = excluded.type, status = excluded.status,
    queue = excluded.queue, owner = excluded.owner, rule = excluded.rule,
    priority = excluded.priority, score = excluded.score, tier = excluded.tier,
    created_at = excluded.created_at, due_at = excluded.due_at,
    attributes = excluded.attributes, history = excluded.history,
    updated_seq = excluded.updated_seq`

	itemColumns = `id, external_id, type, status, queue, owner, rule, priority, score, tier,
    created_at, due_at, attributes, history`

	qItem = `SELECT ` + itemColumns + ` FROM items WHERE region = ? AND id = ?`

	// The external_id <> '' term lets the planner use the partial unique index.
	qItemByExternalID = `SELECT ` + itemColumns + ` FROM items
WHERE region = ? AND external_id = ? AND external_id <> ''`

	// Multi-row forms of the write path's inserts (see multiInsert): the
	// statement is the prefix, n copies of the row joined by ", ", then the
	// suffix.
	qEntriesPrefix = `INSERT INTO entries (region, seq, at, actor, kind, item, payload, prev_hash, hash) VALUES `
	qEntriesRow    = `(?, ?, ?, ?, ?, ?, ?, ?, ?)`

	qDecisionsPrefix = `INSERT INTO decisions (region, seq, at, kind, item, agent, from_agent, queue, cause, config_version, explanation) VALUES `
	qDecisionsRow    = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

	// New items are inserted in bulk; the ids that were inserted come back
	// (an item that exists is left alone and then updated by qUpsertItem).
	qNewItemsPrefix = `INSERT INTO items (region, id, external_id, type, status, queue, owner, rule,
    priority, score, tier, created_at, due_at, attributes, history, updated_seq) VALUES `
	qNewItemsRow    = `(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qNewItemsSuffix = `ON CONFLICT (region, id) DO NOTHING RETURNING id`

	// The active assignments of new items (which have none yet).
	qAssignmentsPrefix = `INSERT INTO assignments (region, item, agent, active, since_seq) VALUES `
	qAssignmentsRow    = `(?, ?, ?, 1, ?)`

	qActiveAssignment = `SELECT agent FROM assignments WHERE region = ? AND item = ? AND active = 1`

	qDeactivate = `UPDATE assignments SET active = 0, until_seq = ?
WHERE region = ? AND item = ? AND active = 1`

	qInsertAssignment = `INSERT INTO assignments (region, item, agent, active, since_seq)
VALUES (?, ?, ?, 1, ?)`

	qActiveAssignments = `SELECT item, agent FROM assignments WHERE region = ? AND active = 1`

	qInsertIdempotency = `INSERT INTO idempotency (region, key, request_hash, status, body, created_at)
VALUES (?, ?, ?, ?, ?, ?)`

	qIdempotency = `SELECT request_hash, status, body, created_at FROM idempotency
WHERE region = ? AND key = ?`

	qUpsertToken = `INSERT INTO tokens (id, secret_hash, role, region, agent, name, created_at, expires_at, revoked)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    secret_hash = excluded.secret_hash, role = excluded.role, region = excluded.region,
    agent = excluded.agent, name = excluded.name, created_at = excluded.created_at,
    expires_at = excluded.expires_at, revoked = excluded.revoked`

	tokenColumns = `id, secret_hash, role, region, agent, name, created_at, expires_at, revoked`

	qToken  = `SELECT ` + tokenColumns + ` FROM tokens WHERE id = ?`
	qTokens = `SELECT ` + tokenColumns + ` FROM tokens ORDER BY id`

	// Items pages: the keys from the list index (lists.go) by qListItemsBase,
	// then any of the filter clauses, then the cursor clause when there is
	// one, then qItemsOrderLim; the items themselves by qItemsByID.
	qListItemsBase = `SELECT id, created_at FROM item_lists WHERE region = ?`
	qItemsByID     = `SELECT ` + itemColumns + ` FROM items WHERE region = ? AND id IN (SELECT value FROM json_each(?))`
	qItemsStatus   = ` AND status = ?`
	qItemsQueue    = ` AND queue = ?`
	qItemsOwner    = ` AND owner = ?`
	qItemsType     = ` AND type = ?`
	qItemsAfter    = ` AND (created_at, id) > (?, ?)`
	qItemsOrderLim = ` ORDER BY created_at, id LIMIT ?`

	// Decisions pages: qDecisionsBase, the filters, then qDecisionsOrderLim.
	qDecisionsBase = `SELECT seq, at, kind, item, agent, from_agent, queue, cause, config_version, explanation
FROM decisions WHERE region = ? AND seq > ?`
	qDecisionsItem     = ` AND item = ?`
	qDecisionsAgent    = ` AND agent = ?`
	qDecisionsOrderLim = ` ORDER BY seq LIMIT ?`

	// Decisions by agent: the seqs from the list index, then the decisions.
	qListDecisions        = `SELECT seq FROM decision_agents WHERE region = ? AND agent = ? AND seq > ? ORDER BY seq LIMIT ?`
	qDecisionsBySeqPrefix = `SELECT seq, at, kind, item, agent, from_agent, queue, cause, config_version, explanation
FROM decisions WHERE region = ? AND seq > ? AND seq IN (`
)

// Migrations.
const (
	qCreateMigrations = `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER NOT NULL PRIMARY KEY,
    name       TEXT    NOT NULL,
    applied_at TEXT    NOT NULL
) STRICT`
	qMigrationVersion = `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`
	qInsertMigration  = `INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`
)
