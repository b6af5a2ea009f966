-- A member's new state in a rollout, and what holds it now (or NULL); with :step_done, the step
-- it has just done, and with :stepped, the end of its last step, from which its soak counts.
UPDATE fleet_control.rollout_members
SET state = :state,
    problem = :problem,
    steps_done = CASE WHEN CAST(:step_done AS text) IS NULL THEN steps_done
                      ELSE array_append(steps_done, CAST(:step_done AS text)) END,
    backfill_run = coalesce(CAST(:backfill_run AS bigint), backfill_run),
    verify_run = coalesce(CAST(:verify_run AS bigint), verify_run),
    stepped_at = CASE WHEN :stepped THEN now() ELSE stepped_at END,
    updated_at = now()
WHERE rollout_id = :rollout_id AND member = :member;
