-- Deposit terms (API.md section 9): a deposit earns interest at its annual rate, in basis
-- points, from `interest_from` (the day it was opened, or its interest last paid out).
-- What an early termination pays is computed from them. Both are NULL for the other kinds.
ALTER TABLE arrangements ADD COLUMN interest_rate_bp INTEGER;
ALTER TABLE arrangements ADD COLUMN interest_from DATE;
