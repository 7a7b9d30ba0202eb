-- The conclusion of the intent's stored check run once tacit completed it (NULL while it
-- is in progress). GitHub refuses to change a completed run's status or conclusion: a
-- later state is shown by a new run, and this column says, across restarts, that the
-- stored run must not be edited into another state.
ALTER TABLE intents ADD COLUMN check_run_conclusion TEXT;
