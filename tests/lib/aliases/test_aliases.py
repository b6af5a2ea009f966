"""Aliases against a real database: the rule's precedence, suggestions on the demo, preview and
apply, removal, CSV import, and the guards."""

import re

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from lib.aliases import suggestions
from lib.aliases.csv_import import ImportFileError, parse_alias_csv
from lib.aliases.store import (
    ProposedAlias,
    alias_batches,
    awaiting_backfill,
    list_aliases,
    preview_aliases,
    preview_removal,
)
from lib.aliases.suggestions import (
    PREFILL_SCORE,
    STATUS,
    NameFilter,
    UnresolvedName,
    compute_suggestions,
    compute_suggestions_if_due,
    fold_review_edits,
    kept_suggestions,
    remediation_inputs,
    review_rows,
    shown_names,
    unresolved_names,
)
from lib.backfill.runs import create_run
from lib.backfill.task import run_backfill
from lib.coverage.counts import table_coverage
from lib.errors import BadInput, Refused
from lib.guard.actions import add_aliases, drop_aliases
from lib.guard.audit import AuditFilter, audit_entries, screen_rows
from lib.guard.identity import Identity, local_identity
from lib.jobs.settings import BatchSettings
from lib.jobs.throttle import ThrottleSettings
from lib.registry import MIGRATED_TABLES
from tests.support.cli import cli, url_of
from tests.support.crm import add_user, error_rows, insert_row, owner_of, resolve, unresolved_rows
from tests.support.playbook import playbook_coverage
from tests.support.site import set_site_setting

OPERATOR = Identity("lead@example.com", "oidc")
VIEWER = Identity("viewer@example.com", "oidc")


pytestmark = pytest.mark.operators("lead@example.com", local="")


def backfill(engine) -> None:
    assert run_backfill(engine, BatchSettings(), "test", "cli").status == "succeeded"


