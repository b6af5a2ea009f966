"""Every list that other code must agree with, written once: the migrated tables, their owner
triggers, the reasons a row stays unresolved, and the console's pages.

Code that works per table, per trigger or per page loops over these. SQL gets table names quoted
as identifiers, and lists as bound parameters. Migrations keep frozen copies, as a revision must;
tests/migrations/test_registry.py holds every revision's copy, and every list the database
itself checks (allow-lists in functions, the reason constraint, the triggers), equal to these.
"""

from dataclasses import dataclass

MIGRATED_TABLES = ("crm_accounts", "crm_opportunities")

# Per migrated table: a sync trigger (keeps owner_username and owner_user_id in step) and a log
# trigger (keeps owner_backfill_errors); the playbook's rollback disables these four.
TRIGGER_KINDS = ("sync", "log")


def trigger_name(table: str, kind: str) -> str:
    return f"{table}_owner_{kind}_guard"


OWNER_TRIGGERS = tuple(trigger_name(table, kind) for table in MIGRATED_TABLES for kind in TRIGGER_KINDS)
# The statement-level triggers that keep the coverage counts (migration 0043); the rollback
# leaves them on.
COVERAGE_TRIGGERS = tuple(
    f"{table}_coverage_{event}"
    for table in MIGRATED_TABLES
    for event in ("insert", "update", "delete", "truncate")
)

# owner_backfill_errors.reason: why a row with an owner has no owner_user_id.
REASONS = ("user_not_found", "ambiguous_username", "pending_backfill")


@dataclass(frozen=True)
class Page:
    name: str  # its file, app_pages/<name>.py, and its URL path
    title: str
    icon: str

    @property
    def file(self) -> str:
        return f"app_pages/{self.name}.py"


# In the sidebar's order; the first is the default page, served at the root.
PAGES = (
    Page("overview", "Overview", ":material/dashboard:"),
    Page("preflight", "Preflight", ":material/flight_takeoff:"),
    Page("coverage", "Coverage", ":material/monitoring:"),
    Page("unresolved", "Unresolved", ":material/person_search:"),
    Page("remediation", "Remediation", ":material/healing:"),
    Page("operations", "Operations", ":material/build:"),
    Page("runbook", "Runbook", ":material/checklist:"),
)
