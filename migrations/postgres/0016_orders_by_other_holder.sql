-- A customer's orders are those they own or hold (`owner = $1 OR holder = $1`). Most
-- orders are held by their owner: every account order, and the cards people carry on
-- their own accounts. For those the holder index only repeated the owner index, at the
-- price of one more index entry on every insert and on every update that moves an order
-- (the engine's completion is never HOT: next_run_at is in the queue's index
-- predicates). The holder index now keeps only the orders held by someone else, and the
-- lists ask `owner = $1 OR (holder = $1 AND holder <> owner)`, which selects the same
-- rows. SQLite's migration 0016 does the same.
--
-- An installation with many orders: CREATE INDEX holds writes to orders while it runs
-- (a migration runs in a transaction, so not CONCURRENTLY).
DROP INDEX orders_by_holder;
CREATE INDEX orders_by_holder ON orders (holder_customer_number, order_id)
    WHERE holder_customer_number <> owner_customer_number;
