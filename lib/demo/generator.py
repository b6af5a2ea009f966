"""The demo CRM: legacy data with the defects a real CRM has, loaded before the owner migration.

The order matters: the baseline is built, the legacy rows are copied in, and only then does the
owner migration run, so that its initial backfill is real. The defects:

- owners written with leading or trailing spaces, or in another case than the user's;
- owners who never existed (team names, hostile text) or whose user was deleted;
- owners spelt in a way no rule resolves, whose user a person would still recognise: a typo,
  other punctuation (`anna smith` for `anna.smith`), or the user's e-mail name (`asmith`);
- users whose names differ only by case, so a third spelling of them is ambiguous;
- NULL and blank owners, which are outside the coverage denominator;
- inactive users, who still own their rows.

The quotas are exact, so a given scale always lands at the same coverage: accounts just under
the 99% target, opportunities just above it.
"""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, text

from lib.db.schema import (
    BASELINE_REVISION,
    CONTRACT_REVISION,
    current_revision,
    head_revision,
    migration_finished,
    upgrade,
)
from lib.db.settings import describe_url
from lib.text import counted

DEFAULT_ACCOUNTS = 20_000
DEFAULT_OPPORTUNITIES = 60_000
SEED = 38

# Share of a table's rows with no owner at all.
NULL_OWNER_SHARE = 0.02
BLANK_OWNER_SHARE = 0.01
# Share of the owned rows that no user can be found for: 98.8% and 99.25% coverage.
UNRESOLVED_SHARE = {"crm_accounts": 0.012, "crm_opportunities": 0.0075}
# Share of the owned rows whose owner resolves despite a defect.
PADDED_SHARE = 0.03
CASE_VARIANT_SHARE = 0.02
INACTIVE_OWNER_SHARE = 0.03

FIRST_NAMES = (
    "anna",
    "boris",
    "carla",
    "dmitri",
    "elena",
    "farid",
    "greta",
    "hugo",
    "irina",
    "jonas",
    "katya",
    "lars",
    "maria",
    "nikolai",
    "olga",
    "pavel",
    "quinn",
    "rosa",
    "sergei",
    "tanya",
    "ulrich",
    "vera",
    "wei",
    "xenia",
    "yuri",
    "zoe",
)
LAST_NAMES = (
    "ivanova",
    "petrov",
    "smith",
    "garcia",
    "muller",
    "rossi",
    "novak",
    "kowalski",
    "chen",
    "lopez",
    "dubois",
    "jensen",
    "silva",
    "kim",
    "nakamura",
    "oconnor",
    "popescu",
    "horvat",
    "berg",
    "fischer",
    "moreau",
    "sato",
    "volkov",
    "weber",
    "yilmaz",
)
# Owners that are no user at all, hostile ones first: the console must show them verbatim and
# export them safely.
STRAY_OWNERS = (
    "=HYPERLINK(\"http://x.invalid\",\"x\")", "+cmd|' /C calc'!A0", "@SUM(1+1)", "-2+3",
    "Robert'); DROP TABLE app_users;--", "n/a", "TBD", "sales-team", "unassigned", "admin@crm",
    "émilie.côté", "王伟", "tab\tinside", "zero\u200bwidth",
)  # fmt: skip
COMPANY_SUFFIXES = ("Ltd", "GmbH", "LLC", "AG", "Group", "Holdings")
STAGES = ("prospecting", "qualification", "proposal", "negotiation", "closed_won", "closed_lost")


@dataclass(frozen=True)
class DemoUsers:
    """Who exists, and the spellings the legacy data uses for them."""

    rows: list[tuple[str, str, bool]]  # username, email, is_active
    active: list[str]
    inactive: list[str]
    case_unique: list[str]  # no other user shares their lower-case form
    case_colliding: list[tuple[str, str]]  # pairs that differ only by case
    deleted: list[str]  # former users, no longer in app_users


