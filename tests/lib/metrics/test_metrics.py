"""`python -m lib.cli metrics`: a real scrape over HTTP, checked by Prometheus's own promtool, whose
step-3 counts equal the playbook's SQL and whose other series follow the database."""

import signal
import subprocess

from sqlalchemy import text

from lib.finish.readiness import GATE_IDS
from lib.guard.identity import local_identity
from lib.guard.triggers import set_triggers
from lib.registry import MIGRATED_TABLES, TRIGGER_KINDS, trigger_name
from tests.support.cli import cli, url_of
from tests.support.crm import cli_backfill
from tests.support.evidence import forget_snapshots, wait_for_snapshots
from tests.support.metrics import metrics_endpoint, samples, scrape
from tests.support.playbook import playbook_coverage
from tests.support.polling import wait_for
from tests.support.site import set_site_setting


def value(found: dict, name: str, **labels: str) -> float:
    return found[(f"owner_migration_{name}", frozenset(labels.items()))]


def test_the_metrics_server_takes_the_readiness_evidence_whether_scraped_or_not(demo_db):
    forget_snapshots(demo_db)
    with metrics_endpoint(demo_db):
        wait_for_snapshots(demo_db, "lib.cli metrics, never scraped")


def test_a_scrape_passes_promtool_and_its_step_3_counts_equal_the_playbook(demo_db):
    with metrics_endpoint(demo_db) as url:
        body = scrape(url)
    checked = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    found = samples(body)
    with demo_db.connect() as connection:
        for table in MIGRATED_TABLES:
            total_legacy, resolved_fk, resolved_pct = playbook_coverage(connection, table)
            assert value(found, "total_legacy", table=table) == total_legacy
            assert value(found, "resolved_fk", table=table) == resolved_fk
            assert value(found, "resolved_percent", table=table) == float(resolved_pct)
        step4 = connection.execute(
            text("SELECT entity_type, reason, count(*) FROM owner_backfill_errors GROUP BY 1, 2")
        ).all()
    for table, reason, count in step4:
        assert value(found, "unresolved_rows", table=table, reason=reason) == count
    assert value(found, "unresolved_rows", table=MIGRATED_TABLES[0], reason="pending_backfill") == 0
    assert value(found, "up") == 1
    assert value(found, "target_percent") == 99
    # The gates by their stable ids, each with its sentence as a label of its own.
    gates = {
        dict(labels)["gate"]: (dict(labels)["name"], held)
        for (name, labels), held in found.items()
        if name == "owner_migration_readiness_gate"
    }
    assert list(gates) == list(GATE_IDS)
    assert gates["coverage_held_crm_accounts"] == ("Coverage of crm_accounts held at or above 99%", 0)
    assert gates["foreign_keys_validated"][1] == 1


def test_the_scrape_follows_the_triggers_and_a_backfill_run(demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    done = cli("backfill", database_url=url_of(demo_db))
    assert done.returncode == 0, done.stderr
    with demo_db.connect() as connection:
        set_triggers(connection, [trigger_name("crm_accounts", kind) for kind in TRIGGER_KINDS], enable=False)
    with metrics_endpoint(demo_db) as url:
        found = samples(scrape(url))
    for kind in TRIGGER_KINDS:
        for table, enabled in (("crm_accounts", 0), ("crm_opportunities", 1)):
            trigger = trigger_name(table, kind)
            assert value(found, "trigger_enabled", table=table, kind=kind, trigger=trigger) == enabled
    assert value(found, "backfill_status", status="succeeded") == 1
    assert value(found, "backfill_status", status="running") == 0
    assert value(found, "backfill_held", signal="replica_lag") == 0
    assert value(found, "backfill_progress_ratio") > 0
    assert value(found, "ready") == 0


def test_a_killed_run_is_scraped_as_interrupted_not_running(demo_db):
    """No console needs to be open: the metrics server's background jobs settle a run whose
    process died, within a tick."""
    process = cli_backfill(demo_db, "--batch-size", "100", "--pause-ms", "200")
    assert process.stdout.readline()  # its first progress line: the run is under way
    process.send_signal(signal.SIGKILL)
    process.wait()
    process.stdout.close()
    process.stderr.close()
    # Its backend goes once it finds its client gone, and its lock with it.
    wait_for(lambda: advisory_locks(demo_db) == 0, "the killed runner's lock to go")
    with metrics_endpoint(demo_db) as url:

        def scraped() -> dict:
            return samples(scrape(url))

        wait_for(lambda: value(scraped(), "backfill_status", status="interrupted") == 1, "the run settled")
        found = scraped()
    assert value(found, "backfill_status", status="running") == 0
    assert value(found, "backfill_status", status="interrupted") == 1


def advisory_locks(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                 "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")
        ).scalar()  # fmt: skip
