-- Unresolved rows with their context, filtered by table, reason and a username substring.
SELECT entity_type, entity_id, entity_name, owner_username, reason, first_seen_at, last_seen_at
FROM migration_ops.unresolved_owner_rows
WHERE entity_type = ANY(:tables)
  AND reason = ANY(:reasons)
  AND strpos(lower(owner_username), lower(:username_contains)) > 0
ORDER BY entity_type, entity_id
LIMIT :limit OFFSET :offset;
