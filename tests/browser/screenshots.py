"""Regenerate the README's screenshots of every page: `scripts/screenshots`.

A fresh embedded server in .data/screenshots gets the default demo CRM; the console is served on
it and each page is captured in headless Chromium, through the same harness as the browser tests.
"""

import os

from lib.actions import start_backfill
from lib.backfill.settings import BatchSettings
from lib.database import create_engine_for
from lib.demo import load_demo
from lib.embedded import start_embedded_server
from lib.identity import local_identity
from lib.settings import PROJECT_ROOT
from tests.browser.console import PAGES, chromium, open_page, running_console

DATA_DIR = PROJECT_ROOT / ".data" / "screenshots"
OUT_DIR = PROJECT_ROOT / "docs" / "screenshots"
DATABASE = "crm_screenshots"


def fresh_demo_url() -> str:
    server = start_embedded_server(DATA_DIR)
    admin = create_engine_for(server)
    with admin.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        connection.exec_driver_sql(f"CREATE DATABASE {DATABASE}")
    admin.dispose()
    engine = create_engine_for(server.set(database=DATABASE))
    with engine.connect() as connection:
        load_demo(connection)
    # One run in the history, as an operator would have started it.
    start_backfill(engine, local_identity(), BatchSettings(), "cli")
    engine.dispose()
    return server.set(database=DATABASE).render_as_string(hide_password=False)


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["OWNER_CONSOLE_LOCAL_OPERATORS"] = local_identity().name  # the pages as an operator
    with running_console(fresh_demo_url()) as base, chromium() as browser:
        for path, title in PAGES.items():
            # Streamlit scrolls inside its own frame, so the viewport is what a screenshot holds.
            page = open_page(browser, f"{base}/{path}", height=1600)
            target = OUT_DIR / f"{title.lower()}.png"
            page.screenshot(path=target, full_page=True)
            page.close()
            print(f"wrote {target.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
