-- The kept suggestions (alias_suggestions.sql, as the console last computed it) that the review's
-- filters select, most rows first, and how many the filters select in all. A name aliased since
-- they were computed is left out: it is no longer the review's to map.
SELECT s.legacy_username, s.match_kind, s.rows_by_table, s.rows, s.candidates,
       count(*) OVER () AS selected
FROM migration_ops.alias_suggestions AS s
WHERE s.match_kind = ANY(:match_kinds)
  AND strpos(lower(s.legacy_username), lower(:contains)) > 0
  AND (jsonb_array_length(s.candidates) > 0 OR NOT :with_candidates)
  AND NOT EXISTS (
    SELECT 1 FROM migration_ops.owner_username_aliases AS a WHERE a.legacy_username = s.legacy_username
  )
ORDER BY s.rows DESC, s.legacy_username
LIMIT :limit;
