-- A member's place in a new rollout: waiting for its wave.
INSERT INTO fleet_control.rollout_members (rollout_id, member, wave, position)
VALUES (:rollout_id, :member, :wave, :position);