def aliases_of(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {alias["legacy_username"]: alias["user_id"] for alias in list_aliases(connection)}


def audit(engine) -> list[tuple]:
    with engine.connect() as connection:
        return connection.execute(
            text("SELECT actor, role, action, outcome FROM migration_ops.audit_log ORDER BY id")
        ).all()


def figures(coverage) -> tuple:
    return (coverage.total_legacy, coverage.resolved_fk, coverage.resolved_pct)


def true_owner(legacy: str, usernames: list[str]) -> str | None:
    """The user a person would recognise in a demo misspelling, found without the database: a typo
    (one character dropped, an x appended), other punctuation, or the e-mail name."""
    for username in usernames:
        first, _, rest = username.partition(".")
        typos = {username[:i] + username[i + 1 :] + "x" for i in range(len(username))}
        if legacy in typos or re.sub("[ _-]", ".", legacy) == username or legacy == first[:1] + rest:
            return username
    return None


def test_top_suggestions_lift_the_lower_table_above_the_target(demo_db, capsys):
    with demo_db.connect() as connection:
        assert not connection.execute(text("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'")).all()
        before = {row.table: row.resolved_pct for row in table_coverage(connection)}
        names = unresolved_names(connection)
        usernames = list(connection.execute(text("SELECT username FROM app_users")).scalars())
    assert before["crm_accounts"] < 99

    not_found = [name for name in names if name.match_kind == "not_found"]
    correct = [name for name in not_found if true_owner(name.legacy_username, usernames)]
    suggested = [name for name in not_found if name.best]
    right = [
        name
        for name in correct
        if name.best and name.best.username == true_owner(name.legacy_username, usernames)
    ]
    wrong = [name for name in suggested if name not in correct]
    print(
        f"\nsuggestions on the demo: {len(not_found)} user_not_found usernames, {len(correct)} with a "
        f"recognisable owner, {len(right)} of them with it as the top suggestion, {len(wrong)} suggestions "
        "for a username with no owner"
    )
    assert len(right) == len(correct) > 0
    assert not wrong
    ambiguous = [name for name in names if name.match_kind == "ambiguous"]
    assert ambiguous and all(len(name.candidates) >= 2 and name.best is None for name in ambiguous)

    proposals = [ProposedAlias(name.legacy_username, name.best.username) for name in suggested]
    added = add_aliases(demo_db, OPERATOR, proposals, "review")
    assert len(added.check.accepted) == len(proposals) and not added.check.rejected
    backfill(demo_db)

    with demo_db.connect() as connection:
        after = {row.table: row for row in table_coverage(connection)}
        for table in MIGRATED_TABLES:
            assert figures(after[table]) == playbook_coverage(connection, table)
        assert after["crm_accounts"].resolved_pct > 99
        assert set(error_rows(connection)) == unresolved_rows(connection)
        assert {name.legacy_username for name in unresolved_names(connection)}.isdisjoint(
            {proposal.legacy_username for proposal in proposals}
        )
        batch = alias_batches(connection)[0]
    assert batch["aliases"] == len(proposals) and batch["run_status"] == "succeeded"
    bought_rows, bought_share = batch["bought"]["crm_accounts"]
    assert bought_share == round(bought_rows * 100 / after["crm_accounts"].total_legacy, 2) > 0
    assert batch["coverage_before"]["crm_accounts"]["resolved_pct"] == str(before["crm_accounts"])


def test_the_rule_tries_exact_then_case_insensitive_then_the_alias(db):
    with db.begin() as connection:
        smith = add_user(connection, "john.smith")
        row = insert_row(connection, "crm_accounts", owner_username=" jsmith ")
    added = add_aliases(db, OPERATOR, [ProposedAlias("jsmith", "john.smith")], "cli")
    assert added.batch_id is not None
    with db.begin() as connection:
        assert tuple(resolve(connection, "  jsmith")) == (smith, "alias", None)
        assert resolve(connection, "JSMITH").reason == "user_not_found"  # an alias names its text exactly
        # The row written before the alias waits for the backfill; a new write resolves at once.
        assert owner_of(connection, "crm_accounts", row) == (" jsmith ", None)
        new_row = insert_row(connection, "crm_accounts", owner_username="jsmith")
        assert owner_of(connection, "crm_accounts", new_row) == ("jsmith", smith)
        # A user who has the name exactly wins over the alias, for every write from now on.
        exact = add_user(connection, "jsmith")
        assert tuple(resolve(connection, "jsmith")) == (exact, "exact", None)
        newest = insert_row(connection, "crm_accounts", owner_username="jsmith")
        assert owner_of(connection, "crm_accounts", newest) == ("jsmith", exact)


def test_an_alias_is_refused_for_a_name_the_rule_resolves_or_an_unknown_user(db):
    with db.begin() as connection:
        add_user(connection, "anna")
        add_user(connection, "Bob")
    proposals = [
        ProposedAlias("anna", "Bob"),
        ProposedAlias("ANNA", "Bob"),
        ProposedAlias("ghost", user_id=987654),
        ProposedAlias("ghost2", "nobody"),
        ProposedAlias("   ", "Bob"),
    ]
    added = add_aliases(db, OPERATOR, proposals, "cli")
    assert added.batch_id is None and not aliases_of(db)
    assert [rejection.reason for rejection in added.check.rejected] == [
        "the legacy username is empty",
        "'anna' already resolves to 'anna' by an exact match; an alias would never be used",
        "'ANNA' already resolves to 'anna' by a case-insensitive match; an alias would never be used",
        "no user has id 987654",
        "no user is named 'nobody'",
    ]
    # The database refuses an unknown user whatever writes the alias.
    with pytest.raises(IntegrityError, match="owner_username_aliases_user_id_fkey"), db.begin() as connection:
        batch = connection.execute(
            text(
                "INSERT INTO migration_ops.alias_batches (created_by, source) "
                "VALUES ('psql', 'cli') RETURNING id"
            )
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO migration_ops.owner_username_aliases "
                "(legacy_username, user_id, batch_id, created_by) VALUES ('ghost', 987654, :batch, 'psql')"
            ),
            {"batch": batch},
        )


