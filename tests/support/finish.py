"""The steps that bring the demo CRM to readiness (docs/design.md, The finish line), with time moved
by ageing the evidence rather than waited for."""

from sqlalchemy import Engine, text

from lib.aliases.store import ProposedAlias
from lib.backfill.task import run_backfill
from lib.coverage.snapshots import take_due_snapshots
from lib.drift.verify import Verify, run_verify
from lib.finish.readiness import readiness, readiness_settings
from lib.guard.actions import add_aliases
from lib.guard.identity import Identity
from lib.jobs.settings import BatchSettings

OPERATOR = Identity("lead@example.com", "oidc")
DEFAULTS = readiness_settings({})

# Every timestamp the gates read, moved back by :days days. (The audit log is append-only, so
# the tests that need a trigger change in it make it now.)
AGE_EVIDENCE = """
UPDATE migration_ops.coverage_snapshots SET taken_at = taken_at - make_interval(days => :days);
UPDATE migration_ops.owner_writers_watch SET started_at = started_at - make_interval(days => :days);
UPDATE migration_ops.owner_writers
SET day = day - :days,
    last_legacy_at = last_legacy_at - make_interval(days => :days),
    last_new_at = last_new_at - make_interval(days => :days);
UPDATE migration_ops.verify_runs
SET started_at = started_at - make_interval(days => :days),
    finished_at = finished_at - make_interval(days => :days);
UPDATE migration_ops.backfill_runs
SET started_at = started_at - make_interval(days => :days),
    finished_at = finished_at - make_interval(days => :days);
"""


def age_evidence(engine: Engine, days: int) -> None:
    with engine.begin() as connection:
        for statement in filter(str.strip, AGE_EVIDENCE.split(";")):
            connection.execute(text(statement), {"days": days})


def remediate_accounts(engine: Engine) -> None:
    """What an ops lead does on the Remediation page: map each username that matches no user to
    one, as an alias, then re-run the backfill."""
    with engine.connect() as connection:
        names = connection.execute(
            text("""
                SELECT DISTINCT btrim(owner_username) FROM owner_backfill_errors
                WHERE entity_type = 'crm_accounts' AND reason = 'user_not_found'
            """)
        ).scalars()
        owner = connection.execute(text("SELECT min(id) FROM app_users WHERE is_active")).scalar_one()
        proposals = [ProposedAlias(name, user_id=owner) for name in names]
    added = add_aliases(engine, OPERATOR, proposals, "cli", "remediation in the finish-line test")
    assert not added.check.rejected
    assert run_backfill(engine, BatchSettings(), "ops.lead", "cli").status == "succeeded"


def verify_passes(engine: Engine) -> None:
    assert run_verify(engine, Verify(BatchSettings(batch_size=5_000), "ops.lead", "cli")).status == "passed"


def bring_to_readiness(engine: Engine) -> None:
    """Remediate, snapshot, let a week and a day pass, snapshot again, verify: every gate holds."""
    remediate_accounts(engine)
    with engine.connect() as connection:
        take_due_snapshots(connection)
    age_evidence(engine, 8)
    with engine.connect() as connection:
        take_due_snapshots(connection)
    verify_passes(engine)
    with engine.connect() as connection:
        failing = [gate for gate in readiness(connection, DEFAULTS) if not gate.holds]
    assert failing == []
