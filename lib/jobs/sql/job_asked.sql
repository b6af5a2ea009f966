-- What an operator has asked of the run meanwhile: its status, and who paused it.
SELECT status, paused_by FROM migration_ops.{runs} WHERE id = :id;
