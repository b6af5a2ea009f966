-- The computed suggestions, one row per username, sent by COPY in the computing transaction.
COPY migration_ops.alias_suggestions (legacy_username, match_kind, rows_by_table, rows, candidates)
FROM STDIN
