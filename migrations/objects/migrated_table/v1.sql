-- What a migrated table {table} has at head, in one transaction: the owner_user_id column and its
-- foreign key (NOT VALID: validated in a transaction of its own), the owner triggers (sync, log),
-- the coverage counts, the write memory, and the guards of the trigger bypass and of the error
-- rows. Its indexes are built CONCURRENTLY by migrated_table_indexes; the functions they call,
-- and their allow-lists, are the other objects of this folder.
ALTER TABLE {table} ADD COLUMN IF NOT EXISTS owner_user_id bigint;
ALTER TABLE {table} ADD CONSTRAINT {table}_owner_user_id_fkey
    FOREIGN KEY (owner_user_id) REFERENCES app_users (id) NOT VALID;

CREATE OR REPLACE TRIGGER {table}_owner_sync_guard
    BEFORE INSERT OR UPDATE OF owner_username, owner_user_id ON {table}
    FOR EACH ROW WHEN (current_setting('owner_migration.backfill', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION sync_owner_reference_fields('owner_migration.synced_{table}');
CREATE OR REPLACE TRIGGER {table}_owner_log_guard
    AFTER INSERT OR UPDATE OF owner_username, owner_user_id ON {table}
    FOR EACH ROW WHEN (NEW.owner_user_id IS NULL)
    EXECUTE FUNCTION log_unresolved_owner_reference('owner_migration.logged_{table}');

CREATE OR REPLACE TRIGGER {table}_coverage_insert
    AFTER INSERT ON {table}
    FOR EACH ROW EXECUTE FUNCTION migration_ops.count_coverage_row_change();
CREATE OR REPLACE TRIGGER {table}_coverage_update
    AFTER UPDATE OF owner_username, owner_user_id ON {table}
    FOR EACH ROW EXECUTE FUNCTION migration_ops.count_coverage_row_change();
CREATE OR REPLACE TRIGGER {table}_coverage_delete
    AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.count_coverage_change();
CREATE OR REPLACE TRIGGER {table}_coverage_truncate
    AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.count_coverage_change();

CREATE OR REPLACE TRIGGER {table}_owner_writes_insert
    AFTER INSERT ON {table}
    FOR EACH ROW EXECUTE FUNCTION
        migration_ops.remember_owner_write('owner_migration.synced_{table}', 'owner_migration.logged_{table}');
CREATE OR REPLACE TRIGGER {table}_owner_writes_update
    AFTER UPDATE OF owner_username, owner_user_id ON {table}
    FOR EACH ROW EXECUTE FUNCTION
        migration_ops.remember_owner_write('owner_migration.synced_{table}', 'owner_migration.logged_{table}');

CREATE OR REPLACE TRIGGER {table}_owner_bypass_check
    BEFORE INSERT OR DELETE OR UPDATE OF owner_username, owner_user_id ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.guard_owner_trigger_bypass();
-- It fires in replica mode too: that is the bypass it guards against.
ALTER TABLE {table} ENABLE ALWAYS TRIGGER {table}_owner_bypass_check;
CREATE OR REPLACE TRIGGER {table}_owner_errors_delete
    AFTER DELETE ON {table} REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.forget_deleted_owner_rows();
CREATE OR REPLACE TRIGGER {table}_owner_errors_truncate
    AFTER TRUNCATE ON {table}
    FOR EACH STATEMENT EXECUTE FUNCTION migration_ops.forget_truncated_owner_rows();
