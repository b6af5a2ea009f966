"""R2: writers on the legacy path (username only) and the new path (id only, and both) while
backfills run and users are created and renamed. Afterwards, and after one more backfill, every
invariant of docs/design.md's write path holds on every row (listed in `check_invariants`).

Each writer thread owns a disjoint set of rows, so the last write to every row is known.
"""

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

import pytest
from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import OperationalError

from lib.backfill.task import run_backfill
from lib.coverage.counts import scanned_coverage, table_coverage
from lib.jobs.settings import BatchSettings
from lib.registry import MIGRATED_TABLES
from tests.support.crm import error_rows, owner_of, resolve, unresolved_rows, update_row
from tests.support.faults import SCALE, SEED, backend_pid, record, waiting_on
from tests.support.polling import wait_for

WRITERS = 4
WRITES = round(5_000 * SCALE)
USER_CHANGES = max(20, WRITES // 50)
BATCHES = BatchSettings(batch_size=100)
# A deadlock or a serialization failure is the database asking the client to try again.
TRY_AGAIN_SQLSTATES = ("40P01", "40001")


@dataclass
class Users:
    """Every user id with every name it has had; shared by the threads, guarded by a lock."""

    names: dict[int, set[str]]
    lock: threading.Lock = field(default_factory=threading.Lock)

    def ids(self) -> list[int]:
        with self.lock:
            return list(self.names)

    def current_names(self) -> list[str]:
        with self.lock:
            return [name for names in self.names.values() for name in names]

    def had(self, user_id: int, name: str) -> None:
        with self.lock:
            self.names.setdefault(user_id, set()).add(name)


@dataclass
class Writer:
    """One writer thread: its rows, and the last thing it wrote to each."""

    number: int
    engine: Engine
    users: Users
    rows: dict[str, list[int]]
    accounts: list[int]
    rng: random.Random
    last_write: dict[tuple[str, int], tuple] = field(default_factory=dict)
    kinds: Counter = field(default_factory=Counter)
    retries: int = 0

    def run(self, writes: int) -> None:
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for _ in range(writes):
                self.write_once(connection)

    def write_once(self, connection: Connection) -> None:
        table = self.rng.choice(MIGRATED_TABLES)
        kind = self.rng.choice(
            ("legacy update", "id update", "both update", "legacy insert", "id insert", "both insert")
        )
        user_id = self.rng.choice(self.users.ids())
        username = self.username()
        path, action = kind.split()
        owner = {
            "legacy": {"owner_username": username},
            "id": {"owner_user_id": user_id},
            "both": {"owner_user_id": user_id, "owner_username": username},
        }[path]
        if action == "update":
            assignments = ", ".join(f"{column} = :{column}" for column in owner)
            statement = f"UPDATE {table} SET {assignments} WHERE id = :id RETURNING id"
            params = dict(owner, id=self.rng.choice(self.rows[table]))
        else:
            params = dict(owner, name=f"written by writer {self.number}")
            if table == "crm_opportunities":
                params["account_id"] = self.rng.choice(self.accounts)
            statement = (
                f"INSERT INTO {table} ({', '.join(params)}) "
                f"VALUES ({', '.join(':' + column for column in params)}) RETURNING id"
            )
        while True:
            try:
                row = connection.execute(text(statement), params).scalar_one()
                break
            except OperationalError as error:
                if getattr(error.orig, "sqlstate", None) not in TRY_AGAIN_SQLSTATES:
                    raise
                self.retries += 1
        if action == "insert":
            self.rows[table].append(row)
        self.last_write[(table, row)] = (path, params.get("owner_user_id"), params.get("owner_username"))
        self.kinds[kind] += 1

    def username(self) -> str | None:
        """A legacy client's username: a user's name as is, in other case or spaced, a name only
        a future user will have, someone unknown, or blank."""
        known = self.rng.choice(self.users.current_names())
        return self.rng.choice(
            (
                known,
                known.upper(),
                f" {known} ",
                f"future.{self.rng.randrange(USER_CHANGES)}",
                f"nobody.{self.rng.randrange(1_000)}",
                "",
                None,
            )
        )


def change_users(engine: Engine, users: Users, rng: random.Random, changes: int) -> Counter:
    """Create the users that legacy names wait for (some as case variants, which makes names
    ambiguous) and rename others."""
    done = Counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for number in range(changes):
            kind = rng.choice(("create", "create variant", "rename"))
            name = f"future.{rng.randrange(changes)}"
            if kind == "create variant":
                name = name.upper()
            if kind == "rename":
                user_id, name = rng.choice(users.ids()), f"renamed.{number}"
                users.had(user_id, name)  # before the commit: a writer may see it at once
                connection.execute(
                    text("UPDATE app_users SET username = :u WHERE id = :id"), {"u": name, "id": user_id}
                )
            else:
                user_id = connection.execute(
                    text(
                        "INSERT INTO app_users (username) VALUES (:u) "
                        "ON CONFLICT (username) DO NOTHING RETURNING id"
                    ),
                    {"u": name},
                ).scalar()
                if user_id is None:
                    continue
                users.had(user_id, name)
            done[kind] += 1
    return done


def test_concurrent_writers_backfills_and_user_changes_keep_every_invariant(pending_db):
    rng = random.Random(SEED)
    with pending_db.connect() as connection:
        users = Users(
            {row.id: {row.username} for row in connection.execute(text("SELECT id, username FROM app_users"))}
        )
        seeded = {
            (table, row.id): row.owner_username
            for table in MIGRATED_TABLES
            for row in connection.execute(text(f"SELECT id, owner_username FROM {table}"))
        }
    accounts = sorted(row for table, row in seeded if table == "crm_accounts")
    writers = [
        Writer(
            number,
            pending_db,
            users,
            {
                table: [row for t, row in seeded if t == table and row % WRITERS == number]
                for table in MIGRATED_TABLES
            },
            accounts,
            random.Random(SEED + number),
        )
        for number in range(WRITERS)
    ]
    threads = [threading.Thread(target=writer.run, args=(WRITES // WRITERS,)) for writer in writers]
    user_changes: Counter = Counter()
    threads.append(
        threading.Thread(
            target=lambda: user_changes.update(change_users(pending_db, users, rng, USER_CHANGES))
        )
    )
    writing = threading.Event()
    runs: Counter = Counter()

    def backfill_while_writing() -> None:
        while writing.is_set():
            runs[run_backfill(pending_db, BATCHES, "fault-suite", "cli").status] += 1

    writing.set()
    backfills = threading.Thread(target=backfill_while_writing)
    backfills.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writing.clear()
    backfills.join()
    assert runs and set(runs) == {"succeeded"}, runs

    last_write = {key: write for writer in writers for key, write in writer.last_write.items()}
    with pending_db.connect() as connection:
        check_invariants(connection, users, seeded, last_write, after_backfill=False)
        connection.execute(text("SELECT run_owner_backfill()"))
        connection.commit()
        checked = check_invariants(connection, users, seeded, last_write, after_backfill=True)

    kinds = sum((writer.kinds for writer in writers), Counter())
    record(
        "R2 writes (legacy, id and both paths)",
        f"{sum(kinds.values()):,}: " + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())),
    )
    record(
        "R2 user changes during the writes", ", ".join(f"{n} {k}" for k, n in sorted(user_changes.items()))
    )
    record("R2 backfill runs during the writes", sum(runs.values()))
    record("R2 writes retried after a deadlock", sum(writer.retries for writer in writers))
    record("R2 rows checked against every invariant, twice", f"{checked:,}")


def check_invariants(
    connection: Connection, users: Users, seeded, last_write, *, after_backfill: bool
) -> int:
    """The write path of docs/design.md, row by row; the number of rows checked."""
    names = {user_id: {name.lower() for name in history} for user_id, history in users.names.items()}
    current = dict(connection.execute(text("SELECT id, username FROM app_users")).all())
    rows = {
        (table, row.id): (row.owner_username, row.owner_user_id)
        for table in MIGRATED_TABLES
        for row in connection.execute(text(f"SELECT id, owner_username, owner_user_id FROM {table}"))
    }
    # No row is lost: every seeded row and every inserted one is there.
    assert set(seeded) | set(last_write) == set(rows)
    errors = error_rows(connection)
    # owner_backfill_errors holds exactly the unresolved rows of the denominator...
    assert set(errors) == unresolved_rows(connection)
    for key, (username, reason) in errors.items():
        # ...each with the row's username as written now...
        assert username == rows[key][0], key
        # ...and, once a backfill has passed, the reason the rule gives now.
        if after_backfill:
            assert reason == resolve(connection, username).reason, key
    for key, (username, user_id) in rows.items():
        path, written_id, written_name = last_write.get(key, ("seed", None, seeded.get(key)))
        if user_id is not None:
            # An id is a real user (the foreign key), and only on a row of the denominator.
            assert user_id in current and username is not None and username.strip(" ") != "", key
        if path == "id":
            # The new path: the id as written, and the username of that user when it was written.
            # (A row that had that id already keeps its legacy text, which resolved to the user.)
            assert user_id == written_id and username.strip(" ").lower() in names[written_id], key
        elif path == "both" and user_id == written_id:
            # Both given: the id wins and the username is rewritten to the user's...
            assert username.lower() in names[written_id], key
        else:
            # ...unless the row already had that id: then it was a legacy username change.
            # The legacy path, and the seed: the text kept exactly as written...
            assert username == written_name, key
            if user_id is not None:
                # ...resolved by the rule to a user who had that name, in some case, at some time.
                assert written_name.strip(" ").lower() in names[user_id], key
            elif after_backfill and username is not None:
                # ...and once a backfill has passed, nothing resolvable is left behind.
                assert resolve(connection, username).user_id is None, key
    # The read view shows each user's name now, and the legacy text where there is no user.
    for table in MIGRATED_TABLES:
        for row in connection.execute(
            text(f"SELECT id, owner_username, owner_user_id FROM {table}_with_owner")
        ):
            username, user_id = rows[(table, row.id)]
            assert (row.owner_username, row.owner_user_id) == (current.get(user_id, username), user_id)
    # The console's kept counts equal the playbook's step-3 scan.
    assert table_coverage(connection) == scanned_coverage(connection)
    connection.rollback()
    return len(rows)


@pytest.mark.parametrize("resolvable_before", [True, False], ids=["resolvable", "unresolvable"])
def test_a_username_changed_under_a_batch_keeps_the_writers_owner(pending_db, resolvable_before):
    """The race the threads above rarely hit, made certain: a legacy client changes a row's
    username while a batch is on it. The batch re-checks the row's latest version, so it neither
    gives the row the old name's id nor logs the old name as an error."""
    table = "crm_accounts"
    new_name = "nobody.at.all" if resolvable_before else None
    with pending_db.connect() as writer, pending_db.connect() as watch:
        row = watch.execute(
            text(
                f"SELECT id FROM {table} WHERE btrim(owner_username) <> '' "
                "AND ((SELECT user_id FROM resolve_owner_username(owner_username)) IS NOT NULL) "
                "= :resolvable ORDER BY id LIMIT 1"
            ),
            {"resolvable": resolvable_before},
        ).scalar_one()
        watch.rollback()
        if new_name is None:
            new_name = watch.execute(text("SELECT username FROM app_users ORDER BY id LIMIT 1")).scalar_one()
        update_row(writer, table, row, owner_username=new_name)
        batch = threading.Thread(target=run_one_batch, args=(pending_db, table, row - 1))
        batch.start()
        wait_for(lambda: waiting_on(watch, backend_pid(writer)), "the batch to wait on the writer's row")
        writer.commit()
        batch.join()
        assert owner_of(watch, table, row) == (new_name, resolve(watch, new_name).user_id)
        last = watch.execute(
            text(
                f"SELECT max(id) FROM (SELECT id FROM {table} WHERE id >= :row ORDER BY id LIMIT :size) AS b"
            ),
            {"row": row, "size": BATCHES.batch_size},
        ).scalar_one()

        def in_batch(keys):
            return {(t, r) for t, r in keys if t == table and row <= r <= last}

        assert in_batch(error_rows(watch)) == in_batch(unresolved_rows(watch))


def run_one_batch(engine: Engine, table: str, after_id: int) -> None:
    with engine.begin() as connection:
        connection.execute(
            text("SELECT * FROM backfill_owner_batch(:table, :after_id, :size)"),
            {"table": table, "after_id": after_id, "size": BATCHES.batch_size},
        )
