-- Webhook subscriptions and their deliveries (API.md section 10). A delivery is created
-- from the outbox once per subscription and entry (the unique key makes a relay that
-- repeats a batch harmless) with its body fixed, so every retry sends the same bytes
-- under the same webhook-id. Instants are microseconds since the epoch.
CREATE TABLE webhook_subscriptions (
    subscription_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    url                   TEXT    NOT NULL,
    description           TEXT,
    event_kinds           TEXT,
    customer_number       TEXT,
    order_updates         BOOLEAN NOT NULL,
    secret                TEXT    NOT NULL,
    previous_secret       TEXT,
    previous_secret_until INTEGER,
    failing_since         INTEGER,
    created_at            INTEGER NOT NULL
);

CREATE TABLE webhook_deliveries (
    delivery_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    subscription_id INTEGER NOT NULL REFERENCES webhook_subscriptions (subscription_id) ON DELETE CASCADE,
    message_id      TEXT    NOT NULL,
    customer_number TEXT    NOT NULL,
    event_type      TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER,
    lease_token     INTEGER NOT NULL DEFAULT 0,
    leased_until    INTEGER,
    UNIQUE (subscription_id, message_id)
);

CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
-- The oldest pending delivery of a customer goes first (in order per customer).
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (subscription_id, customer_number, delivery_id)
    WHERE status = 'pending';

CREATE TABLE webhook_attempts (
    attempt_id   INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id  INTEGER NOT NULL REFERENCES webhook_deliveries (delivery_id) ON DELETE CASCADE,
    attempted_at INTEGER NOT NULL,
    status_code  INTEGER,
    duration_ms  INTEGER NOT NULL,
    error        TEXT
);

CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts (delivery_id, attempt_id);
