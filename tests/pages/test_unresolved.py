"""The Unresolved page: the breakdown, the filters and inactive owners, equal to SQL."""

from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from tests.support.pages import chart_specs, texts
from tests.support.playbook import playbook_sql_blocks


def test_unresolved_page_breakdown_filters_and_inactive_owners_equal_sql(console, demo_db):
    app = console(demo_db, "unresolved")
    with demo_db.connect() as connection:
        step4 = [tuple(row) for row in connection.execute(text(playbook_sql_blocks()[3]))]
        inactive = {
            table: connection.execute(
                text(
                    f"SELECT count(*) FROM {table} AS t JOIN app_users AS u ON u.id = t.owner_user_id "
                    "WHERE NOT u.is_active"
                )
            ).scalar()
            for table in MIGRATED_TABLES
        }
    assert [tuple(row) for row in app.dataframe[0].value.itertuples(index=False)] == step4
    assert app.get("download_button")[0].label == f"Download these {sum(row[2] for row in step4)} rows as CSV"
    assert [e.label for e in app.expander if ": " in e.label] == [
        f"{t}: {n} rows" for t, n in inactive.items()
    ]

    app.pills(key="unresolved_tables").set_value(["crm_opportunities"])
    app.pills(key="unresolved_reasons").set_value(["ambiguous_username"]).run()
    expected = next(
        count
        for table, reason, count in step4
        if (table, reason) == ("crm_opportunities", "ambiguous_username")
    )
    assert app.get("download_button")[0].label == f"Download these {expected} rows as CSV"
    rows = app.dataframe[1].value
    assert set(rows["entity_type"]) == {"crm_opportunities"} and set(rows["reason"]) == {"ambiguous_username"}
    assert len(rows) == expected


def test_unresolved_says_so_when_no_row_is_recorded_instead_of_an_empty_chart(console, demo_db):
    with demo_db.begin() as connection:
        connection.execute(text("DELETE FROM owner_backfill_errors"))
    app = console(demo_db, "unresolved")
    assert not app.exception and not chart_specs(app)
    assert "owner_backfill_errors holds no rows" in texts(app.info)[0]
