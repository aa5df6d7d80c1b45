-- Customer events. Instants are microseconds since the Unix epoch (UTC) so that the
-- (customer, time) index orders them exactly.
CREATE TABLE events (
    event_id        INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_number TEXT    NOT NULL,
    event_kind      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    description     TEXT,
    event_data_xml  TEXT    NOT NULL
);

CREATE INDEX events_by_customer_time ON events (customer_number, created_at DESC, event_id DESC);
CREATE INDEX events_by_customer_kind_time ON events (customer_number, event_kind, created_at DESC, event_id DESC);

-- Kept in the same transaction as every insert so that a page's total-count does not
-- have to count a million rows.
CREATE TABLE customer_event_counts (
    customer_number TEXT    NOT NULL,
    event_kind      TEXT    NOT NULL,
    event_count     INTEGER NOT NULL,
    PRIMARY KEY (customer_number, event_kind)
) WITHOUT ROWID;

CREATE TABLE idempotency_keys (
    principal       TEXT    NOT NULL,
    idempotency_key TEXT    NOT NULL,
    fingerprint     TEXT    NOT NULL,
    resource_id     TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (principal, idempotency_key)
) WITHOUT ROWID;
