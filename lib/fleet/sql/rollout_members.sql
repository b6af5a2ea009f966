-- Every member of a rollout, wave by wave in the fleet file's order.
SELECT member, wave, position, state, steps_done, attempt, problem, skip_reason,
       backfill_run, verify_run, stepped_at,
       extract(epoch FROM now() - stepped_at) AS soaked_seconds
FROM fleet_control.rollout_members
WHERE rollout_id = :rollout_id
ORDER BY wave, position;
