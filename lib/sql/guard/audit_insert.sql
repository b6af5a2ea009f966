INSERT INTO migration_ops.audit_log (actor, actor_source, role, action, parameters, outcome, detail)
VALUES (:actor, :actor_source, :role, :action, CAST(:parameters AS jsonb), :outcome, :detail);
