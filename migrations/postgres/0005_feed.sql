-- The transactional outbox (API.md section 10): every event registered and every change
-- of an order's status gets a row here in the same transaction as the change, written by
-- triggers so that no write path (group commits, the engine, imports) can forget it.
--
-- Readers walk it in commit order, (xid, position): a row is read only once its
-- transaction id is below the oldest transaction still running
-- (pg_snapshot_xmin(pg_current_snapshot())), so a transaction that took its position
-- early and committed late is never skipped by a reader that already went past it.
CREATE TABLE outbox (
    position        BIGINT      GENERATED ALWAYS AS IDENTITY,
    xid             XID8        NOT NULL DEFAULT pg_current_xact_id(),
    topic           TEXT        NOT NULL CHECK (topic IN ('event', 'order')),
    subject_id      BIGINT      NOT NULL,
    customer_number TEXT        NOT NULL,
    kind            TEXT        NOT NULL,
    status          TEXT,
    recorded_at     TIMESTAMPTZ NOT NULL DEFAULT now(),
    -- The readers' order is the key: one index to write per row, not two.
    PRIMARY KEY (xid, position)
);

CREATE INDEX outbox_by_event ON outbox (subject_id) WHERE topic = 'event';

-- Statement-level triggers with transition tables: one INSERT per statement, whatever
-- the number of rows the statement wrote.
CREATE FUNCTION outbox_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (topic, subject_id, customer_number, kind)
    SELECT 'event', event_id, customer_number, event_kind FROM new_rows ORDER BY event_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER events_to_outbox AFTER INSERT ON events
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outbox_events();

CREATE FUNCTION outbox_orders_created() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (topic, subject_id, customer_number, kind, status)
    SELECT 'order', order_id, owner_customer_number, kind, status FROM new_rows ORDER BY order_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER orders_created_to_outbox AFTER INSERT ON orders
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outbox_orders_created();

CREATE FUNCTION outbox_orders_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox (topic, subject_id, customer_number, kind, status)
    SELECT 'order', n.order_id, n.owner_customer_number, n.kind, n.status
    FROM new_rows n JOIN old_rows o USING (order_id)
    WHERE n.status IS DISTINCT FROM o.status
    ORDER BY n.order_id;
    RETURN NULL;
END
$$;

CREATE TRIGGER orders_changed_to_outbox AFTER UPDATE ON orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION outbox_orders_changed();

-- Where each relay (a sink: NATS, later webhooks) has got to in the outbox, claimed with
-- a lease and a fencing token so that one process at a time relays a sink.
CREATE TABLE feed_sinks (
    sink         TEXT        PRIMARY KEY,
    xid          BIGINT      NOT NULL,
    position     BIGINT      NOT NULL,
    lease_token  BIGINT      NOT NULL DEFAULT 0,
    leased_until TIMESTAMPTZ
);
