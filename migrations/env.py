"""The CRM schema's revisions (migrations/versions/, and migrations/contract/ under `-n contract`),
run as migrations/running.py runs every environment's."""

from alembic import context

from migrations.running import run_revisions

run_revisions(context)
