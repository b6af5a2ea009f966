-- Candidate owners for each distinct unresolved username (owner_backfill_errors, trimmed), with
-- the evidence for each, best first, at most 5 per username. Candidates are found by keys, never by
-- comparing every username with every user:
--   case_folded       the same username in another case (the competing users of an ambiguous one);
--   normalised        the same letters and digits, ignoring case, spaces and punctuation;
--   email_local_part  the user's e-mail before the @ (or the legacy e-mail's, the username);
--   initial_surname   the legacy name is the user's initial and surname: jsmith, john.smith;
--   near_spelling     dropping one character from each makes the two equal (a typo); names
--                     whose keys are already equal are not near spellings but the same.
-- Every candidate gets its trigram similarity, as pg_trgm computes it, without the extension.
WITH unresolved AS (
  SELECT btrim(e.owner_username) AS legacy_username, e.entity_type, count(*) AS rows
  FROM owner_backfill_errors AS e
  GROUP BY 1, 2
), names AS (
  SELECT u.legacy_username, jsonb_object_agg(u.entity_type, u.rows) AS rows_by_table,
         sum(u.rows)::bigint AS rows, r.match_kind,
         migration_ops.username_key(u.legacy_username) AS name_key
  FROM unresolved AS u
  -- The rule, asked once about every name rather than once per name.
  JOIN resolve_owner_usernames(ARRAY(SELECT DISTINCT x.legacy_username FROM unresolved AS x)) AS r
    ON r.owner_username = u.legacy_username
  GROUP BY u.legacy_username, r.match_kind
), searched AS (
  -- Only what the rule leaves unresolved needs an owner; a key over 64 characters is no username.
  SELECT n.legacy_username, n.name_key,
         CASE WHEN strpos(n.legacy_username, '@') > 1
           THEN migration_ops.username_key(split_part(n.legacy_username, '@', 1)) END AS local_key
  FROM names AS n
  WHERE n.match_kind IN ('not_found', 'ambiguous') AND length(n.name_key) BETWEEN 1 AND 64
), users AS MATERIALIZED (
  SELECT u.id, u.username, u.is_active,
         migration_ops.username_key(u.username) AS user_key,
         migration_ops.username_key(split_part(u.email, '@', 1)) AS email_key,
         migration_ops.initial_surname_key(u.username) AS initials_key
  FROM app_users AS u
), name_variants AS (
  SELECT s.legacy_username, s.name_key AS variant FROM searched AS s
  UNION
  SELECT s.legacy_username, overlay(s.name_key PLACING '' FROM position FOR 1)
  FROM searched AS s, generate_series(1, length(s.name_key)) AS position
  WHERE length(s.name_key) >= 4
), user_variants AS (
  -- Only the variants some legacy name has: a hashed lookup, not a sort of every user's variants.
  SELECT variants.id, variants.variant
  FROM (
    SELECT u.id, u.user_key AS variant FROM users AS u
    UNION ALL
    SELECT u.id, overlay(u.user_key PLACING '' FROM position FOR 1)
    FROM users AS u, generate_series(1, length(u.user_key)) AS position
    WHERE length(u.user_key) BETWEEN 4 AND 65
  ) AS variants
  WHERE variants.variant IN (SELECT v.variant FROM name_variants AS v)
), name_keys AS (
  -- A name's own key, and its e-mail local part's: a user's key or e-mail key may match either.
  SELECT s.legacy_username, s.name_key AS key FROM searched AS s
  UNION
  SELECT s.legacy_username, s.local_key FROM searched AS s WHERE s.local_key IS NOT NULL
), pairs AS (
  -- One equality join per key, so that each is a hash join.
  SELECT s.legacy_username, u.id AS user_id, false AS near_spelling
  FROM searched AS s JOIN users AS u ON lower(u.username) = lower(s.legacy_username)
  UNION
  SELECT k.legacy_username, u.id, false FROM name_keys AS k JOIN users AS u ON u.user_key = k.key
  UNION
  SELECT k.legacy_username, u.id, false FROM name_keys AS k JOIN users AS u ON u.email_key = k.key
  UNION
  SELECT s.legacy_username, u.id, false FROM searched AS s JOIN users AS u ON u.initials_key = s.name_key
  UNION
  SELECT v.legacy_username, uv.id, true FROM name_variants AS v JOIN user_variants AS uv ON uv.variant = v.variant
), candidates AS (
  SELECT p.legacy_username, p.user_id, bool_or(p.near_spelling) AS near_spelling
  FROM pairs AS p
  GROUP BY p.legacy_username, p.user_id
), evidence AS (
  -- Names whose keys are equal are the same name, not a near spelling of it.
  SELECT p.legacy_username, p.near_spelling AND u.user_key <> s.name_key AS near_spelling,
         u.id AS user_id, u.username, u.is_active,
         lower(u.username) = lower(p.legacy_username) AS case_folded,
         u.user_key = s.name_key AS normalised,
         coalesce(u.email_key IN (s.name_key, s.local_key) OR u.user_key = s.local_key, false)
           AS email_local_part,
         coalesce(u.initials_key = s.name_key, false) AS initial_surname,
         migration_ops.username_similarity(p.legacy_username, u.username) AS similarity
  FROM candidates AS p
  JOIN searched AS s ON s.legacy_username = p.legacy_username
  JOIN users AS u ON u.id = p.user_id
), scored AS (
  -- The strongest evidence decides; a near spelling counts for its similarity, at most 0.7.
  SELECT e.*,
         round(greatest(
           CASE WHEN e.case_folded THEN 1.0 ELSE 0 END,
           CASE WHEN e.normalised THEN 0.95 ELSE 0 END,
           CASE WHEN e.email_local_part THEN 0.9 ELSE 0 END,
           CASE WHEN e.initial_surname THEN 0.8 ELSE 0 END,
           least(e.similarity, 0.7)
         )::numeric, 2) AS score
  FROM evidence AS e
), ranked AS (
  SELECT s.*,
         row_number() OVER (
           PARTITION BY s.legacy_username
           ORDER BY s.score DESC, s.similarity DESC, s.is_active DESC, s.user_id
         ) AS rank
  FROM scored AS s
)
SELECT n.legacy_username, n.match_kind, n.rows_by_table, n.rows,
       r.rank, r.user_id, r.username, r.is_active, r.case_folded, r.normalised, r.email_local_part,
       r.initial_surname, r.near_spelling, round(r.similarity::numeric, 3) AS similarity, r.score
FROM names AS n
LEFT JOIN ranked AS r ON r.legacy_username = n.legacy_username AND r.rank <= 5
ORDER BY n.rows DESC, n.legacy_username, r.rank;
