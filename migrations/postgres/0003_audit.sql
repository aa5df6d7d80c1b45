-- Who did what, when, to which order or event: every changing request a verified token
-- made, whatever its outcome.
CREATE TABLE audit_records (
    audit_id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recorded_at     TIMESTAMPTZ NOT NULL,
    subject         TEXT        NOT NULL,
    client          TEXT,
    acting_for      TEXT,
    method          TEXT        NOT NULL,
    path            TEXT        NOT NULL,
    target          TEXT,
    status          INTEGER     NOT NULL,
    request_id      TEXT
);

CREATE INDEX audit_by_subject ON audit_records (subject, audit_id);
CREATE INDEX audit_by_target ON audit_records (target, audit_id);
