-- The ledger of the money account orders move (API.md section 9): one row per leg, keyed
-- by the order and the leg's index, written in the same transaction as the balance change
-- and the step that made it. The key is what makes a booking exactly-once: a step that
-- were ever written twice would fail on it instead of moving the money again.
CREATE TABLE account_postings (
    order_id           INTEGER NOT NULL,
    leg                INTEGER NOT NULL,
    arrangement_number TEXT NOT NULL REFERENCES arrangements (arrangement_number),
    amount_minor       INTEGER NOT NULL,
    currency_code      TEXT NOT NULL,
    counterparty       TEXT NOT NULL,
    booked_at          INTEGER NOT NULL, -- microseconds since the epoch
    PRIMARY KEY (order_id, leg)
);

CREATE INDEX account_postings_by_account ON account_postings (arrangement_number, booked_at);
-- Closing an account checks that nothing still draws on it.
CREATE INDEX arrangements_by_linked ON arrangements (linked_arrangement_number)
    WHERE linked_arrangement_number IS NOT NULL;