def test_an_alias_decides_between_the_users_of_an_ambiguous_name(db):
    with db.begin() as connection:
        lower, title = add_user(connection, "bob"), add_user(connection, "Bob")
        row = insert_row(connection, "crm_opportunities", owner_username="BOB")
    with db.connect() as connection:
        (name,) = unresolved_names(connection)
    assert name.match_kind == "ambiguous" and name.best is None and name.suggestion() is None
    assert {candidate.user_id for candidate in name.candidates} == {lower, title}
    add_aliases(db, OPERATOR, [ProposedAlias("BOB", user_id=title)], "cli")
    backfill(db)
    with db.connect() as connection:
        assert owner_of(connection, "crm_opportunities", row) == ("BOB", title)
        assert not error_rows(connection)


def test_users_that_tie_are_all_named_in_the_review_and_none_is_filled_in(db):
    with db.begin() as connection:
        add_user(connection, "bob"), add_user(connection, "Bob")
        insert_row(connection, "crm_opportunities", owner_username="BOB")
    with db.connect() as connection:
        (name,) = unresolved_names(connection)
    (row,) = review_rows([name], PREFILL_SCORE, tick=True)
    assert row["candidate"] in ("bob (+1 tied)", "Bob (+1 tied)") and row["score"] == 1.0
    assert row["map to"] == "" and row["apply"] is False


def test_a_user_typed_into_map_to_ticks_its_row_and_every_edit_outlives_the_redraw():
    names = [
        UnresolvedName(legacy, "not_found", {"crm_accounts": 1}, 1) for legacy in ("jsmith", "mroe", "x")
    ]
    rows = review_rows(names, PREFILL_SCORE, tick=False)
    edits: dict[str, dict] = {}
    # A tick alone needs no redraw.
    assert not fold_review_edits(rows, {2: {"apply": True}}, edits) and edits == {}
    # A typed user does, and the tick made before it is kept with it.
    assert fold_review_edits(rows, {0: {"map to": "john.smith"}, 2: {"apply": True}}, edits)
    assert edits == {"jsmith": {"map to": "john.smith", "apply": True}, "x": {"apply": True}}
    redrawn = review_rows(names, PREFILL_SCORE, tick=False, edits=edits)
    assert [(row["apply"], row["map to"]) for row in redrawn] == [
        (True, "john.smith"),
        (False, ""),
        (True, ""),
    ]
    # Typed and unticked on purpose: the operator's untick stands.
    assert not fold_review_edits(redrawn, {0: {"apply": False}}, edits)


def test_a_name_aliased_since_the_suggestions_were_computed_leaves_the_review(db):
    with db.begin() as connection:
        add_user(connection, "john.smith")
        insert_row(connection, "crm_accounts", owner_username="jsmith")
        insert_row(connection, "crm_accounts", owner_username="jsmyth")
    with db.connect() as connection:
        compute_suggestions(connection)
    add_aliases(db, OPERATOR, [ProposedAlias("jsmith", "john.smith")], "review")
    with db.connect() as connection:
        shown, selected = shown_names(connection, NameFilter(tuple(STATUS), with_candidates=False))
    assert [name.legacy_username for name in shown] == ["jsmyth"] and selected == 1


def test_removing_an_alias_returns_its_rows_to_unresolved(db):
    with db.begin() as connection:
        smith = add_user(connection, "john.smith")
        rows = [insert_row(connection, table, owner_username="jsmith") for table in MIGRATED_TABLES]
        by_id = insert_row(connection, "crm_accounts", owner_user_id=smith)
    add_aliases(db, OPERATOR, [ProposedAlias("jsmith", "john.smith")], "review")
    backfill(db)
    with db.connect() as connection:
        assert [
            owner_of(connection, table, row) for table, row in zip(MIGRATED_TABLES, rows, strict=True)
        ] == [("jsmith", smith)] * 2
        (preview,) = preview_removal(connection, ["jsmith"])
    assert preview.unresolved == dict.fromkeys(MIGRATED_TABLES, 1)
    assert aliases_of(db) == {"jsmith": smith}  # the preview kept everything

    (removal,) = drop_aliases(db, OPERATOR, ["jsmith", "never-aliased"])
    assert removal.rows == removal.unresolved == dict.fromkeys(MIGRATED_TABLES, 1)
    backfill(db)
    with db.connect() as connection:
        for table, row in zip(MIGRATED_TABLES, rows, strict=True):
            assert owner_of(connection, table, row) == ("jsmith", None)
            assert error_rows(connection)[table, row] == ("jsmith", "user_not_found")
        assert set(error_rows(connection)) == unresolved_rows(connection)
        # Ownership given by id, not through the alias, stays.
        assert owner_of(connection, "crm_accounts", by_id) == ("john.smith", smith)
        for table in MIGRATED_TABLES:
            row = next(row for row in table_coverage(connection) if row.table == table)
            assert figures(row) == playbook_coverage(connection, table)
    assert [entry[2:] for entry in audit(db)[-4:]] == [
        ("remove alias", "started"),
        ("remove alias", "succeeded"),
        ("remove alias", "failed"),
        ("remove alias", "succeeded"),
    ]


