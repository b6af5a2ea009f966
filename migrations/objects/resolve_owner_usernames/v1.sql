-- The one resolution rule (docs/design.md, The resolution rule; aliases since 0048), set-based: one row per username given
-- (give each once), whatever their number. The triggers ask it about one name and the backfill
-- about a batch's thousands; called with an array whose contents the planner can see, it plans by
-- their number, so that a batch gets hash joins where one name gets index probes.
--   1. trim the username;
--   2. exactly one user has it exactly: that user;
--   3. exactly one user has it case-insensitively: that user;
--   4. an alias names it exactly (trimmed, case as written): the alias's user;
--   5. otherwise unresolved: ambiguous_username when several users have it case-insensitively,
--      user_not_found when none has. A blank or NULL username is 'blank', and no error.
CREATE OR REPLACE FUNCTION resolve_owner_usernames(p_usernames text[])
RETURNS TABLE (owner_username text, user_id bigint, match_kind text, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT
    candidate.owner_username,
    coalesce(exact.id, folded.only_id, alias.user_id) AS user_id,
    CASE
      WHEN candidate.name = '' THEN 'blank'
      WHEN exact.id IS NOT NULL THEN 'exact'
      WHEN folded.matches = 1 THEN 'case_insensitive'
      WHEN alias.user_id IS NOT NULL THEN 'alias'
      WHEN folded.matches > 1 THEN 'ambiguous'
      ELSE 'not_found'
    END AS match_kind,
    CASE
      WHEN candidate.name = '' OR exact.id IS NOT NULL OR folded.matches = 1 OR alias.user_id IS NOT NULL
        THEN NULL
      WHEN folded.matches > 1 THEN 'ambiguous_username'
      ELSE 'user_not_found'
    END AS reason
  FROM unnest(p_usernames) AS given (owner_username)
  CROSS JOIN LATERAL (SELECT given.owner_username, coalesce(btrim(given.owner_username), '') AS name) AS candidate
  LEFT JOIN app_users AS exact ON exact.username = candidate.name
  CROSS JOIN LATERAL (
    SELECT count(*) AS matches, CASE WHEN count(*) = 1 THEN min(u.id) END AS only_id
    FROM app_users AS u
    WHERE exact.id IS NULL AND candidate.name <> '' AND lower(u.username) = lower(candidate.name)
  ) AS folded
  LEFT JOIN migration_ops.owner_username_aliases AS alias
    ON exact.id IS NULL AND folded.matches <> 1 AND alias.legacy_username = candidate.name
$$
