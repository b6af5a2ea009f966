-- The indexes of a migrated table {table}, one statement a line, each built CONCURRENTLY outside
-- a transaction: the foreign key's, and the unresolved rows' (the coverage denominator's rows
-- without an id; by id for long usernames, by username for the rest).
CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_owner_user_id_idx ON {table} (owner_user_id);
CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_owner_unresolved_idx ON {table} (id) WHERE owner_user_id IS NULL AND btrim(owner_username) <> '';
CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_owner_unresolved_long_username_idx ON {table} (id) WHERE owner_user_id IS NULL AND btrim(owner_username) <> '' AND octet_length(owner_username) > 2000;
CREATE INDEX CONCURRENTLY IF NOT EXISTS {table}_owner_unresolved_short_username_idx ON {table} (owner_username) WHERE owner_user_id IS NULL AND btrim(owner_username) <> '' AND octet_length(owner_username) <= 2000;
