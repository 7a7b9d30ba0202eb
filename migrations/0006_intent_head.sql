-- The head commit an open intent recorded (its state's `head_sha`, NULL for issues), in a
-- column so that the receiver can tell at intake, in the insert's transaction, whether a
-- `check_suite`, `check_run` or `status` delivery names the head of an open intent:
-- most of an App's deliveries are CI events about commits no intent waits on, recorded
-- as done without their bodies. Written with the state on every intent write; rows of
-- earlier releases are filled in by the first start (`Store::fill_head_columns`).
ALTER TABLE intents ADD COLUMN head_sha TEXT;
-- The intake's question (open intents of these repositories: their numbers and heads),
-- answered from the index alone, without reading the rows' states.
CREATE INDEX intents_open_head ON intents (repo, number, head_sha) WHERE is_open = 1;
