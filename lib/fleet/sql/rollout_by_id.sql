-- One rollout, locked for the caller's transaction: one change of its state at a time.
SELECT id, status, plan, fleet_file, started_by, actor_source, via, started_at, finished_at, waiting_on
FROM fleet_control.rollouts
WHERE id = :id
FOR UPDATE;
