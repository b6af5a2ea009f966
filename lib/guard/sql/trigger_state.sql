-- State of the owner triggers, from pg_trigger.tgenabled: O = enabled, D = disabled,
-- R = fires only in replica sessions, A = always.
SELECT c.relname AS table_name, t.tgname AS trigger_name, t.tgenabled AS enabled_code
FROM pg_trigger AS t
JOIN pg_class AS c ON c.oid = t.tgrelid
WHERE NOT t.tgisinternal AND t.tgname = ANY(:trigger_names);
