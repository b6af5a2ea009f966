"""The Preflight page: the playbook's volume queries, and a forecast that writes nothing."""

from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from tests.support.crm import add_user, error_rows
from tests.support.playbook import playbook_sql_blocks


def test_preflight_volume_matches_and_a_forecast_that_writes_nothing(console, demo_db):
    volume_sql = playbook_sql_blocks()[0]
    with demo_db.begin() as connection:
        volumes = [connection.execute(text(statement)).scalar() for statement in volume_sql.split(";")[:2]]
        add_user(connection, "ghost.owner")  # no row names them: nothing changes
        missing = connection.execute(
            text(
                "SELECT owner_username FROM owner_backfill_errors WHERE reason = 'user_not_found' "
                "AND entity_type = 'crm_accounts' AND owner_username ~ '^[a-z.]+$' LIMIT 1"
            )
        ).scalar_one()
        add_user(connection, missing)
        expected_new = [
            connection.execute(
                text(
                    f"SELECT count(*) FROM {table} WHERE owner_user_id IS NULL AND btrim(owner_username) = :u"
                ),
                {"u": missing},
            ).scalar_one()
            for table in MIGRATED_TABLES
        ]
        before = error_rows(connection)

    app = console(demo_db, "preflight")
    assert not app.exception
    metrics = {metric.label: metric.value for metric in app.metric}
    assert [metrics[f"{table} with an owner"] for table in MIGRATED_TABLES] == [f"{v:,}" for v in volumes]
    assert not [frame for frame in app.dataframe if "distinct" in frame.value.columns]  # counted when asked
    app.button(key="preflight_count_usernames").click().run()
    matches = app.dataframe[0].value.set_index("table")
    with demo_db.connect() as connection:
        for table in MIGRATED_TABLES:
            distinct = connection.execute(
                text(f"SELECT count(DISTINCT owner_username) FROM {table} WHERE btrim(owner_username) <> ''")
            ).scalar()
            assert matches.loc[table, "distinct"] == distinct
        assert error_rows(connection) == before  # the dry run wrote nothing
    would_resolve = [m.value for m in app.metric if m.label == "rows a run would resolve"]
    assert would_resolve == [f"{count:,}" for count in expected_new]
    assert expected_new[0] > 0
