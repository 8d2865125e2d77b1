-- 0001: the initial schema.
--
-- Conventions: times are TEXT in the fixed-width UTC form
-- 2006-01-02T15:04:05.000000000Z, so text order is time order; an absent
-- time is NULL. JSON columns are TEXT; an empty map or list is NULL. Every
-- table is STRICT, so a value of the wrong type is an error, not a silent
-- conversion.

-- The audit log: one hash chain per region; the global chain is region ''.
CREATE TABLE entries (
    region    TEXT    NOT NULL,
    seq       INTEGER NOT NULL CHECK (seq > 0),
    at        TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    kind      TEXT    NOT NULL,
    item      TEXT    NOT NULL,
    payload   BLOB,
    prev_hash TEXT    NOT NULL,
    hash      TEXT    NOT NULL,
    PRIMARY KEY (region, seq)
) STRICT;

-- An item's events in order (entries without an item are not indexed).
CREATE INDEX entries_item ON entries (region, item, seq) WHERE item <> '';

CREATE TABLE decisions (
    region      TEXT    NOT NULL,
    seq         INTEGER NOT NULL,
    at          TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    item        TEXT    NOT NULL,
    agent       TEXT    NOT NULL,
    from_agent  TEXT    NOT NULL,
    queue       TEXT    NOT NULL,
    cause       TEXT    NOT NULL,
    config_version INTEGER NOT NULL DEFAULT 0, -- the config entry's seq the decision was made under
    explanation BLOB, -- allot.Explanation as store.EncodeStoredExplanation (deflated compact JSON); NULL when none
    PRIMARY KEY (region, seq)
) STRICT;

-- seq closes both indexes so that a filtered page is one ordered range scan.
CREATE INDEX decisions_item  ON decisions (region, item, seq);
CREATE INDEX decisions_agent ON decisions (region, agent, seq);

CREATE TABLE items (
    region      TEXT    NOT NULL,
    id          TEXT    NOT NULL,
    external_id TEXT    NOT NULL,
    type        TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    queue       TEXT    NOT NULL,
    owner       TEXT    NOT NULL,
    rule        TEXT    NOT NULL,
    priority    INTEGER NOT NULL,
    score       INTEGER NOT NULL,
    tier        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    due_at      TEXT,          -- NULL: no SLA
    attributes  TEXT,          -- JSON object with typed numbers (see codec.go)
    history     TEXT,          -- JSON array of allot.HistoryEntry
    updated_seq INTEGER NOT NULL, -- the region's head seq when this state was written
    PRIMARY KEY (region, id)
) STRICT;

-- Intake is idempotent on the CRM's id: one item per external id and region.
CREATE UNIQUE INDEX items_external_id ON items (region, external_id) WHERE external_id <> '';

-- Pages are ordered by (created_at, id); each filter has its ordered index.
CREATE INDEX items_created ON items (region, created_at, id);
CREATE INDEX items_status  ON items (region, status, created_at, id);
CREATE INDEX items_queue   ON items (region, queue, created_at, id);
CREATE INDEX items_owner   ON items (region, owner, created_at, id);
CREATE INDEX items_type    ON items (region, type, created_at, id);

-- Who owned what, when: a row per ownership; the active one has active = 1.
CREATE TABLE assignments (
    id        INTEGER PRIMARY KEY,
    region    TEXT    NOT NULL,
    item      TEXT    NOT NULL,
    agent     TEXT    NOT NULL CHECK (agent <> ''),
    active    INTEGER NOT NULL CHECK (active IN (0, 1)),
    since_seq INTEGER NOT NULL,
    until_seq INTEGER,            -- NULL while active
    FOREIGN KEY (region, item) REFERENCES items (region, id)
) STRICT;

-- The invariant "nothing is assigned twice", enforced by the database even
-- if the code is wrong: at most one active assignment per item.
-- It also serves every read of assignments (the active one of an item, the
-- active ones of a region); no other index is kept, as each costs every
-- write (assignments are history for audits, read by full scans).
CREATE UNIQUE INDEX assignments_active ON assignments (region, item) WHERE active = 1;

CREATE TABLE idempotency (
    region       TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER NOT NULL,
    body         BLOB,
    created_at   TEXT    NOT NULL,
    PRIMARY KEY (region, key)
) STRICT;

CREATE TABLE tokens (
    id          TEXT    NOT NULL PRIMARY KEY,
    secret_hash TEXT    NOT NULL,
    role        TEXT    NOT NULL,
    region      TEXT    NOT NULL,
    agent       TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT,             -- NULL: never expires
    revoked     INTEGER NOT NULL CHECK (revoked IN (0, 1))
) STRICT;