@dataclass(frozen=True)
class DemoReport:
    users: int
    accounts: int
    opportunities: int
    load_seconds: float
    migrate_seconds: float


def ensure_demo_loaded(engine: Engine, say: Callable[[str], None] = lambda line: None) -> None:
    """Bring the embedded demo database to head, loading the demo CRM into it when it is new;
    say(line) tells what it does."""
    with engine.connect() as connection:
        # One loader at a time when several console processes start together.
        connection.execute(text("SELECT pg_advisory_lock(hashtext('owner-console demo setup'))"))
        connection.commit()
        try:
            revision = current_revision(connection)
            if revision is None:
                say("Loading the demo CRM and migrating it to head (first run only)…")
                report = load_demo(connection)
                say(
                    f"Demo CRM loaded: {counted(report.users, 'user')}, "
                    f"{counted(report.accounts, 'account')}, "
                    f"{counted(report.opportunities, 'opportunity', 'opportunities')} in "
                    f"{report.load_seconds:.1f} s; migrated with its initial backfill in "
                    f"{report.migrate_seconds:.1f} s."
                )
            elif revision == CONTRACT_REVISION:
                raise migration_finished(describe_url(engine.url))
            elif revision != head_revision():
                say(f"Migrating the demo database from {revision} to {head_revision()}…")
                upgrade(connection, "head")
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(hashtext('owner-console demo setup'))"))
            connection.commit()


