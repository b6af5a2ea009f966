"""The forecast to the target and the next step per table, and what the snapshots say of the way
there: never an ETA against the advice."""

from decimal import Decimal

from sqlalchemy import text

from lib.finish.next_step import AT_TARGET, BACKFILL, REMEDIATE, next_steps
from tests.support.crm import unfill


def steps_of(engine) -> dict:
    with engine.connect() as connection:
        return {step.table: step for step in next_steps(connection)}


def snapshots(
    engine, before: float, now: float, minutes_ago: int = 7 * 24 * 60 - 1, table="crm_accounts"
) -> None:
    """Two coverage snapshots of `table`: `minutes_ago` (by default, the window's whole span) and now."""
    with engine.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO migration_ops.coverage_snapshots
                  (taken_at, entity_type, total_legacy, resolved_fk, resolved_pct, reason)
                VALUES (now() - make_interval(mins => :minutes_ago), :table, 100, 98, :before, 'interval'),
                       (now(), :table, 100, 98, :now, 'interval')
            """),
            {"before": before, "now": now, "minutes_ago": minutes_ago, "table": table},
        )


def test_below_target_with_nothing_to_backfill_it_counts_the_rows_to_remediate(demo_db):
    step = steps_of(demo_db)["crm_accounts"]
    assert (step.step, step.backfill_resolves) == (REMEDIATE, 0)
    assert step.advice().startswith(
        f"No backfill can reach it; {step.rows_short} more rows must be remediated"
    )
    with demo_db.connect() as connection:
        total, resolved = connection.execute(
            text("SELECT sum(total_legacy), sum(resolved_fk) FROM migration_ops.coverage_counts "
                 "WHERE entity_type = 'crm_accounts'")
        ).one()  # fmt: skip
        pct = text("SELECT migration_ops.resolved_pct(CAST(:total AS bigint), CAST(:resolved AS bigint))")
        # Exactly that many: one row fewer stays below the target.
        enough, short = (
            connection.execute(pct, {"total": total, "resolved": resolved + rows}).scalar_one()
            for rows in (step.rows_short, step.rows_short - 1)
        )
    assert short < 99 <= enough
    assert sum(step.remainder.values()) == total - resolved


def test_when_a_backfill_reaches_the_target_that_is_the_step(demo_db):
    with demo_db.begin() as connection:
        unfill(connection, "crm_opportunities")
    step = steps_of(demo_db)["crm_opportunities"]
    assert (step.step, step.rows_short) == (BACKFILL, 0)
    assert step.backfill_resolves > 0
    resolves, reaches = f"{step.backfill_resolves:,}", step.pct_after_backfill
    assert step.advice() == f"Run the backfill: it resolves {resolves} rows and reaches {reaches}%."


def test_no_eta_when_no_backfill_can_reach_the_target(demo_db):
    """The first-day case: the next step says remediation, so the pace gives no time to the target,
    even over a whole window of rising snapshots."""
    steps = steps_of(demo_db)
    assert steps["crm_opportunities"].step == AT_TARGET
    assert (
        steps["crm_accounts"].pace() == "No pace yet: fewer than two coverage snapshots in the last 7 days."
    )
    snapshots(demo_db, before=97.00, now=98.50)
    step = steps_of(demo_db)["crm_accounts"]
    assert step.step == REMEDIATE and step.days_to_target_at_pace is None
    assert step.pace() == (
        "Coverage moved +1.50 pts (97.00% → 98.50%) over the last 7 days; the target comes with the "
        "remediation above, not at a pace."
    )


def test_a_history_shorter_than_the_window_is_no_pace(demo_db):
    """Two one-off fixes twenty minutes apart are not a daily rate."""
    snapshots(demo_db, before=98.00, now=98.46, minutes_ago=20)
    step = steps_of(demo_db)["crm_accounts"]
    assert step.days_to_target_at_pace is None
    assert step.pace() == (
        "Coverage moved +0.46 pts (98.00% → 98.46%) over the 20 min of snapshots so far: too short a "
        "history for a pace, which takes 7 days of snapshots."
    )


def test_with_a_backfill_to_run_the_pace_of_a_whole_window_says_when_the_target_comes(demo_db):
    with demo_db.begin() as connection:
        unfill(connection, "crm_opportunities")
    snapshots(demo_db, before=96.25, now=98.00, table="crm_opportunities")
    step = steps_of(demo_db)["crm_opportunities"]
    assert step.step == BACKFILL
    pace = step.trend.pts_per_day
    assert round(pace, 4) == Decimal("0.25")
    assert step.days_to_target_at_pace == float((99 - step.resolved_pct) / pace)
    assert step.pace().startswith(
        "Without a run, at the last 7 days' pace (+0.25 pts a day), the target is about "
    )


def test_a_flat_pace_says_coverage_has_not_risen(demo_db):
    with demo_db.begin() as connection:
        unfill(connection, "crm_opportunities")
    snapshots(demo_db, before=98.00, now=98.00, table="crm_opportunities")
    assert steps_of(demo_db)["crm_opportunities"].pace() == (
        "Coverage moved +0.00 pts (98.00% → 98.00%) over the last 7 days: coverage has not risen."
    )
