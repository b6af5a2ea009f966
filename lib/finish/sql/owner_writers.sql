-- Who wrote owner fields in the last :days UTC days, per table and day, by application_name and
-- database role: rows written through the legacy path (owner_username without owner_user_id)
-- and through the new one (owner_user_id), each with when it was last seen.
SELECT day, entity_type, application_name, role,
       sum(legacy_writes)::bigint AS legacy_writes,
       sum(new_writes)::bigint AS new_writes,
       max(last_legacy_at) AS last_legacy_at,
       max(last_new_at) AS last_new_at
FROM migration_ops.owner_writers
WHERE day > (now() AT TIME ZONE 'UTC')::date - CAST(:days AS integer)
GROUP BY day, entity_type, application_name, role
ORDER BY day DESC, entity_type, sum(legacy_writes) DESC, application_name, role;
