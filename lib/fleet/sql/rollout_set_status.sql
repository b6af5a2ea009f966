-- A rollout's new status and what it waits on; finished_at once it can go no further.
UPDATE fleet_control.rollouts
SET status = :status,
    waiting_on = :waiting_on,
    finished_at = CASE WHEN :status IN ('finished', 'cancelled') THEN now() END,
    updated_at = now()
WHERE id = :id;
