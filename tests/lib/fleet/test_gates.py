"""A member's gates in a rollout, read from a real member database: coverage at the target or out
of any backfill's reach, a verify without drift, no failed run, the soak."""

from lib.coverage.counts import table_coverage
from lib.fleet.gates import first_failing, member_gates
from lib.guard.actions import verify
from lib.guard.identity import local_identity
from lib.jobs.settings import BatchSettings
from tests.support.crm import behind_the_triggers


def gates_of(engine, soaked=600, soak=600):
    with engine.connect() as connection:
        return member_gates(connection, soaked, soak)


def test_a_table_below_the_target_passes_when_no_backfill_can_reach_its_rest(demo_db):
    with demo_db.connect() as connection:
        below = [row.table for row in table_coverage(connection) if not row.meets_target]
    assert below, "the demo has a table below the target"
    gates = gates_of(demo_db)
    coverage = {gate.evidence.split(" ")[0]: gate for gate in gates if gate.name == "coverage"}
    for table in below:
        assert coverage[table].holds
        assert "no backfill can reach the rest: ambiguous_username " in coverage[table].evidence
    assert first_failing(gates).evidence == "no verify run yet"


def test_rows_pending_a_backfill_hold_the_coverage_gate(unfilled_db):
    failing = [gate for gate in gates_of(unfilled_db) if gate.name == "coverage" and not gate.holds]
    assert failing and all("pending a backfill" in gate.evidence for gate in failing)


def test_drift_holds_the_verify_gate_and_a_passed_verify_opens_it(demo_db):
    identity = local_identity()
    verify(demo_db, identity, BatchSettings(), fresh=True)
    assert [gate.holds for gate in gates_of(demo_db) if gate.name in ("verify", "runs")] == [True, True]
    with demo_db.begin() as connection:
        behind_the_triggers(connection, "UPDATE crm_accounts SET owner_user_id = NULL WHERE id = 10")
    verify(demo_db, identity, BatchSettings(), fresh=True)
    verified = next(gate for gate in gates_of(demo_db) if gate.name == "verify")
    assert not verified.holds and "found drift in 1 row" in verified.evidence


def test_the_soak_holds_a_member_until_its_time_has_passed(demo_db):
    soak = next(gate for gate in gates_of(demo_db, soaked=30, soak=600) if gate.name == "soak")
    assert not soak.holds and soak.evidence == "30 s since its last step, of the plan's 10 min"
    assert next(gate for gate in gates_of(demo_db, soaked=600) if gate.name == "soak").holds