def test_the_remediation_inputs_change_with_every_run_and_alias_change(db):
    def inputs() -> tuple:
        with db.connect() as connection:
            return remediation_inputs(connection)

    with db.begin() as connection:
        add_user(connection, "john.smith")
        add_user(connection, "mary.jones")
    seen = [inputs()]
    add_aliases(db, OPERATOR, [ProposedAlias("jsmith", "john.smith")], "review")
    seen.append(inputs())
    with db.connect() as connection:
        preview_aliases(connection, [ProposedAlias("mjones", "mary.jones")])
    assert inputs() == seen[-1]  # a dry run changes nothing
    backfill(db)
    seen.append(inputs())
    drop_aliases(db, OPERATOR, ["jsmith"])
    seen.append(inputs())
    add_aliases(db, OPERATOR, [ProposedAlias("mjones", "mary.jones")], "review")  # as many aliases again
    seen.append(inputs())
    assert len(set(seen)) == len(seen), seen


OPEN = ("not_found", "ambiguous")


def test_kept_suggestions_are_computed_when_due_and_equal_the_query(db, monkeypatch):
    def due() -> bool:
        with db.connect() as connection:
            return compute_suggestions_if_due(connection) is not None

    def kept():
        with db.connect() as connection:
            return kept_suggestions(connection)

    with db.begin() as connection:
        add_user(connection, "john.smith")
        add_user(connection, "mary.jones")
        for name in ("jsmith", "jsmith", "mjones", "nobody at all"):
            insert_row(connection, "crm_accounts", owner_username=name)
    assert kept() is None
    assert due()  # none kept
    assert not due()  # current and young
    first = kept()
    assert (first.current, first.open_names) == (True, 3)
    with db.connect() as connection:
        assert shown_names(connection, NameFilter(OPEN, with_candidates=False))[0] == unresolved_names(
            connection
        )

    add_aliases(db, OPERATOR, [ProposedAlias("jsmith", "john.smith")], "review")
    assert not kept().current
    with db.begin() as connection:  # a run at work: computed when it ends, not before
        run = create_run(connection, BatchSettings(), "test", "cli", ThrottleSettings())
    assert not due()
    with db.begin() as connection:
        connection.execute(
            text("UPDATE migration_ops.backfill_runs SET status = 'cancelled' WHERE id = :id"), {"id": run}
        )
    assert due()
    now = kept()
    assert (now.current, now.open_names) == (True, 2)
    with db.connect() as connection:
        assert awaiting_backfill(connection) == (1, 2)
    assert now.computed_at > first.computed_at

    with db.begin() as connection:  # an ordinary write: computed again once they are old
        insert_row(connection, "crm_accounts", owner_username="m.jones")
    assert not due()
    monkeypatch.setattr(suggestions, "KEPT_FOR_SECONDS", 0)
    assert due()
    assert kept().open_names == 3


def test_recompute_reuses_kept_suggestions_younger_than_asked(db):
    with db.connect() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
        assert compute_suggestions(connection) is not None
        insert_row(connection, "crm_accounts", owner_username="phantom")
        connection.commit()
        assert compute_suggestions(connection, reuse_younger_than=3600) is None
        assert kept_suggestions(connection).open_names == 1
        assert compute_suggestions(connection, reuse_younger_than=0) is not None
        assert kept_suggestions(connection).open_names == 2


