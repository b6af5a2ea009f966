-- A member the operator leaves out of the rollout, with their reason.
UPDATE fleet_control.rollout_members
SET state = 'skipped', skip_reason = :reason, updated_at = now()
WHERE rollout_id = :rollout_id AND member = :member;
