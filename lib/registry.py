"""Every list that other code must agree with, written once: the migrated tables, their owner
triggers, the reasons a row stays unresolved, the kinds of drift, and the console's pages.

Code that works per table, per trigger or per page loops over these. SQL gets table names quoted
as identifiers, and lists as bound parameters. Migrations keep frozen copies, as a revision must;
tests/migrations/test_registry.py holds every revision's copy, and every list the database
itself checks (allow-lists in functions, the reason constraint, the triggers), equal to these.
"""

from dataclasses import dataclass

MIGRATED_TABLES = ("crm_accounts", "crm_opportunities")

# Per migrated table: a sync trigger and a log trigger, each with what stops while it is off; the
# playbook's rollback disables these four.
TRIGGER_KINDS = {
    "sync": "writes do not set owner_user_id from owner_username",
    "log": "writes do not update owner_backfill_errors",
}


def trigger_name(table: str, kind: str) -> str:
    return f"{table}_owner_{kind}_guard"


OWNER_TRIGGERS = tuple(trigger_name(table, kind) for table in MIGRATED_TABLES for kind in TRIGGER_KINDS)
# The triggers that keep the coverage counts (migrations 0043, 0058): per statement, but per
# changed row for an UPDATE; the rollback leaves them on.
COVERAGE_TRIGGERS = tuple(
    f"{table}_coverage_{event}"
    for table in MIGRATED_TABLES
    for event in ("insert", "update", "delete", "truncate")
)

# Per migrated table, the row-level triggers that remember the rows written while its owner
# triggers are off (migrations 0050, 0058), for the next backfill run to reconcile; the rollback
# leaves them on.
WRITE_MEMORY_EVENTS = ("insert", "update")


def write_memory_trigger(table: str, event: str) -> str:
    return f"{table}_owner_writes_{event}"


WRITE_MEMORY_TRIGGERS = tuple(
    write_memory_trigger(table, event) for table in MIGRATED_TABLES for event in WRITE_MEMORY_EVENTS
)

# Per migrated table, the statement-level triggers that keep the trigger bypass to the backfill's
# own transactions, and a DELETE's or TRUNCATE's error rows gone with its rows (migrations 0056,
# 0058); the rollback leaves them on.
GUARD_TRIGGERS = tuple(
    f"{table}_{suffix}"
    for table in MIGRATED_TABLES
    for suffix in ("owner_bypass_check", "owner_errors_delete", "owner_errors_truncate")
)

# The console's long jobs (lib/jobs/) and the table in migration_ops that holds each one's runs.
JOB_RUNS_TABLES = {"backfill": "backfill_runs", "verify": "verify_runs"}

# owner_backfill_errors.reason: why a row with an owner has no owner_user_id.
REASONS = ("user_not_found", "ambiguous_username", "pending_backfill")

# What may hold a backfill run before its next batch (docs/design.md, Throttling), in the order
# they are checked; any one holds it. lib/jobs/throttle.py measures each.
THROTTLE_SIGNALS = {
    "replica_lag": "a standby replays too far behind",
    "transaction_age": "a transaction has been open too long for VACUUM to clean up after the batches",
    "lock_wait": "a session has waited too long for a lock on a migrated table",
    "vacuum": "VACUUM is working on the table being filled",
    "health_query": "the operator's health query says no",
}

# What verify calls a drifting row (docs/design.md, Nothing lost), and what each kind means.
DRIFT_KINDS = {
    "id_without_username": "owner_user_id is set but owner_username is blank",
    "dangling_id": (
        "owner_user_id names a user who does not exist (a write in replica mode skips the foreign key)"
    ),
    "stale_id": (
        "owner_user_id is set, and the username is no name that user has ever had nor an alias of theirs"
    ),
    "shadowed_id": "another user has exactly the row's username, and by the rule the row is theirs",
    "resolvable_without_id": "owner_user_id is NULL while the rule resolves the username",
    "missing_error_row": "the row is unresolved but has no row in owner_backfill_errors",
    "stray_error_row": "owner_backfill_errors has a row for an entity that is resolved, blank or gone",
    "stale_error_row": "the row's error row holds another username than the row",
}


@dataclass(frozen=True)
class Page:
    name: str  # its file, app_pages/<name>.py, and its URL path
    title: str
    icon: str

    @property
    def file(self) -> str:
        return f"app_pages/{self.name}.py"


# The first page when a fleet is configured (lib/fleet): every member at once.
FLEET_PAGE = Page("fleet", "Fleet", ":material/hub:")
# In the sidebar's order; the first is the default page, served at the root.
PAGES = (
    Page("overview", "Overview", ":material/dashboard:"),
    Page("preflight", "Preflight", ":material/flight_takeoff:"),
    Page("coverage", "Coverage", ":material/monitoring:"),
    Page("unresolved", "Unresolved", ":material/person_search:"),
    Page("remediation", "Remediation", ":material/healing:"),
    Page("operations", "Operations", ":material/build:"),
    Page("runbook", "Runbook", ":material/checklist:"),
    Page("finish", "Finish", ":material/sports_score:"),
)
