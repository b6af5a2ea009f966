-- Until the transaction ends, the owner triggers stand aside, as inside a backfill batch: the
-- statements that follow fill owner_user_id only and keep owner_backfill_errors themselves
-- (migrations/objects/stand_owner_triggers_aside).
SELECT migration_ops.stand_owner_triggers_aside();
