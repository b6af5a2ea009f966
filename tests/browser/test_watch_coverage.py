"""Journey 2: an ops lead watches the Coverage page while the application writes."""

from sqlalchemy import text

from lib.registry import MIGRATED_TABLES
from tests.support.playbook import playbook_coverage

INTERVAL_SECONDS = 5
# A figure changed in the database shows at the page's next refresh; this covers drawing it.
RENDER_SECONDS = 3


def shown_pct(page, table: str) -> str:
    metric = page.locator("[data-testid=stMetric]").filter(has_text=table)
    return metric.locator("[data-testid=stMetricValue]").inner_text()


def playbook_pcts(demo) -> dict[str, str]:
    with demo.connect() as connection:
        return {table: f"{playbook_coverage(connection, table)[2]}%" for table in MIGRATED_TABLES}


def test_coverage_equals_the_playbook_and_follows_a_write_without_a_reload(viewer, demo):
    page = viewer.open("coverage")
    before = playbook_pcts(demo)
    assert {table: shown_pct(page, table) for table in MIGRATED_TABLES} == before
    # The 99% target is drawn as a labelled rule on the chart, and each figure is read against it.
    chart = page.locator("[data-testid=stVegaLiteChart]").first
    assert chart.locator("svg text", has_text="target 99%").count() == 1
    assert chart.locator("svg .mark-rule:not(.role-axis-grid) line").count() == 1
    accounts = page.locator("[data-testid=stMetric]").filter(has_text="crm_accounts")
    assert accounts.locator("[data-testid=stMetricDelta]").inner_text().endswith("pts vs target")

    refresh = page.get_by_role("radiogroup", name="Refresh every (seconds)")
    refresh.get_by_role("radio", name=str(INTERVAL_SECONDS), exact=True).click()
    page.get_by_text(f"refresh every {INTERVAL_SECONDS} s").wait_for()
    page.evaluate("window.sameDocument = true")
    # The application gives 100 unresolved accounts a known owner; the sync trigger resolves them.
    with demo.begin() as connection:
        connection.execute(
            text("""
                UPDATE crm_accounts SET owner_username = (SELECT min(username) FROM app_users WHERE is_active)
                WHERE id IN (SELECT entity_id FROM owner_backfill_errors
                             WHERE entity_type = 'crm_accounts' ORDER BY entity_id LIMIT 100)
            """)
        )
    after = playbook_pcts(demo)
    assert after["crm_accounts"] != before["crm_accounts"]
    page.wait_for_function(
        """expected => [...document.querySelectorAll('[data-testid=stMetric]')].some(metric =>
               metric.innerText.includes('crm_accounts') && metric.innerText.includes(expected))""",
        arg=after["crm_accounts"],
        timeout=(INTERVAL_SECONDS + RENDER_SECONDS) * 1000,
    )
    assert {table: shown_pct(page, table) for table in MIGRATED_TABLES} == after
    assert page.evaluate("window.sameDocument") is True
    assert viewer.problems(page) == []
