"""The forecast to the target and the next step per table (DESIGN §9)."""

from sqlalchemy import text

from lib.finish.next_step import AT_TARGET, BACKFILL, REMEDIATE, next_steps
from tests.crm import unfill


def steps_of(engine) -> dict:
    with engine.connect() as connection:
        return {step.table: step for step in next_steps(connection)}


def accounts_snapshots(engine, two_days_ago: float, now: float) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO migration_ops.coverage_snapshots
                  (taken_at, entity_type, total_legacy, resolved_fk, resolved_pct, reason)
                VALUES (now() - interval '2 days', 'crm_accounts', 100, 98, :before, 'interval'),
                       (now(), 'crm_accounts', 100, 98, :now, 'interval')
            """),
            {"before": two_days_ago, "now": now},
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


def test_the_pace_of_the_snapshots_says_when_the_target_comes(demo_db):
    steps = steps_of(demo_db)
    assert steps["crm_opportunities"].step == AT_TARGET
    no_pace = "No pace yet: fewer than two coverage snapshots in the last 7 days."
    assert steps["crm_accounts"].pace() == no_pace
    accounts_snapshots(demo_db, two_days_ago=98.00, now=98.50)
    step = steps_of(demo_db)["crm_accounts"]
    assert step.pace_pts_per_day == 0.25
    assert step.days_to_target_at_pace == float((99 - step.resolved_pct) * 4)  # at 0.25 pts a day
    assert step.pace().startswith("At the last 7 days' pace (+0.250 pts a day), the target is about ")


def test_a_flat_pace_says_coverage_has_not_risen(demo_db):
    accounts_snapshots(demo_db, two_days_ago=98.00, now=98.00)
    flat = "Coverage has not risen over the last 7 days of snapshots."
    assert steps_of(demo_db)["crm_accounts"].pace() == flat
