"""A console served by `streamlit run` on a free port, and headless Chromium to look at it.

Shared by the browser tests and by the README screenshots, so that both see the same product.
"""

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

from lib.settings import PROJECT_ROOT

CHROMIUM = Path("/usr/bin/chromium")
# As root, and with no network but the registries: no sandbox, no background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# url path -> page title; the default page is served at the root.
PAGES = {
    "": "Overview",
    "preflight": "Preflight",
    "coverage": "Coverage",
    "unresolved": "Unresolved",
    "operations": "Operations",
    "runbook": "Runbook",
}
STARTUP_SECONDS = 60
# Streamlit's own signals: connected, the script finished, no element still a skeleton.
RENDERED = "[data-testid=stApp][data-test-connection-state=CONNECTED][data-test-script-state=notRunning]"


@contextmanager
def running_console(database_url: str, **env: str) -> Iterator[str]:
    """Serve the console on DATABASE_URL, with `env` added to its environment; yields its base
    URL once its health check answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = tempfile.NamedTemporaryFile(prefix="console-", suffix=".log", delete=False)  # noqa: SIM115
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": database_url, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for_health(base, process, Path(log.name))
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


@contextmanager
def chromium() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing: install Debian's chromium (.ci/run does).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def open_page(browser: Browser, url: str, height: int = 900) -> Page:
    """A fresh page at `url`, returned once Streamlit says it has finished rendering."""
    page = browser.new_page(viewport={"width": 1400, "height": height})
    page.goto(url)
    wait_until_rendered(page)
    return page


def wait_until_rendered(page: Page) -> None:
    page.wait_for_selector(f"{RENDERED} h1", timeout=STARTUP_SECONDS * 1000)
    page.wait_for_function(
        "!document.querySelector('[data-testid=stSkeleton], [data-stale=true]')"
        f" && document.querySelector('{RENDERED}')"
    )


def _wait_for_health(base: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=1) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.1)  # polling the server's own readiness endpoint
    raise RuntimeError(f"streamlit did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")
