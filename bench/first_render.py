"""`python -m bench.first_render PAGE`: render one console page once through AppTest, on
DATABASE_URL, and print the seconds it took.

A process of its own starts with empty caches and no connection, as a console that nobody has
opened yet. The libraries are imported first, as a running server has them: the figure is the
page's own work, not Python's imports.
"""

import sys
import time

import altair  # noqa: F401
import pandas  # noqa: F401
from streamlit.testing.v1 import AppTest

import ui.widgets  # noqa: F401
from lib import registry
from lib.db.settings import PROJECT_ROOT


def main(page: str) -> None:
    app = AppTest.from_file(str(PROJECT_ROOT / "app.py"), default_timeout=120)
    if page != registry.PAGES[0].name:
        app.switch_page(f"app_pages/{page}.py")
    started = time.perf_counter()
    app.run()
    seconds = time.perf_counter() - started
    if app.exception:
        raise SystemExit(f"{page} raised: {app.exception[0].message}")
    print(f"{page} {seconds:.3f}")


if __name__ == "__main__":
    main(sys.argv[1])
