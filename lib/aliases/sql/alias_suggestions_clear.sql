-- Readers keep seeing the previous suggestions until the new ones commit.
DELETE FROM migration_ops.alias_suggestions;
