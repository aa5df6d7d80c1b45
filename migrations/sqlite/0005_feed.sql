-- The transactional outbox (API.md section 10): every event registered and every change
-- of an order's status gets a row here in the same transaction as the change, written by
-- triggers so that no write path (group commits, the engine, imports) can forget it.
--
-- SQLite has one writer at a time, so positions are taken in commit order and readers
-- walk them in order; `xid` stays 0 (PostgreSQL keeps the writing transaction there).
CREATE TABLE outbox (
    position        INTEGER PRIMARY KEY AUTOINCREMENT,
    xid             INTEGER NOT NULL DEFAULT 0,
    topic           TEXT    NOT NULL CHECK (topic IN ('event', 'order')),
    subject_id      INTEGER NOT NULL,
    customer_number TEXT    NOT NULL,
    kind            TEXT    NOT NULL,
    status          TEXT,
    recorded_at     INTEGER NOT NULL DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000000 AS INTEGER))
);

CREATE INDEX outbox_by_event ON outbox (subject_id) WHERE topic = 'event';

CREATE TRIGGER events_to_outbox AFTER INSERT ON events BEGIN
    INSERT INTO outbox (topic, subject_id, customer_number, kind)
    VALUES ('event', NEW.event_id, NEW.customer_number, NEW.event_kind);
END;

CREATE TRIGGER orders_created_to_outbox AFTER INSERT ON orders BEGIN
    INSERT INTO outbox (topic, subject_id, customer_number, kind, status)
    VALUES ('order', NEW.order_id, NEW.owner_customer_number, NEW.kind, NEW.status);
END;

CREATE TRIGGER orders_changed_to_outbox AFTER UPDATE OF status ON orders
    WHEN OLD.status IS NOT NEW.status BEGIN
    INSERT INTO outbox (topic, subject_id, customer_number, kind, status)
    VALUES ('order', NEW.order_id, NEW.owner_customer_number, NEW.kind, NEW.status);
END;

-- Where each relay (a sink: NATS, later webhooks) has got to in the outbox, claimed with
-- a lease and a fencing token so that one process at a time relays a sink.
CREATE TABLE feed_sinks (
    sink         TEXT    PRIMARY KEY,
    xid          INTEGER NOT NULL,
    position     INTEGER NOT NULL,
    lease_token  INTEGER NOT NULL DEFAULT 0,
    leased_until INTEGER
);
