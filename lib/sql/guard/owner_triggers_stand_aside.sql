-- Until the transaction ends, the owner triggers stand aside, as inside a backfill batch: the
-- statements that follow fill owner_user_id only and keep owner_backfill_errors themselves.
SELECT set_config('owner_migration.backfill', 'on', true);
