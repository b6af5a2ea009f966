-- The member's Alembic revision: the one row of its version table.
SELECT version_num FROM alembic_version;
