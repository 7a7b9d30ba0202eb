-- A delivery's body moves out of the `deliveries` row. SQLite stores a row's columns in
-- order, and `payload` (often 5-25 KB) sat before `received_at`, `state`, `run_after` and
-- the lease columns: every claim and every "is it done" check had to walk the body's
-- overflow pages to reach them (measured: a third of the process's CPU under load went
-- to reading overflow pages). Bodies now live in their own table, only while the
-- delivery is pending or failed; `deliveries.payload` stays for old rows and is empty
-- for new ones.
CREATE TABLE delivery_payloads (
    id      TEXT PRIMARY KEY,
    payload TEXT NOT NULL
);
INSERT INTO delivery_payloads (id, payload)
    SELECT id, payload FROM deliveries WHERE state <> 'done' AND payload <> '';
UPDATE deliveries SET payload = '' WHERE payload <> '';
