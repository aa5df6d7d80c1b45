-- Customers, arrangements and cards: the reference data orders act on.
CREATE TABLE customers (
    customer_number TEXT PRIMARY KEY,
    name            TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE arrangements (
    arrangement_number    TEXT    PRIMARY KEY,
    owner_customer_number TEXT    NOT NULL REFERENCES customers (customer_number),
    product_code          TEXT    NOT NULL,
    active                INTEGER NOT NULL,
    allows_cards          INTEGER NOT NULL,
    card_limit            INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE cards (
    card_id                TEXT    PRIMARY KEY,
    serial_number          TEXT    NOT NULL UNIQUE,
    masked_number          TEXT    NOT NULL,
    arrangement_number     TEXT    NOT NULL REFERENCES arrangements (arrangement_number),
    holder_customer_number TEXT    NOT NULL REFERENCES customers (customer_number),
    owner_customer_number  TEXT    NOT NULL REFERENCES customers (customer_number),
    product_code           TEXT    NOT NULL,
    status                 TEXT    NOT NULL,
    blockade_reason        TEXT,
    expiry_date            TEXT    NOT NULL,
    replaces               TEXT,
    replaced_by            TEXT,
    status_date            INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX cards_by_holder ON cards (holder_customer_number);
CREATE INDEX cards_by_owner ON cards (owner_customer_number);
CREATE INDEX cards_by_arrangement ON cards (arrangement_number);

-- Orders (work items). The row is the whole state: request and steps as JSON, the
-- executor's schedule in next_run_at (NULL once final).
CREATE TABLE orders (
    order_id               INTEGER PRIMARY KEY AUTOINCREMENT,
    kind                   TEXT    NOT NULL,
    serial_key             TEXT    NOT NULL,
    duplicate_key          TEXT    NOT NULL,
    card_id                TEXT,
    arrangement_number     TEXT    NOT NULL,
    owner_customer_number  TEXT    NOT NULL,
    holder_customer_number TEXT    NOT NULL,
    request_json           TEXT    NOT NULL,
    description            TEXT,
    status                 TEXT    NOT NULL,
    status_date            INTEGER NOT NULL,
    creation_date          INTEGER NOT NULL,
    deadline               INTEGER NOT NULL,
    current_step           INTEGER NOT NULL,
    phase                  TEXT,
    next_run_at            INTEGER,
    steps_json             TEXT    NOT NULL,
    rejection_reason       TEXT,
    result_card_id         TEXT
);

-- The guide's first work item is WI0000492475.
INSERT INTO sqlite_sequence (name, seq) VALUES ('orders', 492474);

CREATE INDEX orders_due ON orders (next_run_at, order_id) WHERE next_run_at IS NOT NULL;
CREATE INDEX orders_active_by_serial_key ON orders (serial_key, order_id) WHERE next_run_at IS NOT NULL;
-- The same order for the same card may be active only once (request-already-exists).
CREATE UNIQUE INDEX orders_one_active_per_duplicate_key ON orders (duplicate_key) WHERE next_run_at IS NOT NULL;
CREATE INDEX orders_by_owner ON orders (owner_customer_number, order_id);
CREATE INDEX orders_by_holder ON orders (holder_customer_number, order_id);
CREATE INDEX orders_by_kind ON orders (kind, order_id);
