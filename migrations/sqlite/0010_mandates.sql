-- Mandates (API.md section 9): the owner of an arrangement (the grantor) lets another
-- customer (the holder) act on it, until the grantor revokes it. Days, not instants: a
-- mandate is given and revoked on a business day.
CREATE TABLE mandates (
    mandate_number          TEXT PRIMARY KEY,
    arrangement_number      TEXT NOT NULL REFERENCES arrangements (arrangement_number),
    grantor_customer_number TEXT NOT NULL REFERENCES customers (customer_number),
    holder_customer_number  TEXT NOT NULL REFERENCES customers (customer_number),
    nickname                TEXT,
    status                  TEXT NOT NULL,
    granted_on              DATE NOT NULL,
    revoked_on              DATE
);

CREATE INDEX mandates_by_grantor ON mandates (grantor_customer_number, mandate_number);
CREATE INDEX mandates_by_holder ON mandates (holder_customer_number, mandate_number);
