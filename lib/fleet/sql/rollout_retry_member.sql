-- A failed member goes on from the step that failed; a member held at its gates runs its
-- backfill and verify again, which are what change coverage and drift. Either is a new attempt.
UPDATE fleet_control.rollout_members
SET state = 'queued',
    problem = NULL,
    steps_done = CASE WHEN state = 'gating'
                      THEN array_remove(array_remove(steps_done, 'backfill'), 'verify')
                      ELSE steps_done END,
    attempt = attempt + 1,
    updated_at = now()
WHERE rollout_id = :rollout_id AND member = :member;
