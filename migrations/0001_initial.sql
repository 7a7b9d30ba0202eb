-- One schema for SQLite and PostgreSQL: only portable types and statements.
-- Times are Unix milliseconds (BIGINT); JSON is stored as TEXT; booleans as BIGINT 0/1.

-- Every verified delivery, keyed by X-GitHub-Delivery, written before tacit answers 2xx.
CREATE TABLE deliveries (
    id              TEXT PRIMARY KEY,
    event           TEXT NOT NULL,
    action          TEXT,
    installation_id BIGINT,
    -- Deliveries with the same key are processed in order (one item, or one repository).
    item_key        TEXT NOT NULL,
    payload         TEXT NOT NULL,
    received_at     BIGINT NOT NULL,
    -- pending -> done | failed
    state           TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    run_after       BIGINT NOT NULL,
    lease_owner     TEXT,
    lease_until     BIGINT,
    processed_at    BIGINT,
    last_error      TEXT
);
CREATE INDEX deliveries_pending ON deliveries (state, run_after);
CREATE INDEX deliveries_received ON deliveries (received_at);

-- One row per intent; `state` is the core's Intent as JSON.
CREATE TABLE intents (
    id              TEXT PRIMARY KEY,
    installation_id BIGINT NOT NULL,
    repo            TEXT NOT NULL,   -- owner/name, lower case
    number          BIGINT NOT NULL,
    label           TEXT NOT NULL,
    is_open         BIGINT NOT NULL, -- 1 until the intent is done
    state           TEXT NOT NULL,
    due_at          BIGINT,          -- when the scheduler should wake it; NULL: nothing scheduled
    lease_owner     TEXT,
    lease_until     BIGINT,
    version         BIGINT NOT NULL, -- optimistic concurrency: every write checks and bumps it
    status_comment_id BIGINT,
    check_run_id    BIGINT,
    check_run_sha   TEXT,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    ended_at        BIGINT
);
-- At most one open intent per item, whatever races.
CREATE UNIQUE INDEX intents_one_open ON intents (repo, number) WHERE is_open = 1;
CREATE INDEX intents_due ON intents (due_at);
CREATE INDEX intents_item ON intents (repo, number);

-- The outbox: effects decided in the same transaction as the state change.
CREATE TABLE effects (
    id          TEXT PRIMARY KEY,
    intent_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    effect      TEXT NOT NULL,   -- the core's Effect as JSON
    state       TEXT NOT NULL,   -- pending -> done | dead
    attempts    BIGINT NOT NULL DEFAULT 0,
    run_after   BIGINT NOT NULL,
    lease_owner TEXT,
    lease_until BIGINT,
    last_error  TEXT,
    created_at  BIGINT NOT NULL,
    done_at     BIGINT
);
CREATE UNIQUE INDEX effects_order ON effects (intent_id, seq);
CREATE INDEX effects_pending ON effects (state, run_after);

-- Installations tacit has seen; suspended or removed ones freeze their intents.
CREATE TABLE installations (
    id          BIGINT PRIMARY KEY,
    account     TEXT,
    suspended   BIGINT NOT NULL DEFAULT 0,
    removed     BIGINT NOT NULL DEFAULT 0,
    updated_at  BIGINT NOT NULL
);

-- Small durable facts: the App's slug, how far the redelivery sweep has looked.
CREATE TABLE kv (
    k TEXT PRIMARY KEY,
    v TEXT NOT NULL
);
