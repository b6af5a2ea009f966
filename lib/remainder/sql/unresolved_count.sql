-- How many unresolved rows the same filter finds.
SELECT count(*)
FROM migration_ops.unresolved_owner_rows
WHERE entity_type = ANY(:tables)
  AND reason = ANY(:reasons)
  AND strpos(lower(owner_username), lower(:username_contains)) > 0;
