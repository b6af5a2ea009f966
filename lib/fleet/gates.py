"""A member's gates in a rollout (docs/fleet.md, Gates): what must hold, once its steps are done,
before its wave may pass. Each is read from the member's own database, as its console shows it.

- coverage: every migrated table at the target, or no backfill can reach what remains (every row
  without its owner id has no user by that name, or several), the rows that remain listed by reason;
- verify: its latest verify run passed, with no drift;
- runs: neither its latest backfill run nor its latest verify run failed or was interrupted;
- soak: the plan's soak time has passed since its last step.
"""

from dataclasses import dataclass

from sqlalchemy import Connection

from lib.coverage.counts import TARGET_PCT, table_coverage
from lib.remainder.unresolved import remainder_by_reason
from lib.sql import query
from lib.text import age, counted

PENDING = "pending_backfill"


@dataclass(frozen=True)
class MemberGate:
    name: str  # coverage, verify, runs, soak
    holds: bool
    evidence: str  # one sentence, with the figures


def member_gates(connection: Connection, soaked_seconds: float, soak_seconds: int) -> list[MemberGate]:
    """The member's gates now; `soaked_seconds` since its last step."""
    return [
        *_coverage_gates(connection),
        *_run_gates(connection),
        MemberGate(
            "soak",
            soaked_seconds >= soak_seconds,
            f"{age(soaked_seconds)} since its last step, of the plan's {age(soak_seconds)}"
            if soaked_seconds < soak_seconds
            else f"soaked {age(soaked_seconds)} since its last step",
        ),
    ]


def first_failing(gates: list[MemberGate]) -> MemberGate | None:
    return next((gate for gate in gates if not gate.holds), None)


def _coverage_gates(connection: Connection) -> list[MemberGate]:
    remainder: dict[str, dict[str, int]] = {}
    for table, reason, count in remainder_by_reason(connection):
        remainder.setdefault(table, {})[reason] = count
    gates = []
    for row in table_coverage(connection):
        left = remainder.get(row.table, {})
        now = f"{row.table} at {row.resolved_pct}% ({row.resolved_fk:,} of {row.total_legacy:,})"
        listed = ", ".join(f"{reason} {count:,}" for reason, count in sorted(left.items()))
        # Every row without its owner id is one that no backfill can resolve: no user has that
        # name, or several have. A row the errors table does not hold yet is a backfill's to reach.
        reachable = (
            row.total_legacy
            - row.resolved_fk
            - sum(count for reason, count in left.items() if reason != PENDING)
        )
        if row.meets_target:
            holds, evidence = True, f"{now}, at or above {TARGET_PCT}%"
        elif reachable <= 0:
            holds, evidence = True, f"{now}; no backfill can reach the rest: {listed}"
        else:
            holds = False
            evidence = f"{now}, below {TARGET_PCT}%, with {counted(reachable, 'row')} pending a backfill"
        gates.append(MemberGate("coverage", holds, evidence))
    return gates


def _run_gates(connection: Connection) -> list[MemberGate]:
    last = {row.job: row for row in connection.execute(query("fleet_member_last_runs"))}
    verify = last.get("verify")
    if verify is None:
        verified = MemberGate("verify", False, "no verify run yet")
    elif verify.status == "passed":
        verified = MemberGate("verify", True, f"verify run {verify.id} passed with no drift")
    elif verify.status == "drift":
        verified = MemberGate(
            "verify",
            False,
            f"verify run {verify.id} found drift in {counted(verify.drift_rows, 'row')}: "
            "repair it (the member's Operations page, or `lib.cli verify --repair`), then retry the member",
        )
    else:
        verified = MemberGate("verify", False, f"verify run {verify.id} is {verify.status}")
    broken = [
        f"{row.job} run {row.id} {row.status}"
        for row in last.values()
        if row.status in ("failed", "interrupted")
    ]
    runs = MemberGate("runs", not broken, "; ".join(broken) if broken else "no failed or interrupted run")
    return [verified, runs]
