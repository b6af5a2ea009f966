-- The error rows with the name of each one's entity, by a probe of its table's primary key (a
-- scalar subquery per table: the cost follows the rows read, not the size of the tables). A line
-- that starts @EACH_TABLE@ is written once for each migrated table.
CREATE OR REPLACE VIEW migration_ops.unresolved_owner_rows AS
SELECT e.entity_type, e.entity_id,
       CASE e.entity_type
@EACH_TABLE@ WHEN '{table}' THEN (SELECT t.name FROM {table} AS t WHERE t.id = e.entity_id)
       END AS entity_name,
       e.owner_username, e.reason, e.first_seen_at, e.last_seen_at
FROM owner_backfill_errors AS e