def test_the_review_filters_select_kept_names_in_the_database(db):
    with db.connect() as connection:
        add_user(connection, "john.smith")
        add_user(connection, "Ann")
        add_user(connection, "ann")
        for name, rows in (("jsmith", 3), ("ANN", 2), ("nobody", 1), ("no one", 1)):
            for _ in range(rows):
                insert_row(connection, "crm_accounts", owner_username=name)
        compute_suggestions(connection)

    def shown(names: NameFilter) -> tuple[list[str], int]:
        with db.connect() as connection:
            listed, selected = shown_names(connection, names)
        return [name.legacy_username for name in listed], selected

    assert shown(NameFilter(OPEN)) == (["jsmith", "ANN"], 2)  # most rows first, with candidates
    assert shown(NameFilter(OPEN, with_candidates=False)) == (["jsmith", "ANN", "no one", "nobody"], 4)
    assert shown(NameFilter(("ambiguous",), with_candidates=False)) == (["ANN"], 1)
    assert shown(NameFilter(OPEN, contains="NO", with_candidates=False)) == (["no one", "nobody"], 2)
    assert shown(NameFilter(OPEN, with_candidates=False, limit=1)) == (["jsmith"], 4)
    with db.connect() as connection:
        (jsmith,) = shown_names(connection, NameFilter(OPEN, contains="jsmith"))[0]
        assert jsmith.candidates == [
            c for n in unresolved_names(connection) if n.legacy_username == "jsmith" for c in n.candidates
        ]
    with pytest.raises(BadInput, match="NUL character"):
        NameFilter(OPEN, contains="a\x00b")


HOSTILE = (
    "tab\there",
    "new\nline",
    "back\\slash\\N",
    "'; DROP TABLE app_users; --",
    "100%_",
    "用户\xa0",
    "x" * 10_240,
)


def test_kept_suggestions_give_back_hostile_usernames_exactly(db):
    with db.connect() as connection:
        for name in HOSTILE:
            insert_row(connection, "crm_accounts", owner_username=name)
        compute_suggestions(connection)
        for name in HOSTILE:
            (shown,), selected = shown_names(
                connection, NameFilter(OPEN, contains=name, with_candidates=False)
            )
            assert (shown.legacy_username, shown.rows, selected) == (name, 1, 1)


CSV = b"""legacy_username,username,user_id,note
jsmith,john.smith,,renamed in 2024
"broken,line
"""


def test_a_csv_import_reports_each_bad_line_and_writes_nothing_until_applied(db):
    with db.begin() as connection:
        smith = add_user(connection, "john.smith")
        garcia = add_user(connection, "mgarcia")
        for name in ("jsmith", "m.garcia", "BOB"):
            insert_row(connection, "crm_accounts", owner_username=name)
    data = "\n".join(
        [
            "legacy_username,username,user_id,note",
            "jsmith,john.smith,,renamed in 2024",  # 2: good
            f"m.garcia,,{garcia}",  # 3: too few fields
            "m.garcia,,abc,",  # 4: not an id
            "BOB,nobody,,",  # 5: unknown user
            "jsmith,mgarcia,,",  # 6: duplicate of line 2
            "ghost,,999999,",  # 7: unknown id
            f"m.garcia,mgarcia,{garcia},",  # 8: both given
            f"m.garcia,,{garcia},e-mail name",  # 9: good
        ]
    ).encode()
    proposals, rejected_lines = parse_alias_csv(data)
    with db.connect() as connection:
        preview = preview_aliases(connection, proposals)
    rejected = sorted(
        rejected_lines + preview.check.rejected, key=lambda rejection: int(rejection.where.split()[1])
    )
    assert [str(rejection) for rejection in rejected] == [
        "line 3: 3 fields where the header has 4",
        "line 4: user_id 'abc' is not a user id (a whole number)",
        "line 5: no user is named 'nobody'",
        "line 6: 'jsmith' is already mapped by line 2",
        "line 7: no user has id 999999",
        "line 8: both username and user_id are given; give one",
    ]
    assert [(alias.legacy_username, alias.user_id) for alias in preview.check.accepted] == [
        ("jsmith", smith),
        ("m.garcia", garcia),
    ]
    assert preview.rows == {
        "jsmith": {"crm_accounts": 1, "crm_opportunities": 0},
        "m.garcia": {"crm_accounts": 1, "crm_opportunities": 0},
    }
    assert not aliases_of(db)

    added = add_aliases(db, OPERATOR, proposals, "import", "from the sales team", rejected_lines)
    assert aliases_of(db) == {"jsmith": smith, "m.garcia": garcia}
    assert len(added.check.rejected) == 6
    entries = audit(db)
    assert [entry[2:] for entry in entries].count(("add alias", "succeeded")) == 2
    assert [entry[2:] for entry in entries].count(("add alias", "failed")) == 6
    assert entries[-1][2:] == ("import aliases", "succeeded")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"legacy,user\n", "must name legacy_username"),
        (b"legacy_username,username\n\xff\xfe\n", "not UTF-8"),
    ],
)
def test_an_unreadable_import_file_is_refused_as_a_whole(data, message):
    with pytest.raises(ImportFileError, match=message):
        parse_alias_csv(data)


