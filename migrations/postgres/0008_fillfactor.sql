-- Room on each page for a row's next version, so that the engine's updates can be HOT
-- (heap-only: the new version stays on its page and no index gets a new entry).
--
-- A card's status changes (blocked, active, terminated) touch no indexed column, yet
-- with full pages each such update wrote a new version on another page and a new entry
-- into all five of the card's indexes. In the order bench (pg_stat_statements, 20,000
-- activations) the engine's card updates took 311 ms instead of 373 ms; the end-to-end
-- rates moved within their noise. An order is updated as it runs its steps; its last
-- update (next_run_at to NULL) does touch indexed columns, the ones before it do not.
--
-- The setting applies to pages written from now on; pages that are already full make
-- room as VACUUM frees them (`VACUUM FULL cards` rewrites the table at once, under an
-- exclusive lock, if an existing installation wants it now).
ALTER TABLE cards SET (fillfactor = 80);
ALTER TABLE orders SET (fillfactor = 90);
