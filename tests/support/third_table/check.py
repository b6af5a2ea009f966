"""Every part of the console over three migrated tables, run in a copy of the repository whose
registry lists crm_leads and whose migrations end with crm_leads_revision.py
(tests/migrations/test_third_table.py makes the copy). `python -m tests.support.third_table.check
DATABASE_URL`, on a database never migrated: it prints what it checked, and exits 1 on the first
part that leaves crm_leads out."""

import io
import os
import subprocess
import sys

from prometheus_client import generate_latest
from sqlalchemy import text
from streamlit.testing.v1 import AppTest

from lib import registry
from lib.backfill.task import run_backfill
from lib.coverage.counts import table_coverage
from lib.db.database import create_engine_for
from lib.db.schema import downgrade, upgrade
from lib.db.settings import PROJECT_ROOT, parse_database_url
from lib.demo.generator import load_demo
from lib.drift.verify import Verify, run_verify
from lib.finish.next_step import next_steps
from lib.finish.readiness import readiness, readiness_settings
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from lib.metrics.server import metrics_registry
from lib.remainder.unresolved import UnresolvedFilter, write_csv
from tests.support.crm import error_rows, unfill, unresolved_rows

TABLE = "crm_leads"
# The pages that list every migrated table.
LISTING_PAGES = ("overview", "coverage", "unresolved", "finish")
# Small batches: every table takes several.
SETTINGS = BatchSettings(batch_size=500)