def test_an_unterminated_quote_is_reported_on_its_line():
    proposals, rejected = parse_alias_csv(CSV)
    assert [proposal.legacy_username for proposal in proposals] == ["jsmith"]
    assert [rejection.where for rejection in rejected] == ["line 3"]


def test_a_viewer_cannot_add_remove_or_import_aliases_and_each_refusal_is_audited(db):
    with db.begin() as connection:
        smith = add_user(connection, "john.smith")
    add_aliases(db, OPERATOR, [ProposedAlias("jsmith", "john.smith")], "cli")
    for attempt in (
        lambda: add_aliases(db, VIEWER, [ProposedAlias("jsmyth", "john.smith")], "review"),
        lambda: add_aliases(db, VIEWER, [ProposedAlias("jsmyth", "john.smith")], "import"),
        lambda: drop_aliases(db, VIEWER, ["jsmith"]),
    ):
        with pytest.raises(Refused, match="is a viewer"):
            attempt()
    assert aliases_of(db) == {"jsmith": smith}
    assert [entry for entry in audit(db) if entry[1] == "viewer"] == [
        ("viewer@example.com", "viewer", "add alias", "refused"),
        ("viewer@example.com", "viewer", "import aliases", "refused"),
        ("viewer@example.com", "viewer", "remove alias", "refused"),
    ]


@pytest.mark.slow
def test_the_cli_adds_imports_and_removes_for_an_operator_and_refuses_a_viewer(db, tmp_path, monkeypatch):
    with db.begin() as connection:
        smith = add_user(connection, "john.smith")
        insert_row(connection, "crm_accounts", owner_username="jsmith")
    url = url_of(db)
    dry = cli("aliases", "add", "jsmith", "--username", "john.smith", database_url=url)
    assert dry.returncode == 0 and "resolves 1 crm_accounts" in dry.stdout and "dry run" in dry.stdout
    refused = cli("aliases", "add", "jsmith", "--username", "john.smith", "--yes", database_url=url)
    assert refused.returncode == 1 and "is a viewer" in refused.stderr
    assert not aliases_of(db)

    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    added = cli("aliases", "add", "jsmith", "--username", "john.smith", "--yes", database_url=url)
    assert added.returncode == 0, added.stderr
    assert aliases_of(db) == {"jsmith": smith}
    listed = cli("aliases", "list", database_url=url)
    assert "'jsmith'\tjohn.smith" in listed.stdout
    file = tmp_path / "aliases.csv"
    file.write_text("legacy_username,username\njsmith,john.smith\nj.smith,john.smith\n")
    imported = cli("aliases", "import", str(file), "--yes", database_url=url)
    assert imported.returncode == 1  # one line rejected
    assert "line 2: 'jsmith' already has an alias" in imported.stderr
    assert aliases_of(db) == {"jsmith": smith, "j.smith": smith}
    removed = cli("aliases", "remove", "jsmith", "--yes", database_url=url)
    assert removed.returncode == 0 and "returned to unresolved 0 of 0 crm_accounts" in removed.stdout
    assert aliases_of(db) == {"j.smith": smith}

    # The audit says, on screen as in the CSV, which alias each entry touched, and that the CLI did it.
    with db.connect() as connection:
        shown = screen_rows(audit_entries(connection, AuditFilter(actions=("add alias", "remove alias")), 10))
    assert [(row["via"], row["identified by"], row["action"], row["outcome"]) for row in shown] == [
        ("cli", "local", "remove alias", "succeeded"),  # the attempt
        ("cli", "local", "remove alias", "succeeded"),  # its alias
        ("cli", "local", "remove alias", "started"),
        ("cli", "local", "add alias", "failed"),  # the import's lines
        ("cli", "local", "add alias", "succeeded"),
        ("cli", "local", "add alias", "succeeded"),  # the attempt
        ("cli", "local", "add alias", "succeeded"),  # its alias
        ("cli", "local", "add alias", "started"),
        ("cli", "local", "add alias", "refused"),
    ]
    per_table = "crm_accounts 0, crm_opportunities 0"
    assert shown[0]["what"] == "legacy usernames: jsmith"
    assert shown[1]["what"] == (
        f"rows: {per_table} · user id: {smith} · legacy username: jsmith · back to unresolved: {per_table}"
    )
    assert (
        shown[3]["what"] == "where: line 2 · source: import · legacy username: jsmith · "
        "'jsmith' already has an alias, to 'john.smith'; remove it first"
    )
    assert "legacy username: j.smith" in shown[4]["what"] and "username: john.smith" in shown[4]["what"]


