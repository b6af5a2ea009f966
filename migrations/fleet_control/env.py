"""The fleet's control tables (docs/fleet.md, The control database), in the console's own database
beside the CRM schema, with a version table of their own so that neither history sees the other's."""

from alembic import context

from migrations.running import run_revisions

run_revisions(context, version_table="fleet_control_version")
