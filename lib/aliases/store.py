"""Aliases: operator-approved mappings from a legacy username that no rule resolves to a user.

The resolution rule (migration 0048) consults them after its own matches: exact, then a unique
case-insensitive match, then an alias, else unresolved. So an alias never overrides a match the
rule already makes, and adding one never changes what a resolved row means.

Adding aliases writes them, in one batch; the next backfill resolves their rows. An alias change
and a backfill batch never run side by side: one waits for the other (migration 0050). Removing one
resolves its rows again by the rule without it, at once: they go back to unresolved, with their
error rows, or to the user the rule finds now. Both have a preview that runs the same statements
in a transaction that is rolled back.
"""

from dataclasses import dataclass, field

from sqlalchemy import Connection

from lib.coverage.counts import table_coverage
from lib.coverage.forecast import Forecast, forecast
from lib.registry import MIGRATED_TABLES
from lib.sql import query
from lib.text import moment

# The longest legacy username an alias can name, in bytes (0048's check constraint).
MAX_LEGACY_BYTES = 2000
SOURCES = ("review", "import", "cli")
# What the rule calls a username that already resolves without an alias.
RESOLVED_KINDS = {"exact": "an exact match", "case_insensitive": "a case-insensitive match"}


@dataclass(frozen=True)
class ProposedAlias:
    """A mapping as an operator gave it: a username or a user id for the legacy username."""

    legacy_username: str
    username: str | None = None
    user_id: int | None = None
    note: str = ""
    line: int | None = None  # its line in an imported file

    @property
    def where(self) -> str:
        return f"line {self.line}" if self.line else repr(self.legacy_username.strip(" "))


@dataclass(frozen=True)
class Alias:
    legacy_username: str
    user_id: int
    username: str
    note: str = ""


@dataclass(frozen=True)
class Rejection:
    where: str
    legacy_username: str
    reason: str

    def __str__(self) -> str:
        return f"{self.where}: {self.reason}"


@dataclass
class AliasCheck:
    accepted: list[Alias] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)


@dataclass
class AliasPreview:
    """What applying the accepted aliases and then running the backfill would do."""

    check: AliasCheck
    rows: dict[str, dict[str, int]]  # legacy username -> table -> rows the backfill would resolve
    forecast: list[Forecast]


@dataclass(frozen=True)
class Removal:
    legacy_username: str
    user_id: int
    rows: dict[str, int]  # table -> rows the alias had resolved
    unresolved: dict[str, int]  # table -> of those, rows no rule resolves without it


def check_aliases(connection: Connection, proposals: list[ProposedAlias]) -> AliasCheck:
    """Accept the proposals that would make a valid alias; reject each other one with its reason."""
    check = AliasCheck()
    first_line: dict[str, str] = {}
    candidates: list[tuple[ProposedAlias, str]] = []
    for proposal in proposals:
        # Trimmed as the rule trims: spaces only.
        legacy = proposal.legacy_username.strip(" ")
        problem = _legacy_problem(legacy) or _user_problem(proposal)
        if not problem and legacy in first_line:
            problem = f"{legacy!r} is already mapped by {first_line[legacy]}"
        if problem:
            check.rejected.append(Rejection(proposal.where, legacy, problem))
            continue
        first_line[legacy] = proposal.where
        candidates.append((proposal, legacy))

    users = _users(connection, [proposal for proposal, _ in candidates])
    states = _rule_states(connection, [legacy for _, legacy in candidates])
    for proposal, legacy in candidates:
        user = users[
            ("id", proposal.user_id) if proposal.user_id is not None else ("name", proposal.username)
        ]
        match_kind, current_user = states[legacy]
        if user is None:
            problem = (
                f"no user has id {proposal.user_id}"
                if proposal.user_id is not None
                else f"no user is named {proposal.username!r}"
            )
        elif match_kind in RESOLVED_KINDS:
            problem = (
                f"{legacy!r} already resolves to {current_user!r} by {RESOLVED_KINDS[match_kind]}; "
                "an alias would never be used"
            )
        elif match_kind == "alias":
            problem = f"{legacy!r} already has an alias, to {current_user!r}; remove it first"
        else:
            check.accepted.append(Alias(legacy, user[0], user[1], proposal.note.strip()))
            continue
        check.rejected.append(Rejection(proposal.where, legacy, problem))
    return check


