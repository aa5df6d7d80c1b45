-- Mandate orders (API.md section 9) judge the mandates already given on the accounts
-- they name: an assignment refuses a second active mandate for the same holder.
CREATE INDEX mandates_by_arrangement ON mandates (arrangement_number, mandate_number);
