"""AppTest runs the whole console (app.py and the chosen page) against a test database."""

import json

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from lib import registry
from lib.db.settings import PROJECT_ROOT

PAGES = tuple(page.name for page in registry.PAGES)


@pytest.fixture
def console(monkeypatch):
    """console(engine_or_url, page) -> the rendered AppTest of that page."""

    def open_page(database, page: str = "overview") -> AppTest:
        url = database if isinstance(database, str) else database.url.render_as_string(hide_password=False)
        monkeypatch.setenv("DATABASE_URL", url)
        app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=60)
        if page != registry.PAGES[0].name:
            app.switch_page(f"app_pages/{page}.py")
        return app.run()

    st.cache_resource.clear()
    st.cache_data.clear()
    yield open_page
    st.cache_resource.clear()
    st.cache_data.clear()


def texts(elements) -> list[str]:
    return [element.value for element in elements]


def chart_specs(app: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in app.get("vega_lite_chart")]


def has_target_rule(spec: dict) -> bool:
    """Some layer of the chart is a rule at 99 (across a vertical axis, or along a horizontal one)."""
    return any(
        layer.get("mark", {}).get("type") == "rule"
        and 99.0 in (layer["encoding"].get(axis, {}).get("datum") for axis in ("x", "y"))
        for layer in spec.get("layer", [])
    )
