-- A new rollout, running; the unique index rollouts_one_open refuses it while another is open.
INSERT INTO fleet_control.rollouts (plan, fleet_file, started_by, actor_source, via)
VALUES (CAST(:plan AS jsonb), :fleet_file, :started_by, :actor_source, :via)
RETURNING id;
