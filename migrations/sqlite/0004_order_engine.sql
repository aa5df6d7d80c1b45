-- The order engine claims orders with a lease (a fencing token and an expiry), holds
-- orders for a person, and serialises actions per arrangement.
ALTER TABLE orders ADD COLUMN lease_token INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN leased_until INTEGER;
ALTER TABLE orders ADD COLUMN hold_reason TEXT;

UPDATE orders SET serial_key = 'arrangement:' || arrangement_number;

DROP INDEX orders_due;
CREATE INDEX orders_due ON orders (next_run_at, order_id) WHERE next_run_at IS NOT NULL AND hold_reason IS NULL;
CREATE INDEX orders_held ON orders (order_id) WHERE hold_reason IS NOT NULL;
