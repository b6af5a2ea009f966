"""The fleet's control tables: its rollouts, each member's step in them, and the fleet's audit;
and the task queue's own tables (procrastinate's schema, for the version in requirements.txt).

- `fleet_control.rollouts`: one row per rollout, its plan (the waves, each one's concurrency, the
  soak and the backfill cap) and its status. At most one is open (running, paused or halted), by
  a unique index, so two consoles starting one at once cannot both succeed.
- `fleet_control.rollout_members`: a member's state in a rollout, the steps it has done in its
  current attempt, and what holds it or why it failed.
- `fleet_control.audit`: every fleet action and its outcome, with who acted and through what.

Downgrade leaves everything: the rollouts and the audit are the fleet's history, and procrastinate
has no uninstall script. A later procrastinate version comes with its own revision, applying that
version's migrations.

Revision ID: 0001_fleet_control
Revises:
"""

from alembic import op
from procrastinate.schema import SchemaManager

revision = "0001_fleet_control"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("CREATE SCHEMA fleet_control")
    op.execute("""
        CREATE TABLE fleet_control.rollouts (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            status text NOT NULL DEFAULT 'running'
                CHECK (status IN ('running', 'paused', 'halted', 'finished', 'cancelled')),
            plan jsonb NOT NULL,
            fleet_file text NOT NULL,
            started_by text NOT NULL,
            actor_source text NOT NULL,
            via text NOT NULL,
            started_at timestamptz NOT NULL DEFAULT now(),
            finished_at timestamptz,
            -- What the rollout waits on, in one sentence, as its last look found it.
            waiting_on text,
            updated_at timestamptz NOT NULL DEFAULT now()
        )
    """)
    op.execute("""
        CREATE UNIQUE INDEX rollouts_one_open ON fleet_control.rollouts ((true))
            WHERE status IN ('running', 'paused', 'halted')
    """)
    op.execute("""
        CREATE TABLE fleet_control.rollout_members (
            rollout_id bigint NOT NULL REFERENCES fleet_control.rollouts (id),
            member text NOT NULL,
            wave integer NOT NULL,
            position integer NOT NULL,
            state text NOT NULL DEFAULT 'waiting' CHECK (state IN (
                'waiting', 'queued', 'migrating', 'backfilling', 'verifying', 'gating',
                'passed', 'failed', 'skipped', 'cancelled'
            )),
            steps_done text[] NOT NULL DEFAULT '{}',
            attempt integer NOT NULL DEFAULT 1,
            problem text,
            skip_reason text,
            backfill_run bigint,
            verify_run bigint,
            stepped_at timestamptz,
            updated_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (rollout_id, member)
        )
    """)
    op.execute("""
        CREATE TABLE fleet_control.audit (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            at timestamptz NOT NULL DEFAULT now(),
            actor text NOT NULL,
            actor_source text NOT NULL,
            via text NOT NULL,
            role text NOT NULL CHECK (role IN ('operator', 'viewer')),
            action text NOT NULL,
            rollout_id bigint,
            member text,
            outcome text NOT NULL
                CHECK (outcome IN ('refused', 'started', 'succeeded', 'failed', 'cancelled')),
            detail text
        )
    """)
    schema = SchemaManager.get_schema()
    if op.get_context().as_sql:
        op.execute(schema)
    else:
        # Its PL/pgSQL holds '%' placeholders: sent through the driver as it is, with no parameters
        # to interpolate, in the revision's transaction.
        with op.get_bind().connection.dbapi_connection.cursor() as cursor:
            cursor.execute(schema)


def downgrade() -> None:
    pass
