-- Playbook step 4: the unresolved remainder by table and reason.
SELECT entity_type, reason, count(*)::int AS cnt
FROM owner_backfill_errors
GROUP BY entity_type, reason
ORDER BY entity_type, reason;
