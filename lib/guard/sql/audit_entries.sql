-- The audit log, newest first, filtered by actor substring, action and outcome.
SELECT at, actor, actor_source, via, role, action, outcome, parameters::text AS parameters, detail
FROM migration_ops.audit_log
WHERE strpos(lower(actor), lower(:actor_contains)) > 0
  AND action = ANY(:actions)
  AND outcome = ANY(:outcomes)
ORDER BY id DESC
LIMIT :limit;
