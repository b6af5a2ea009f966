"""The fixtures every folder shares live in tests/support/fixtures.py; this file registers them
and sorts the tests into tiers: `browser` (a journey, or any test that drives Chromium) and `slow` (the fault
suite, and the few tests that take seconds each), so that `-m "not browser and not slow"` is the
fast tier."""

import pytest

pytest_plugins = ("tests.support.fixtures",)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "browser" in item.fixturenames or item.path.parent.name == "browser":
            item.add_marker(pytest.mark.browser)
        if item.path.parent.name == "faults":
            item.add_marker(pytest.mark.slow)
