-- Playbook step 3: backfill coverage of one migrated table.
WITH s AS (
  SELECT
    count(*) FILTER (WHERE owner_username IS NOT NULL AND btrim(owner_username) <> '') AS total_legacy,
    count(*) FILTER (WHERE owner_user_id IS NOT NULL) AS resolved_fk
  FROM {table}
)
SELECT
  total_legacy,
  resolved_fk,
  CASE
    WHEN total_legacy = 0 THEN 100
    ELSE round((resolved_fk::numeric / total_legacy::numeric) * 100, 2)
  END AS resolved_pct
FROM s;
