-- The fleet's audit, newest first.
SELECT id, at, actor, actor_source, via, role, action, rollout_id, member, outcome, detail
FROM fleet_control.audit
ORDER BY id DESC
LIMIT :limit;
