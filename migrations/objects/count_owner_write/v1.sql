-- Counts one row written through the legacy path ('legacy': a username without an id) or the new
-- one ('new': an id), in a transaction-local setting: a setting, not a table, so that the count
-- costs no write per row. remember_owner_writes() writes the counts of each statement down.
CREATE OR REPLACE FUNCTION migration_ops.count_owner_write(p_path text)
RETURNS text
LANGUAGE sql
AS $$
  SELECT set_config(
    'owner_migration.' || p_path || '_writes',
    (coalesce(nullif(current_setting('owner_migration.' || p_path || '_writes', true), ''), '0')::bigint + 1)::text,
    true)
$$
