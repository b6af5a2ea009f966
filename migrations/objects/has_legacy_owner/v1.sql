-- The playbook's "has an owner": the rows in the coverage denominator, total_legacy. A SQL
-- function that the planner inlines, so a query that calls it still matches the partial indexes
-- on `owner_user_id IS NULL AND btrim(owner_username) <> ''`.
CREATE OR REPLACE FUNCTION migration_ops.has_legacy_owner(p_owner_username text)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN p_owner_username IS NOT NULL AND btrim(p_owner_username) <> ''
