-- The open rollout (running, paused or halted), or else the latest one.
SELECT id, status, plan, fleet_file, started_by, actor_source, via, started_at, finished_at, waiting_on
FROM fleet_control.rollouts
ORDER BY status IN ('running', 'paused', 'halted') DESC, id DESC
LIMIT 1;
