"""Reading an AppTest of a page: its texts and its charts."""

import json

from streamlit.testing.v1 import AppTest

from lib import registry

PAGES = tuple(page.name for page in registry.PAGES)


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
