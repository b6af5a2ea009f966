-- Is the remainder of one table visible: are its unresolved rows exactly the ones listed?
SELECT
  (SELECT count(*) FROM {table}
   WHERE owner_user_id IS NULL AND migration_ops.has_legacy_owner(owner_username)) AS unresolved,
  (SELECT count(*) FROM owner_backfill_errors WHERE entity_type = :entity_type) AS listed;
