"""Each browser module gets a console of its own, started on a fresh demo database, and Chromium
visitors who arrive as the operator or as a viewer."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.support.console import IDENTITY_ENV, OPERATOR, VIEWER, Console, Visitor, running_console
from tests.support.database import DEMO_TEMPLATE, clone


@pytest.fixture(scope="module")
def demo(server_url) -> Iterator[Engine]:
    yield from clone(server_url, DEMO_TEMPLATE)


@pytest.fixture(scope="module")
def console(demo) -> Iterator[Console]:
    """The console behind nginx; nothing has been requested from it when a module starts."""
    with running_console(demo.url.render_as_string(hide_password=False), **IDENTITY_ENV) as console:
        yield console


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.call_failed = report.failed
    return report


@pytest.fixture(autouse=True)
def console_log_when_failed(request) -> Iterator[None]:
    """A failing test's report ends with the last lines its console printed."""
    yield
    if getattr(request.node, "call_failed", False) and "console" in request.fixturenames:
        lines = request.getfixturevalue("console").log.read_text().splitlines()
        print("\n".join(["--- the console's last lines:", *lines[-80:]]))


@pytest.fixture
def operator(browser, console) -> Iterator[Visitor]:
    visitor = Visitor(browser, console, OPERATOR)
    yield visitor
    visitor.close()


@pytest.fixture
def viewer(browser, console) -> Iterator[Visitor]:
    visitor = Visitor(browser, console, VIEWER)
    yield visitor
    visitor.close()
