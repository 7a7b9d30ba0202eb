-- The head commit an open intent recorded (its state's `head_sha`, NULL for issues), in a
-- column so that the receiver can tell at intake, in the insert's transaction, whether a
-- `check_suite`, `check_run` or `status` delivery names the head of an open intent:
-- most of an App's deliveries are CI events about commits no intent waits on, recorded
-- as done without their bodies. Written with the state on every intent write; a start
-- sets it again from the state of every open intent (rows an older release wrote).
ALTER TABLE intents ADD COLUMN head_sha TEXT;
