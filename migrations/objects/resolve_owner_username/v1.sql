CREATE OR REPLACE FUNCTION resolve_owner_username(p_username text)
RETURNS TABLE (user_id bigint, match_kind text, reason text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT
    coalesce(exact.id, folded.only_id) AS user_id,
    CASE
      WHEN candidate.name = '' THEN 'blank'
      WHEN exact.id IS NOT NULL THEN 'exact'
      WHEN folded.matches = 1 THEN 'case_insensitive'
      WHEN folded.matches > 1 THEN 'ambiguous'
      ELSE 'not_found'
    END AS match_kind,
    CASE
      WHEN candidate.name = '' OR exact.id IS NOT NULL OR folded.matches = 1 THEN NULL
      WHEN folded.matches > 1 THEN 'ambiguous_username'
      ELSE 'user_not_found'
    END AS reason
  FROM (SELECT coalesce(btrim(p_username), '') AS name) AS candidate
  LEFT JOIN app_users AS exact ON exact.username = candidate.name
  CROSS JOIN LATERAL (
    SELECT count(*) AS matches, CASE WHEN count(*) = 1 THEN min(u.id) END AS only_id
    FROM app_users AS u
    WHERE exact.id IS NULL AND candidate.name <> '' AND lower(u.username) = lower(candidate.name)
  ) AS folded
$$
