-- The writers' record (migration_ops.owner_writers) holds one row per session, table, path and
-- minute at most: the session keeps, in the setting owner_writer_setting(table, path), the key of
-- the minute, application and role it last recorded. A SQL function that the planner inlines, so
-- that the sync trigger's per-row check stays a simple expression.
CREATE OR REPLACE FUNCTION migration_ops.owner_writer_setting(p_table text, p_path text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN 'owner_migration.' || p_path || '_writer_' || p_table