def write_aliases(
    connection: Connection,
    aliases: list[Alias],
    created_by: str,
    source: str,
    note: str,
    dry_run: bool = False,
) -> int:
    """Write the aliases as one batch, in the caller's transaction; return the batch id. A dry
    run's batch, which the caller rolls back, leaves the batch numbers untouched."""
    connection.execute(query("alias_rule_lock"))
    batch_id = connection.execute(
        query("alias_batch_insert_dry_run" if dry_run else "alias_batch_insert"),
        {"created_by": created_by, "source": source, "note": note or None},
    ).scalar_one()
    for alias in aliases:
        connection.execute(
            query("alias_insert"),
            {
                "legacy_username": alias.legacy_username,
                "user_id": alias.user_id,
                "batch_id": batch_id,
                "created_by": created_by,
                "note": alias.note or None,
            },
        )
    return batch_id


def preview_aliases(connection: Connection, proposals: list[ProposedAlias]) -> AliasPreview:
    """A dry run: write the accepted aliases, read what the rule and the forecast make of them,
    and roll back (to a savepoint, so the caller's transaction may already be open)."""
    with connection.begin_nested() as transaction:
        check = check_aliases(connection, proposals)
        write_aliases(connection, check.accepted, "preview", "review", "", dry_run=True)
        names = [alias.legacy_username for alias in check.accepted]
        rows: dict[str, dict[str, int]] = {name: dict.fromkeys(MIGRATED_TABLES, 0) for name in names}
        for table in MIGRATED_TABLES:
            for legacy, count in connection.execute(
                query("alias_would_resolve", table), {"legacy_usernames": names}
            ):
                rows[legacy][table] = count
        after = forecast(connection)
        transaction.rollback()
    return AliasPreview(check, rows, after)


def remove_aliases(connection: Connection, legacy_usernames: list[str], apply: bool) -> list[Removal]:
    """Delete the aliases and resolve their rows again without them, in the caller's transaction.
    With `apply` false, the rows are only counted. A name without an alias is skipped."""
    connection.execute(query("alias_rule_lock"))
    connection.execute(query("owner_triggers_stand_aside"))
    removals = []
    for legacy in dict.fromkeys(legacy_usernames):
        user_id = connection.execute(query("alias_delete"), {"legacy_username": legacy}).scalar()
        if user_id is None:
            continue
        rows, unresolved = {}, {}
        for table in MIGRATED_TABLES:
            rows[table], unresolved[table] = connection.execute(
                query("alias_release_rows", table),
                {"table": table, "user_id": user_id, "legacy_username": legacy, "apply": apply},
            ).one()
        removals.append(Removal(legacy, user_id, rows, unresolved))
    return removals


def preview_removal(connection: Connection, legacy_usernames: list[str]) -> list[Removal]:
    """A dry run of remove_aliases, rolled back to a savepoint."""
    with connection.begin_nested() as transaction:
        removals = remove_aliases(connection, legacy_usernames, apply=False)
        transaction.rollback()
    return removals


def list_aliases(connection: Connection) -> list[dict]:
    """Every alias, with the rows resolved through it per table."""
    resolved = _rows_resolved(connection)
    return [
        {**row, **{table: resolved[table].get(row["legacy_username"], 0) for table in MIGRATED_TABLES}}
        for row in connection.execute(query("aliases")).mappings()
    ]


def alias_rows(aliases: list[dict]) -> list[dict]:
    """Aliases as a person reads them (list_aliases() rows): the user with its id, the rows
    resolved through each per table, and who approved it when, in which batch, why."""
    return [
        {
            "legacy name": alias["legacy_username"],
            "user": f"{alias['username']} (id {alias['user_id']})",
            **{f"{table} rows": f"{alias[table]:,}" for table in MIGRATED_TABLES},
            "approved": f"{moment(alias['created_at'])} by {alias['created_by']}, batch {alias['batch_id']}",
            "note": alias["note"] or "",
        }
        for alias in aliases
    ]


