-- The digest issue of each repository with `digest: true` (SPEC 5): one issue, "tacit:
-- open intents", that tacit creates, edits, closes and reopens. It is found again by
-- `issue_number`, never by its title. A row is also the repository's refresh queue:
-- every intent write that carries `digest: true` sets `due_at` (if it is not set) and
-- bumps `touches`, in the intent's own transaction; the refresh clears `due_at` only if
-- `touches` did not move while it ran, so a burst of changes costs one edit.
-- An older release ignores this table.
CREATE TABLE digests (
    repo            TEXT PRIMARY KEY,    -- owner/name, lower case
    installation_id BIGINT NOT NULL,     -- the installation of the latest intent written
    issue_number    BIGINT,              -- NULL until tacit created the issue
    is_open         BIGINT NOT NULL DEFAULT 0, -- whether tacit last left the issue open
    body_sha256     TEXT,                -- of the body tacit last wrote (unchanged: no edit)
    due_at          BIGINT,              -- a refresh is wanted from then; NULL: none
    touches         BIGINT NOT NULL DEFAULT 0,
    attempts        BIGINT NOT NULL DEFAULT 0,
    lease_owner     TEXT,
    lease_until     BIGINT,
    last_error      TEXT,
    updated_at      BIGINT NOT NULL
);
CREATE INDEX digests_due ON digests (due_at);
