-- Standing orders (API.md section 9), keyed by the number of the order that set each
-- up. What it pays and when (`terms_json`) is fixed at set-up; what changes is its
-- nickname, how many dates of its schedule are behind it (`sequence`, paid or skipped),
-- whether the next is skipped, and its status. `next_date` is the schedule's next date
-- while it is active (NULL once none is left), kept beside the sequence so that the
-- engine finds what is due with one index range. Moving `sequence` on is a compare and
-- set in the transaction that creates the date's payment order, so a date is paid once.
CREATE TABLE standing_orders (
    order_id              BIGINT PRIMARY KEY REFERENCES orders (order_id),
    owner_customer_number TEXT NOT NULL REFERENCES customers (customer_number),
    debtor_account        TEXT NOT NULL REFERENCES arrangements (arrangement_number),
    nickname              TEXT NOT NULL,
    terms_json            TEXT NOT NULL,
    sequence              INTEGER NOT NULL DEFAULT 0,
    next_date             DATE,
    skip_next             INTEGER NOT NULL DEFAULT 0,
    status                TEXT NOT NULL
);

CREATE INDEX standing_orders_due ON standing_orders (next_date, order_id) WHERE status = 'active';
CREATE INDEX standing_orders_by_debtor ON standing_orders (debtor_account) WHERE status = 'active';
