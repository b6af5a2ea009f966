-- One entry of the fleet's audit, in the control database.
INSERT INTO fleet_control.audit (actor, actor_source, via, role, action, rollout_id, member, outcome, detail)
VALUES (:actor, :actor_source, :via, :role, :action, :rollout_id, :member, :outcome, :detail);
