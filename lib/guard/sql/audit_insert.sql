INSERT INTO migration_ops.audit_log (actor, actor_source, via, role, action, parameters, outcome, detail)
VALUES (:actor, :actor_source, :via, :role, :action, CAST(:parameters AS jsonb), :outcome, :detail);
