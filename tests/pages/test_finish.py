"""The Finish page: the readiness gates, the next step per table, and the legacy writers."""

import pytest
from sqlalchemy import create_engine, text

from lib.finish.readiness import readiness, readiness_settings
from tests.support.pages import texts


@pytest.mark.parametrize("page", ["overview", "finish"])
def test_no_eta_beside_a_next_step_that_says_no_backfill_can_reach_the_target(console, demo_db, page):
    """Two one-off fixes in twenty minutes of snapshots, on a table that only remediation can bring
    to the target: the page says how far coverage moved, and gives no time to the target."""
    with demo_db.begin() as connection:
        connection.execute(
            text("""
                INSERT INTO migration_ops.coverage_snapshots
                  (taken_at, entity_type, total_legacy, resolved_fk, resolved_pct, reason)
                VALUES (now() - interval '20 minutes', 'crm_accounts', 1940, 1910, 98.45, 'interval'),
                       (now(), 'crm_accounts', 1940, 1917, 98.81, 'interval')
            """)
        )
    app = console(demo_db, page)
    assert any("Next step: No backfill can reach it" in warning for warning in texts(app.warning))
    captions = " ".join(texts(app.caption))
    assert "Coverage moved +0.36 pts (98.45% → 98.81%) over the 20 min of snapshots so far" in captions
    assert " away" not in captions and "pts a day" not in captions


def test_finish_shows_the_gates_the_next_step_and_a_legacy_writer(console, demo_db):
    legacy_api = create_engine(demo_db.url, connect_args={"application_name": "legacy-api"})
    with legacy_api.begin() as connection:
        connection.execute(text("UPDATE crm_accounts SET owner_username = 'rosa.chen' WHERE id = 10"))
    legacy_api.dispose()
    with demo_db.connect() as connection:
        gates = readiness(connection, readiness_settings({}))
    app = console(demo_db, "finish")
    assert not app.exception
    warnings = texts(app.warning)
    assert warnings[0].startswith(
        "1 of 6 readiness gates hold: the legacy column stays until all do. Waiting alone will not "
        "make these hold: Coverage of crm_accounts held at or above 99%; Verify found no drift. The "
        "others hold at the earliest "
    )
    assert warnings[-1] == "Still writing through the legacy path: legacy-api."
    gate_lines = [m.value for m in app.markdown if "check_box" in m.value]
    assert len(gate_lines) == len(gates) == 6
    assert gate_lines[-1].startswith(":material/check_box: **The owner_user_id foreign keys are validated**")
    assert "**No client writes through the legacy path** — last legacy-path write" in gate_lines[3]
    # The same next step, in the same colour, as on Overview.
    [next_step] = [warning for warning in warnings if warning.startswith("Next step: ")]
    assert next_step.startswith("Next step: No backfill can reach it; ")
    # A table at target is told what is left here, not sent to the page it is on.
    [at_target] = texts(app.success)
    assert at_target.endswith("the readiness gates above say what is left.")
    assert not any("on Finish" in line for line in texts(app.success) + warnings)
    # A table at target is told what is left here, not sent to the page it is on.
    [at_target] = texts(app.success)
    assert at_target.endswith("the readiness gates above say what is left.")
    assert not any("on Finish" in line for line in texts(app.success) + warnings)
    writers = app.dataframe[0].value
    assert writers[["entity_type", "application_name", "legacy_writes", "new_writes"]].values.tolist() == [
        ["crm_accounts", "legacy-api", 1, 0]
    ]
