-- Visitor hashes that cannot be reversed from the database, and questions counted per visitor
-- (issue 26). Not part of the Supabase vector store: no markers.
--
-- analytics_salt kept one salt for ever beside the hashes it made: anyone reading the database
-- could hash every IPv4 address with it (about 100 minutes of one core) and read the addresses
-- back. Now one salt per UTC day (analytics_salts): a hash is made with the salt of its day, and
-- the salts of the days before yesterday are deleted (store.monitoring.prune), so older hashes can
-- be neither reversed nor joined with another day's.
DROP TABLE IF EXISTS analytics_salt;
CREATE TABLE IF NOT EXISTS analytics_salts (
    day   date PRIMARY KEY,
    salt  bytea NOT NULL
);
-- Hashes made with the dropped salt: never joinable with the new ones, so they would count their
-- clients twice in "active users" until pruned.
DELETE FROM client_activity;

-- The visitor who asked (the day-salted hash of the client address, as in client_activity): the
-- frequent-questions list shows only questions asked by more than one visitor. NULL for rows
-- stored before this migration, which the list therefore leaves out.
ALTER TABLE search_questions ADD COLUMN IF NOT EXISTS visitor_hash text;
