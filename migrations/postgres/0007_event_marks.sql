-- Marks for page-number pages at any depth (src/store/event_pages.rs): the event at
-- `rank` (counted from the oldest, 0-based) of a customer's list, of all kinds
-- (event_kind '') or of one kind. Every 256th rank is marked, when a deep page first
-- needs it; an import of older events deletes the marks it shifted.
CREATE TABLE event_marks (
    customer_number TEXT        NOT NULL,
    event_kind      TEXT        NOT NULL,
    rank            BIGINT      NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    event_id        BIGINT      NOT NULL,
    PRIMARY KEY (customer_number, event_kind, rank)
);
