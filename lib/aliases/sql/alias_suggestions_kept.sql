-- When the kept suggestions were computed, from what, and how many usernames they hold that no
-- rule resolves. No row: never computed.
SELECT c.computed_at, c.seconds, c.inputs,
       -- The server's clock, as computed_at is: a console host's may differ.
       extract(epoch FROM clock_timestamp() - c.computed_at)::float8 AS age_seconds,
       count(s.legacy_username) FILTER (WHERE s.match_kind IN ('not_found', 'ambiguous')) AS open_names
FROM migration_ops.alias_suggestions_computed AS c
LEFT JOIN migration_ops.alias_suggestions AS s ON true
GROUP BY c.computed_at, c.seconds, c.inputs;
