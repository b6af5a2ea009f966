-- The planner's row estimate of the migrated tables: a progress total without a full count.
SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint
FROM pg_class AS c
WHERE c.oid IN (SELECT to_regclass(t) FROM unnest(CAST(:tables AS text[])) AS t);
