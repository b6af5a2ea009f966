-- Rows of one migrated table that stay unresolved, into owner_backfill_errors: a new error row,
-- or the existing one with the username and reason of now. Set-based: the log trigger passes
-- one row, a batch or an alias removal passes all of theirs. Returns how many it logged.
CREATE OR REPLACE FUNCTION migration_ops.log_owner_errors(
  p_entity_type text, p_entity_ids bigint[], p_owner_usernames text[], p_reasons text[]
)
RETURNS bigint
LANGUAGE sql
AS $$
  WITH logged AS (
    INSERT INTO owner_backfill_errors AS e (entity_type, entity_id, owner_username, reason)
    SELECT p_entity_type, given.entity_id, given.owner_username, given.reason
    FROM unnest(p_entity_ids, p_owner_usernames, p_reasons) AS given (entity_id, owner_username, reason)
    ON CONFLICT (entity_type, entity_id) DO UPDATE
      SET owner_username = EXCLUDED.owner_username,
          reason = EXCLUDED.reason,
          last_seen_at = now()
    RETURNING 1
  )
  SELECT count(*) FROM logged
$$