def awaiting_backfill(connection: Connection) -> tuple[int, int]:
    """The aliased usernames with rows still unresolved, and those rows."""
    return tuple(connection.execute(query("aliases_awaiting_backfill")).one())


def alias_batches(connection: Connection, limit: int = 50) -> list[dict]:
    """Each batch of aliases with what it bought: per table, the rows resolved through its aliases
    now and their share of total_legacy, and the first backfill run after it."""
    resolved = _rows_resolved(connection, by="batch_id")
    totals = {row.table: row.total_legacy for row in table_coverage(connection)}
    batches = []
    for batch in connection.execute(query("alias_batches"), {"limit": limit}).mappings():
        bought = {}
        for table in MIGRATED_TABLES:
            rows = resolved[table].get(batch["id"], 0)
            share = round(rows * 100 / totals[table], 2) if totals[table] else 0
            bought[table] = (rows, share)
        batches.append({**batch, "bought": bought})
    return batches


def _rows_resolved(connection: Connection, by: str = "legacy_username") -> dict[str, dict]:
    resolved: dict[str, dict] = {table: {} for table in MIGRATED_TABLES}
    for table in MIGRATED_TABLES:
        for row in connection.execute(query("alias_rows_resolved", table)).mappings():
            resolved[table][row[by]] = resolved[table].get(row[by], 0) + row["rows"]
    return resolved


def _legacy_problem(legacy: str) -> str | None:
    if not legacy:
        return "the legacy username is empty"
    if "\x00" in legacy:
        return "the legacy username has a NUL character, which no stored username can have"
    if len(legacy.encode()) > MAX_LEGACY_BYTES:
        return f"the legacy username is longer than {MAX_LEGACY_BYTES:,} bytes, the most an alias can name"
    return None


def _user_problem(proposal: ProposedAlias) -> str | None:
    if (proposal.username is None) == (proposal.user_id is None):
        return "give either a username or a user id"
    if proposal.username is not None and not proposal.username.strip(" "):
        return "the username is empty"
    if proposal.username is not None and "\x00" in proposal.username:
        return "the username has a NUL character, which no stored username can have"
    return None


def _users(connection: Connection, proposals: list[ProposedAlias]) -> dict:
    """(id or name, key) -> (id, username), or None for every key asked about."""
    ids = [p.user_id for p in proposals if p.user_id is not None]
    names = [p.username for p in proposals if p.username is not None]
    found: dict = {("id", user_id): None for user_id in ids} | {("name", name): None for name in names}
    for user_id, username in connection.execute(query("alias_users"), {"usernames": names, "user_ids": ids}):
        found["id", user_id] = found["name", username] = (user_id, username)
    return found


def _rule_states(connection: Connection, legacy_usernames: list[str]) -> dict[str, tuple[str, str | None]]:
    rows = connection.execute(query("alias_rule_states"), {"legacy_usernames": legacy_usernames})
    return {row.legacy_username: (row.match_kind, row.username) for row in rows}


def batch_rows(batches: list[dict]) -> list[dict]:
    """Alias batches as a person reads them: what each bought, and the run that applied it."""
    rows = []
    for batch in batches:
        before, after = batch["coverage_before"] or {}, batch["coverage_after"] or {}
        run = (
            f"run {batch['run_id']} {batch['run_status']}: "
            + "; ".join(
                f"{table} {before[table]['resolved_pct']}% → {after.get(table, {}).get('resolved_pct', '…')}%"
                for table in before
            )
            if batch["run_id"]
            else "no backfill since"
        )
        rows.append(
            {
                "batch": batch["id"],
                "approved": batch["created_at"],
                "by": f"{batch['created_by']} ({batch['source']})",
                "aliases": batch["aliases"],
                **{
                    f"{table} bought": f"{rows_resolved:,} rows, +{share} pts"
                    for table, (rows_resolved, share) in batch["bought"].items()
                },
                "applied by": run,
                "note": batch["note"],
            }
        )
    return rows
