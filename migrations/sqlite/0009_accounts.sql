-- Accounts (API.md section 9): every arrangement is an account of a kind, in one
-- currency, with a balance counted in the currency's minor unit (an integer: exact, never
-- a float) and a lifecycle status. The status replaces the card-only `active` flag, so
-- that an account's state is written in one place: card rules read `status = 'active'`.
ALTER TABLE arrangements ADD COLUMN kind TEXT NOT NULL DEFAULT 'card-account';
ALTER TABLE arrangements ADD COLUMN product_name TEXT NOT NULL DEFAULT '';
ALTER TABLE arrangements ADD COLUMN currency_code TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE arrangements ADD COLUMN balance_minor INTEGER NOT NULL DEFAULT 0;
ALTER TABLE arrangements ADD COLUMN status TEXT NOT NULL DEFAULT 'active';
ALTER TABLE arrangements ADD COLUMN linked_arrangement_number TEXT REFERENCES arrangements (arrangement_number);

UPDATE arrangements
   SET status = CASE WHEN active <> 0 THEN 'active' ELSE 'terminated' END,
       product_name = product_code;
ALTER TABLE arrangements DROP COLUMN active;

CREATE INDEX arrangements_by_owner ON arrangements (owner_customer_number, arrangement_number);
