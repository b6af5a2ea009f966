"""Journey 1: every page opened first by deep link, on a console that has served nothing yet."""

from tests.support.console import PAGES


def test_every_page_opens_first_by_deep_link_on_a_cold_server(viewer):
    # The deep links come before the root: the server has never run the app when the first arrives.
    for path in [*sorted(path for path in PAGES if path), ""]:
        page = viewer.open(path)
        try:
            assert page.locator("h1").first.inner_text() == PAGES[path]
            assert viewer.problems(page) == [], path
            # Each tab says its page; the icon is the console's own, served by it, not a CDN's.
            assert page.title() == f"{PAGES[path]} · Owner migration console"
            icon = page.locator("link[rel~=icon]").first.get_attribute("href")
            assert not icon.startswith(("http://", "https://", "//")) or icon.startswith(viewer.base), icon
            assert page.url.rstrip("/") == f"{viewer.base}/{path}".rstrip("/")
        finally:
            page.close()
