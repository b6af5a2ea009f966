"""Regenerate the README's screenshots of every page: `scripts/screenshots`.

A fresh embedded server in .data/screenshots gets the default demo CRM; the console is served on
it and each page is captured in headless Chromium, through the same harness as the browser tests.
Then the Fleet page, over the demo fleet of four on that server and a second one, mid-rollout.
"""

import os
import subprocess
import sys

from playwright.sync_api import Page
from sqlalchemy import text
from sqlalchemy.engine import make_url

from lib.aliases.suggestions import compute_suggestions
from lib.db.database import create_engine_for, recreate_database
from lib.db.embedded import start_embedded_server
from lib.db.settings import PROJECT_ROOT, SITE_FILE_SETTING
from lib.demo.fleet import build_demo_fleet
from lib.demo.generator import load_demo
from lib.guard.actions import start_backfill
from lib.guard.identity import local_identity
from lib.jobs.settings import BatchSettings
from tests.support.console import (
    IDENTITY_ENV,
    OPERATOR,
    PAGES,
    Visitor,
    chromium,
    cut_off,
    running_console,
    wait_until_rendered,
)
from tests.support.fleet import fleet_worker
from tests.support.polling import wait_for
from tests.support.site import write_site_file

DATA_DIR = PROJECT_ROOT / ".data" / "screenshots"
FLEET_SECOND_DATA_DIR = PROJECT_ROOT / ".data" / "screenshots-fleet-2"
OUT_DIR = PROJECT_ROOT / "docs" / "screenshots"
# The two windows an ops lead works in: a laptop and a desktop monitor.
WINDOWS = ((1280, 800), (1920, 1080))
DATABASE = "crm_screenshots"


def fresh_demo_url() -> str:
    url = recreate_database(start_embedded_server(DATA_DIR), DATABASE)
    engine = create_engine_for(url)
    with engine.connect() as connection:
        load_demo(connection)
    # One run in the history, as an operator would have started it from the CLI.
    os.environ[SITE_FILE_SETTING] = str(
        write_site_file(
            DATA_DIR.parent / "screenshots-site.toml",
            {"OWNER_CONSOLE_LOCAL_OPERATORS": local_identity().name},
        )
    )
    start_backfill(engine, local_identity(), BatchSettings())
    # And the suggestions the console's background job keeps, so Remediation shows them at once.
    with engine.connect() as connection:
        compute_suggestions(connection)
    engine.dispose()
    return url.render_as_string(hide_password=False)


def main() -> None:
    demo_url = fresh_demo_url()
    with running_console(demo_url, **IDENTITY_ENV) as console, chromium() as browser:
        for width, height in WINDOWS:
            folder = OUT_DIR / f"{width}x{height}"
            folder.mkdir(parents=True, exist_ok=True)
            # The pages as the operator sees them, laid out in a window of this size.
            operator = Visitor(browser, console, OPERATOR, height=height, width=width)
            for path, title in PAGES.items():
                page = operator.open(path)
                target = folder / f"{title.lower()}.png"
                grow_to_page(page, width, height)
                page.screenshot(path=target)
                print(f"wrote {target.relative_to(PROJECT_ROOT)}")
                for problem in cut_off(page):
                    print(f"  cut off: {problem}")
                page.close()
            operator.close()
        fleet_screenshot(browser, demo_url)


def fleet_screenshot(browser, demo_url: str) -> None:
    """The Fleet page over the demo fleet of four, its rollout's canary passed and wave 1 settled
    (one member held by its drift), in the laptop's window."""
    fleet = build_demo_fleet(
        4,
        servers=(start_embedded_server(DATA_DIR), start_embedded_server(FLEET_SECOND_DATA_DIR)),
        fleet_file=DATA_DIR.parent / "screenshots-fleet.toml",
    )
    plan = DATA_DIR.parent / "screenshots-plan.toml"
    plan.write_text("soak_minutes = 0\nconcurrency = [1, 4]\n")
    env = {**os.environ, "DATABASE_URL": demo_url, "OWNER_CONSOLE_FLEET": str(fleet)}
    with (
        running_console(demo_url, OWNER_CONSOLE_FLEET=str(fleet), **IDENTITY_ENV) as console,
        fleet_worker(demo_url),
    ):
        subprocess.run(
            [sys.executable, "-m", "lib.cli", "fleet", "rollout", "--plan", str(plan)],
            cwd=PROJECT_ROOT,
            env=env,
            check=True,
            capture_output=True,
        )
        control = create_engine_for(make_url(demo_url))
        wait_for(lambda: _states(control) == SETTLED, "wave 1 to settle", timeout=180)
        control.dispose()
        width, height = WINDOWS[0]
        operator = Visitor(browser, console, OPERATOR, height=height, width=width)
        page = operator.open("")
        grow_to_page(page, width, height)
        target = OUT_DIR / f"{width}x{height}" / "fleet.png"
        page.screenshot(path=target)
        print(f"wrote {target.relative_to(PROJECT_ROOT)}")
        operator.close()


SETTLED = {"demo-1": "passed", "demo-2": "gating", "demo-3": "passed", "demo-4": "waiting"}


def _states(control) -> dict[str, str]:
    with control.connect() as connection:
        return dict(connection.execute(text("SELECT member, state FROM fleet_control.rollout_members")).all())


def grow_to_page(page: Page, width: int, height: int) -> None:
    """Streamlit scrolls inside its own frame, so a screenshot holds the window; the window is
    grown to the page's length (never below `height`) once the layout for this width is drawn."""
    length = page.evaluate("document.querySelector('[data-testid=stMain]').scrollHeight")
    page.set_viewport_size({"width": width, "height": max(height, length)})
    wait_until_rendered(page)


if __name__ == "__main__":
    main()
