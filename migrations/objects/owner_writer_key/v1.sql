-- The key of this session's minute, role and application in the writers' record (see
-- owner_writer_setting).
CREATE OR REPLACE FUNCTION migration_ops.owner_writer_key()
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
RETURN date_trunc('minute', now())::text || ' ' || current_user || ' ' || current_setting('application_name')
