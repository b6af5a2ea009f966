"""The Remediation page: the suggestions, kept and recomputed, and aliases previewed and removed."""

import lib.background.jobs
import ui.database
from lib.aliases.store import ProposedAlias, list_aliases
from lib.aliases.suggestions import compute_suggestions, kept_suggestions
from lib.guard.actions import add_aliases
from lib.guard.identity import Identity, local_identity
from tests.support.crm import add_user, error_rows, insert_row, owner_of, unresolved_rows
from tests.support.pages import texts
from tests.support.polling import wait_for
from tests.support.site import set_site_setting


def test_a_viewer_sees_remediation_suggestions_with_every_action_disabled(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_OPERATORS", "lead@example.com")
    with demo_db.begin() as connection:
        add_user(connection, "john.smith")
        insert_row(connection, "crm_accounts", owner_username="jsmith")
    add_aliases(demo_db, Identity("lead@example.com", "oidc"), [ProposedAlias("jsmith", "john.smith")], "cli")
    compute(demo_db)  # as the console's background job does after an alias change
    app = console(demo_db, "remediation")  # DATABASE_URL set, local user not listed: a viewer
    assert not app.exception
    assert "is a viewer" in app.info[0].value
    assert "Waiting for the backfill: 1 aliased username, 1 row." in app.info[1].value
    assert app.data_editor[0].proto.disabled
    for key in ("remediation_preview", "remediation_backfill_open", "remediation_remove"):
        assert app.button(key=key).disabled
    assert app.multiselect(key="remediation_remove_names").disabled


def test_an_operator_previews_a_removal_then_removes_the_alias(console, demo_db, monkeypatch):
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    with demo_db.begin() as connection:
        smith = add_user(connection, "john.smith")
        row = insert_row(connection, "crm_accounts", owner_username="jsmith")
    operator = local_identity()
    add_aliases(demo_db, operator, [ProposedAlias("jsmith", user_id=smith)], "import")
    compute(demo_db)
    app = console(demo_db, "remediation")
    app.button(key="remediation_backfill_open").click().run()
    app.button(key="remediation_backfill_start").click().run()  # the confirmation Operations shows
    wait_for(lambda: owner_of_row(demo_db, row) == smith, "the backfill to resolve the aliased row")
    app = console(demo_db, "remediation")
    app.multiselect(key="remediation_remove_names").select("jsmith").run()
    assert "back to unresolved: 1 of 1 crm_accounts rows" in " ".join(texts(app.markdown))
    app.button(key="remediation_remove").click().run()
    assert not app.exception
    assert "1 alias removed and audited; 1 row unresolved again." in app.success[0].value
    assert owner_of_row(demo_db, row) is None
    with demo_db.connect() as connection:
        assert not list_aliases(connection)
        assert set(error_rows(connection)) == unresolved_rows(connection)


def owner_of_row(engine, row: int) -> int | None:
    with engine.connect() as connection:
        return owner_of(connection, "crm_accounts", row)[1]


def compute(engine) -> None:
    with engine.connect() as connection:
        compute_suggestions(connection)


def test_remediation_shows_the_kept_suggestions_until_asked_to_recompute(console, db, monkeypatch):
    monkeypatch.setattr(lib.background.jobs, "JOBS", ())  # what the page shows, not when the job runs
    with db.begin() as connection:
        add_user(connection, "john.smith")
        insert_row(connection, "crm_accounts", owner_username="jsmith")
    app = console(db, "remediation")
    assert not app.exception
    assert "Finding candidate owners" in app.info[-1].value
    assert app.tabs[2].caption[0].value == "No aliases yet."  # the other tabs are there
    compute(db)
    app.run()
    assert shown_names(app) == ["jsmith"]
    assert "background job" in app.caption[1].value
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="john-smith")
    app.run()
    assert shown_names(app) == ["jsmith"]  # an ordinary write: the kept list is still current
    assert not app.warning
    app.button(key="remediation_recompute").click().run()
    # A list younger than ON_REQUEST_REUSE_SECONDS is what Recompute gives, however often clicked.
    assert shown_names(app) == ["jsmith"]
    monkeypatch.setattr(ui.database, "ON_REQUEST_REUSE_SECONDS", 0)
    app.button(key="remediation_recompute").click().run()
    assert not app.exception
    assert sorted(shown_names(app)) == ["john-smith", "jsmith"]
    add_aliases(db, local_operator(monkeypatch), [ProposedAlias("jsmith", "john.smith")], "review")
    app.run()
    assert "Computed before the latest backfill run or alias change" in app.warning[0].value


def test_the_console_computes_the_suggestions_in_the_background(console, db):
    with db.begin() as connection:
        insert_row(connection, "crm_accounts", owner_username="ghost")
    console(db, "overview")

    def kept():
        with db.connect() as connection:
            return kept_suggestions(connection)

    wait_for(lambda: kept() is not None, "the background job to keep the suggestions")
    assert kept().open_names == 1


def local_operator(monkeypatch) -> Identity:
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    return local_identity()


def shown_names(app) -> list[str]:
    return list(app.data_editor[0].value["legacy name"])