def load_demo(
    connection: Connection,
    accounts: int = DEFAULT_ACCOUNTS,
    opportunities: int = DEFAULT_OPPORTUNITIES,
    seed: int = SEED,
    *,
    user_count: int | None = None,
    skip_backfill: bool = False,
    migrate: bool = True,
) -> DemoReport:
    """Build the baseline on an empty database, copy in the legacy CRM, then migrate to head.

    `user_count` defaults to one per 50 accounts (60 at least). With `skip_backfill`, the migration
    leaves every owner_user_id empty, as `-x skip_backfill=true` does, for a backfill to fill.
    Without `migrate`, the database stays at the baseline: a CRM before the migration.
    """
    if accounts < 1 or opportunities < 0:
        raise ValueError("the demo needs at least one account and no negative counts")
    rng = random.Random(seed)
    users = make_users(rng, user_count=user_count or max(60, accounts // 50))

    upgrade(connection, BASELINE_REVISION)
    started = time.perf_counter()
    _copy_rows(
        connection,
        "COPY app_users (username, email, is_active) FROM STDIN",
        users.rows,
    )
    _copy_rows(
        connection,
        "COPY crm_accounts (name, owner_username) FROM STDIN",
        (
            (f"{rng.choice(LAST_NAMES).title()} {rng.choice(COMPANY_SUFFIXES)} #{number}", owner)
            for number, owner in enumerate(legacy_owners(rng, users, "crm_accounts", accounts), start=1)
        ),
    )
    _copy_rows(
        connection,
        "COPY crm_opportunities (account_id, name, amount, stage, owner_username) FROM STDIN",
        (
            (
                rng.randint(1, accounts),
                f"Deal {number}",
                f"{rng.randint(1_000, 500_000)}.00",
                rng.choice(STAGES),
                owner,
            )
            for number, owner in enumerate(
                legacy_owners(rng, users, "crm_opportunities", opportunities), start=1
            )
        ),
    )
    connection.commit()
    # Fresh statistics, so that the backfill's plan fits the real row counts.
    connection.execute(text("ANALYZE app_users, crm_accounts, crm_opportunities"))
    connection.commit()
    loaded = time.perf_counter()
    if migrate:
        upgrade(connection, "head", skip_backfill=skip_backfill)
    migrated = time.perf_counter()
    return DemoReport(
        users=len(users.rows),
        accounts=accounts,
        opportunities=opportunities,
        load_seconds=loaded - started,
        migrate_seconds=migrated - loaded,
    )


def make_users(rng: random.Random, user_count: int) -> DemoUsers:
    names = [f"{first}.{last}" for first in FIRST_NAMES for last in LAST_NAMES]
    rng.shuffle(names)
    while len(names) < user_count * 2:
        names += [f"{name}{len(names) + index}" for index, name in enumerate(names[:user_count])]
    current, deleted = names[:user_count], names[user_count : user_count + max(10, user_count // 10)]

    colliding_count = max(3, user_count // 100)
    colliding = [(name, name.title()) for name in current[:colliding_count]]
    case_unique = current[colliding_count:]
    inactive = case_unique[: max(3, user_count // 20)]
    active = case_unique[len(inactive) :] + [name for pair in colliding for name in pair]

    inactive_names = set(inactive)
    rows = [(name, f"{_email_name(name)}@example.com", name not in inactive_names) for name in current]
    rows += [(title, f"{title.lower()}.2@example.com", True) for _, title in colliding]
    return DemoUsers(
        rows=rows,
        active=active,
        inactive=inactive,
        case_unique=case_unique,
        case_colliding=colliding,
        deleted=deleted,
    )


def legacy_owners(rng: random.Random, users: DemoUsers, table: str, count: int) -> list[str | None]:
    """`count` owner_username values for `table`, in shuffled order, with the exact defect quotas."""
    nulls = round(count * NULL_OWNER_SHARE)
    blanks = round(count * BLANK_OWNER_SHARE)
    owned = count - nulls - blanks
    unresolved = round(owned * UNRESOLVED_SHARE[table])
    ambiguous = unresolved // 5
    deleted = unresolved * 7 // 20
    strays = unresolved - ambiguous - deleted
    padded = round(owned * PADDED_SHARE)
    case_variants = round(owned * CASE_VARIANT_SHARE)
    inactive = round(owned * INACTIVE_OWNER_SHARE)
    exact = owned - unresolved - padded - case_variants - inactive

    owners: list[str | None] = [None] * nulls
    owners += [rng.choice(("", " ", "   ")) for _ in range(blanks)]
    owners += [rng.choice(users.active) for _ in range(exact)]
    owners += [rng.choice(users.inactive) for _ in range(inactive)]
    owners += [_pad(rng, rng.choice(users.active)) for _ in range(padded)]
    owners += [_recase(rng, rng.choice(users.case_unique)) for _ in range(case_variants)]
    owners += [rng.choice(users.case_colliding)[0].upper() for _ in range(ambiguous)]
    owners += [rng.choice(users.deleted) for _ in range(deleted)]
    # Half the strays go through STRAY_OWNERS in order, so even a small demo has the hostile ones.
    owners += [STRAY_OWNERS[index % len(STRAY_OWNERS)] for index in range(strays // 2)]
    owners += [_misspelt(rng, users, index) for index in range(strays - strays // 2)]
    rng.shuffle(owners)
    return owners


def _pad(rng: random.Random, username: str) -> str:
    return rng.choice((f" {username}", f"{username} ", f"  {username}  "))


def _recase(rng: random.Random, username: str) -> str:
    return rng.choice((username.upper(), username.title(), username.capitalize()))


def _misspelt(rng: random.Random, users: DemoUsers, index: int) -> str:
    """A user's name as a person might have typed it: in turn a typo, other punctuation, and the
    name their e-mail uses."""
    username = rng.choice(users.case_unique)
    if index % 3 == 0:
        position = rng.randrange(len(username))
        return username[:position] + username[position + 1 :] + "x"
    if index % 3 == 1:
        return username.replace(".", rng.choice((" ", "_", "-")))
    return _email_name(username)


def _email_name(username: str) -> str:
    """anna.smith -> asmith: the initial and the surname, as the demo's e-mail addresses have it."""
    first, _, rest = username.partition(".")
    return first[:1] + rest


def _copy_rows(connection: Connection, copy_sql: str, rows) -> None:
    cursor = connection.connection.driver_connection.cursor()
    with cursor, cursor.copy(copy_sql) as copy:
        for row in rows:
            copy.write_row(row)