def check(url: str) -> None:
    assert registry.MIGRATED_TABLES[-1] == TABLE, registry.MIGRATED_TABLES
    engine = create_engine_for(parse_database_url(url))
    with engine.connect() as connection:
        upgrade(connection, "head")
        load_demo(connection, 1_000, 2_000)
        # A lead for each account, owned as it is, and none resolved yet: the backfill has them to do.
        leads = connection.execute(
            text(
                "INSERT INTO crm_leads (name, owner_username)"
                " SELECT 'lead ' || id, owner_username FROM crm_accounts"
            )
        ).rowcount
        for table in registry.MIGRATED_TABLES:
            unfill(connection, table)
        connection.execute(text("DELETE FROM owner_backfill_errors"))
        connection.execute(text("SELECT migration_ops.recount_coverage(:table)"), {"table": TABLE})
        connection.commit()
        assert {row.table: row.resolved_fk for row in table_coverage(connection)}[TABLE] == 0
    said("migrated to head with crm_leads; its rows unresolved", leads)

    # What the objects made of crm_leads is what the revisions made of crm_accounts.
    with engine.connect() as connection:
        first = registry.MIGRATED_TABLES[0]
        theirs = {line.replace(first, TABLE) for line in definitions(connection, first)}
        ours = definitions(connection, TABLE)
    assert ours == theirs, ours ^ theirs
    said(f"triggers, their states, indexes and foreign key, as {first} has them", len(ours))

    backfill = run_backfill(engine, SETTINGS, "ops.lead", "cli")
    with engine.connect() as connection:
        run = connection.execute(
            text("SELECT * FROM migration_ops.backfill_runs WHERE id = :id"), {"id": backfill.run_id}
        ).one()
        coverage = {row.table: row for row in table_coverage(connection)}
        leads_resolved = connection.execute(
            text("SELECT count(*) FROM crm_leads WHERE owner_user_id IS NOT NULL")
        ).scalar_one()
        assert set(error_rows(connection)) == unresolved_rows(connection)
    assert backfill.status == "succeeded" and TABLE in run.tables_done, (backfill, run.tables_done)
    assert coverage[TABLE].resolved_fk == leads_resolved > 0, coverage[TABLE]
    said("the backfill resolved crm_leads rows, and its errors equal its unresolved rows", leads_resolved)

    status = subprocess.run(
        [sys.executable, "-m", "lib.cli", "status"],
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert TABLE in status, status
    said("lib.cli status lines naming crm_leads", sum(TABLE in line for line in status.splitlines()))

    verified = run_verify(engine, Verify(SETTINGS, "ops.lead", "cli"))
    with engine.connect() as connection:
        run = connection.execute(
            text("SELECT * FROM migration_ops.verify_runs WHERE id = :id"), {"id": verified.run_id}
        ).one()
    assert verified.status == "passed" and TABLE in run.tables_done, (verified, run.tables_done)
    said("verify passed over every table, crm_leads among them", run.rows_scanned)

    csv = io.BytesIO()
    with engine.connect() as connection:
        exported = write_csv(connection, UnresolvedFilter(tables=(TABLE,)), csv)
        expected = sum(1 for table, _ in error_rows(connection) if table == TABLE)
    assert exported == expected > 0 and f"\n{TABLE},".encode() in csv.getvalue(), (exported, expected)
    said("unresolved crm_leads rows exported", exported)

    body = generate_latest(metrics_registry(engine, ThrottleSettings(), readiness_settings())).decode()
    listed = [line for line in body.splitlines() if f'table="{TABLE}"' in line]
    assert listed, "no metric names crm_leads"
    said("metric samples naming crm_leads", len(listed))

    with engine.connect() as connection:
        gates = [gate for gate in readiness(connection, readiness_settings()) if gate.table == TABLE]
        steps = [step for step in next_steps(connection) if step.table == TABLE]
    assert gates and steps, (gates, steps)
    said("readiness gates and next steps for crm_leads", len(gates) + len(steps))

    os.environ["DATABASE_URL"] = url
    for page in registry.PAGES:
        app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        if page != registry.PAGES[0]:
            app.switch_page(page.file)
        app.run()
        assert not app.exception, (page.name, [exception.value for exception in app.exception])
        assert not app.error, (page.name, [error.value for error in app.error])
        assert page.name not in LISTING_PAGES or TABLE in shown_text(app), f"{page.name} leaves {TABLE} out"
        said(f"page {page.name} renders", 1)

    # And back: the revision's downgrade leaves the two tables as head had them.
    with engine.connect() as connection:
        downgrade(connection, "-1")
        left = connection.execute(text("SELECT to_regclass('crm_leads')")).scalar_one()
        errors = connection.execute(
            text("SELECT count(*) FROM owner_backfill_errors WHERE entity_type = :table"), {"table": TABLE}
        ).scalar_one()
        refused = connection.execute(
            text("SELECT prosrc LIKE '%crm_leads%' FROM pg_proc WHERE proname = 'backfill_owner_batch'")
        ).scalar_one()
    assert (left, errors, refused) == (None, 0, False), (left, errors, refused)
    said("downgraded: crm_leads and its rows gone from the allow-lists and the errors", 0)
    engine.dispose()


def definitions(connection, table: str) -> set[str]:
    """The table's triggers (each with its enabled state), indexes and foreign keys, as PostgreSQL
    prints them."""
    rows = connection.execute(
        text("""
            SELECT pg_get_triggerdef(t.oid) || ' ' || CAST(t.tgenabled AS text) FROM pg_trigger AS t
            WHERE t.tgrelid = to_regclass(:table) AND NOT t.tgisinternal
            UNION ALL
            SELECT pg_get_indexdef(i.indexrelid) FROM pg_index AS i
            WHERE i.indrelid = to_regclass(:table) AND NOT i.indisprimary
            UNION ALL
            SELECT c.conname || ' ' || pg_get_constraintdef(c.oid) || ' ' || CAST(c.convalidated AS text)
            FROM pg_constraint AS c
            WHERE c.conrelid = to_regclass(:table) AND c.contype = 'f'
        """),
        {"table": table},
    )
    return {row[0] for row in rows}


def shown_text(app: AppTest) -> str:
    """Everything a page wrote as text, and the cells of its tables."""
    parts = [
        str(element.value)
        for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "success")
        for element in getattr(app, kind)
    ]
    parts += [metric.label for metric in app.metric]
    parts += [element.value.to_csv() for element in (*app.dataframe, *app.table)]
    return "\n".join(parts)


def said(what: str, count: int) -> None:
    print(f"{what}: {count:,}", flush=True)


if __name__ == "__main__":
    check(sys.argv[1])
