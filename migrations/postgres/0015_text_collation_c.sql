-- Every text column compares byte by byte (COLLATE "C"), whatever locale the database
-- was created with, as SQLite's BINARY collation already does.
--
-- Why: with a libc locale (C.UTF-8 on the machines we test on, en_US.UTF-8 at many
-- banks) every comparison inside a text index goes through the locale's strcoll and its
-- collation lookups. perf on the event group insert (pgbench, the writer's statement
-- with 30 events) showed index inserts at 39 % of the backend's time, a third of that in
-- text comparisons; with "C" the statement took about 8 % less (1.26 / 1.21 / 1.35 ms
-- against 1.46 / 1.42 / 1.39 ms, interleaved). The identifiers stored here (customer
-- numbers, card ids, kinds, keys) are ASCII, so nothing's equality changes; and the
-- lists ordered by a text key (cards, arrangements, mandates) now sort as on SQLite,
-- where a linguistic locale could have put "B-1" and "b1" in another order.
--
-- Each column of a table changes in one ALTER TABLE: the heap is not rewritten (text to
-- text is binary-coercible), the table's indexes on text are rebuilt, under an exclusive
-- lock. On this machine that took 18 s for 3.8 million events; plan an upgrade of a
-- large installation accordingly. A table added later must say COLLATE "C" itself.
ALTER TABLE account_postings
    ALTER COLUMN arrangement_number TYPE TEXT COLLATE "C",
    ALTER COLUMN currency_code TYPE TEXT COLLATE "C",
    ALTER COLUMN counterparty TYPE TEXT COLLATE "C";
ALTER TABLE arrangements
    ALTER COLUMN arrangement_number TYPE TEXT COLLATE "C",
    ALTER COLUMN owner_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN product_code TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN product_name TYPE TEXT COLLATE "C",
    ALTER COLUMN currency_code TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN linked_arrangement_number TYPE TEXT COLLATE "C";
ALTER TABLE audit_records
    ALTER COLUMN subject TYPE TEXT COLLATE "C",
    ALTER COLUMN client TYPE TEXT COLLATE "C",
    ALTER COLUMN acting_for TYPE TEXT COLLATE "C",
    ALTER COLUMN method TYPE TEXT COLLATE "C",
    ALTER COLUMN path TYPE TEXT COLLATE "C",
    ALTER COLUMN target TYPE TEXT COLLATE "C",
    ALTER COLUMN request_id TYPE TEXT COLLATE "C";
ALTER TABLE cards
    ALTER COLUMN card_id TYPE TEXT COLLATE "C",
    ALTER COLUMN serial_number TYPE TEXT COLLATE "C",
    ALTER COLUMN masked_number TYPE TEXT COLLATE "C",
    ALTER COLUMN arrangement_number TYPE TEXT COLLATE "C",
    ALTER COLUMN holder_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN owner_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN product_code TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN blockade_reason TYPE TEXT COLLATE "C",
    ALTER COLUMN replaces TYPE TEXT COLLATE "C",
    ALTER COLUMN replaced_by TYPE TEXT COLLATE "C";
ALTER TABLE customer_event_counts
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN event_kind TYPE TEXT COLLATE "C";
ALTER TABLE customers
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN name TYPE TEXT COLLATE "C";
ALTER TABLE event_marks
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN event_kind TYPE TEXT COLLATE "C";
ALTER TABLE events
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN event_kind TYPE TEXT COLLATE "C",
    ALTER COLUMN description TYPE TEXT COLLATE "C",
    ALTER COLUMN event_data_xml TYPE TEXT COLLATE "C";
ALTER TABLE feed_sinks
    ALTER COLUMN sink TYPE TEXT COLLATE "C";
ALTER TABLE idempotency_keys
    ALTER COLUMN principal TYPE TEXT COLLATE "C",
    ALTER COLUMN idempotency_key TYPE TEXT COLLATE "C",
    ALTER COLUMN fingerprint TYPE TEXT COLLATE "C",
    ALTER COLUMN resource_id TYPE TEXT COLLATE "C";
ALTER TABLE mandates
    ALTER COLUMN mandate_number TYPE TEXT COLLATE "C",
    ALTER COLUMN arrangement_number TYPE TEXT COLLATE "C",
    ALTER COLUMN grantor_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN holder_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN nickname TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE orders
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN serial_key TYPE TEXT COLLATE "C",
    ALTER COLUMN duplicate_key TYPE TEXT COLLATE "C",
    ALTER COLUMN card_id TYPE TEXT COLLATE "C",
    ALTER COLUMN arrangement_number TYPE TEXT COLLATE "C",
    ALTER COLUMN owner_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN holder_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN request_json TYPE TEXT COLLATE "C",
    ALTER COLUMN description TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C",
    ALTER COLUMN phase TYPE TEXT COLLATE "C",
    ALTER COLUMN steps_json TYPE TEXT COLLATE "C",
    ALTER COLUMN rejection_reason TYPE TEXT COLLATE "C",
    ALTER COLUMN result_card_id TYPE TEXT COLLATE "C",
    ALTER COLUMN hold_reason TYPE TEXT COLLATE "C";
ALTER TABLE outbox
    ALTER COLUMN topic TYPE TEXT COLLATE "C",
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN kind TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE standing_orders
    ALTER COLUMN owner_customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN debtor_account TYPE TEXT COLLATE "C",
    ALTER COLUMN nickname TYPE TEXT COLLATE "C",
    ALTER COLUMN terms_json TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE webhook_attempts
    ALTER COLUMN error TYPE TEXT COLLATE "C";
ALTER TABLE webhook_deliveries
    ALTER COLUMN message_id TYPE TEXT COLLATE "C",
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN event_type TYPE TEXT COLLATE "C",
    ALTER COLUMN payload TYPE TEXT COLLATE "C",
    ALTER COLUMN status TYPE TEXT COLLATE "C";
ALTER TABLE webhook_subscriptions
    ALTER COLUMN url TYPE TEXT COLLATE "C",
    ALTER COLUMN description TYPE TEXT COLLATE "C",
    ALTER COLUMN event_kinds TYPE TEXT COLLATE "C",
    ALTER COLUMN customer_number TYPE TEXT COLLATE "C",
    ALTER COLUMN secret TYPE TEXT COLLATE "C",
    ALTER COLUMN previous_secret TYPE TEXT COLLATE "C";