SIMILARITY_SAMPLES = [
    ("john.smith", "jsmith"),
    ("Anna.Horvat", "anna horvat"),
    ("mara.smithx", "maria.smith"),
    ("émilie.côté", "emilie.cote"),
    ("a", "ab"),
    ("", "x"),
    ("--", "__"),
    ("O'Connor", "oconnor"),
    ("王伟", "王伟伟"),
    ("x" * 300, "x" * 299 + "y"),
]


def test_the_similarity_without_an_extension_is_pg_trgms(db):
    with db.begin() as connection:
        connection.exec_driver_sql("CREATE EXTENSION pg_trgm")
        for left, right in SIMILARITY_SAMPLES:
            ours, theirs = connection.execute(
                text("SELECT migration_ops.username_similarity(:l, :r), similarity(:l, :r)"),
                {"l": left, "r": right},
            ).one()
            assert ours == pytest.approx(theirs), (left, right)


def test_a_case_only_difference_is_described_as_such_and_only_confident_owners_are_filled_in(db, monkeypatch):
    with db.begin() as connection:
        add_user(connection, "maria.lopez")
        add_user(connection, "sergei.dubois")
        insert_row(connection, "crm_accounts", owner_username="MARIA.LOPEZ ")  # resolved by the rule
        insert_row(connection, "crm_accounts", owner_username="Maria_Lopez")  # the same letters
        insert_row(connection, "crm_accounts", owner_username="sergi.duboisx")  # a near spelling
    with db.connect() as connection:
        names = {name.legacy_username: name for name in unresolved_names(connection)}
    same, near = names["Maria_Lopez"].best, names["sergi.duboisx"].best
    assert same.username == "maria.lopez" and "near spelling" not in same.evidence
    assert same.evidence == ("differs only in case",) or "same letters and digits" in same.evidence
    assert near.username == "sergei.dubois" and near.evidence == ("near spelling",)
    # The default threshold fills in the same name, never a near spelling; a lower one does.
    assert names["Maria_Lopez"].suggestion() == same and names["sergi.duboisx"].suggestion() is None
    assert names["sergi.duboisx"].suggestion(near.score) == near

    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    default = cli("aliases", "suggest", database_url=url_of(db))
    lowered = cli("aliases", "suggest", "--min-score", str(near.score), database_url=url_of(db))
    refused = cli("aliases", "suggest", "--min-score", "2", database_url=url_of(db))
    assert "'sergi.duboisx' (user_not_found, 1 row): choose" in default.stdout
    assert "'sergi.duboisx' (user_not_found, 1 row): suggest sergei.dubois" in lowered.stdout
    assert refused.returncode == 2 and "a score is between 0 and 1, not 2" in refused.stderr
