-- Each customer's event counts (the pages' total-count) kept by a trigger instead of a
-- statement of their own after every insert: a group commit with no idempotency keys is
-- then one statement, so one round trip to SQLite's connection thread and no explicit
-- transaction, where it was five (BEGIN, the next id, the events, the counts, COMMIT).
-- Like the outbox's trigger, no write path (group commits, the engine, imports) can
-- forget it. PostgreSQL keeps its counts in the group's statement (a statement-level
-- upsert there, where a row trigger would cost a function call per event).
CREATE TRIGGER events_counted AFTER INSERT ON events BEGIN
    INSERT INTO customer_event_counts (customer_number, event_kind, event_count)
    VALUES (NEW.customer_number, NEW.event_kind, 1)
    ON CONFLICT (customer_number, event_kind) DO UPDATE SET event_count = event_count + 1;
END;
