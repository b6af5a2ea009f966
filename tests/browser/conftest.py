"""Each browser module gets a console of its own, started on a fresh demo database, and Chromium
visitors who arrive as the operator or as a viewer."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.browser.console import IDENTITY_ENV, OPERATOR, VIEWER, Console, Visitor, running_console
from tests.conftest import DEMO_TEMPLATE, clone


@pytest.fixture(scope="module")
def demo(server_url) -> Iterator[Engine]:
    yield from clone(server_url, DEMO_TEMPLATE)


@pytest.fixture(scope="module")
def console(demo) -> Iterator[Console]:
    """The console behind nginx; nothing has been requested from it when a module starts."""
    with running_console(demo.url.render_as_string(hide_password=False), **IDENTITY_ENV) as console:
        yield console


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
