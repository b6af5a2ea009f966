-- After a run has filled owner_user_id, fresh statistics for one table, so that the planner sees
-- the few unresolved rows left rather than the millions it saw before (autovacuum would get there
-- later). Without the right to analyze the table, PostgreSQL warns and skips it.
ANALYZE {table};
