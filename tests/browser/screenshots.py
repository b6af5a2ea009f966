"""Regenerate the README's screenshots of every page: `scripts/screenshots`.

A fresh embedded server in .data/screenshots gets the default demo CRM; the console is served on
it and each page is captured in headless Chromium, through the same harness as the browser tests.
"""

import os

from lib.aliases.suggestions import compute_suggestions
from lib.backfill.settings import BatchSettings
from lib.db.database import create_engine_for, recreate_database
from lib.db.embedded import start_embedded_server
from lib.db.settings import PROJECT_ROOT
from lib.demo.generator import load_demo
from lib.guard.actions import start_backfill
from lib.guard.identity import local_identity
from tests.browser.console import IDENTITY_ENV, OPERATOR, PAGES, Visitor, chromium, running_console

DATA_DIR = PROJECT_ROOT / ".data" / "screenshots"
OUT_DIR = PROJECT_ROOT / "docs" / "screenshots"
DATABASE = "crm_screenshots"


def fresh_demo_url() -> str:
    url = recreate_database(start_embedded_server(DATA_DIR), DATABASE)
    engine = create_engine_for(url)
    with engine.connect() as connection:
        load_demo(connection)
    # One run in the history, as an operator would have started it from the CLI.
    os.environ["OWNER_CONSOLE_LOCAL_OPERATORS"] = local_identity().name
    start_backfill(engine, local_identity(), BatchSettings(), "cli")
    # And the suggestions the console's background job keeps, so Remediation shows them at once.
    with engine.connect() as connection:
        compute_suggestions(connection)
    engine.dispose()
    return url.render_as_string(hide_password=False)


def main() -> None:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with running_console(fresh_demo_url(), **IDENTITY_ENV) as console, chromium() as browser:
        # The pages as the operator sees them. Streamlit scrolls inside its own frame, so the
        # viewport is what a screenshot holds.
        operator = Visitor(browser, console, OPERATOR, height=1600)
        for path, title in PAGES.items():
            page = operator.open(path)
            target = OUT_DIR / f"{title.lower()}.png"
            page.screenshot(path=target, full_page=True)
            page.close()
            print(f"wrote {target.relative_to(PROJECT_ROOT)}")


if __name__ == "__main__":
    main()
