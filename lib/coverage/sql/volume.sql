-- Playbook preflight: volume of legacy data in one migrated table.
SELECT count(*) AS total_with_owner
FROM {table}
WHERE owner_username IS NOT NULL AND btrim(owner_username) <> '';
