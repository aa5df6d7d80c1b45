-- A customer's orders are those they own or hold (`owner = $1 OR holder = $1`). Most
-- orders are held by their owner: every account order, and the cards people carry on
-- their own accounts. For those the holder index only repeated the owner index, at the
-- price of one more index entry written with every order, on the single writer. The
-- holder index now keeps only the orders held by someone else, and the lists ask
-- `owner = ? OR (holder = ? AND holder <> owner)`, which selects the same rows.
-- PostgreSQL's migration 0016 does the same (there it also spares the engine's updates,
-- which are never HOT).
DROP INDEX orders_by_holder;
CREATE INDEX orders_by_holder ON orders (holder_customer_number, order_id)
    WHERE holder_customer_number <> owner_customer_number;
