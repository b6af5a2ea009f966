from pathlib import Path

import streamlit as st

from lib.fleet.members import configured_fleet, fleet_file
from lib.registry import FLEET_PAGE, PAGES
from ui import database, identity, widgets

# The pages live in app_pages/, not pages/: with a pages/ folder, Streamlit runs a cold server's
# first request in its v1 multipage mode, so a deep link ran the page without this router.

CONSOLE = "Owner migration console"
# Bundled: a Material icon as page_icon is fetched from a font CDN, which an offline site lacks.
FAVICON = str(Path(__file__).parent / "ui" / "favicon.png")

st.set_page_config(page_title=CONSOLE, page_icon=FAVICON, layout="wide")
identity.visitor()  # before anything else: a visitor without an identity stops at the door

# With a fleet, its page comes first, and every other page shows the member chosen in the sidebar.
fleet = fleet_file() is not None
pages = (FLEET_PAGE, *PAGES) if fleet else PAGES
page = st.navigation(
    [st.Page(page.file, title=page.title, icon=page.icon, default=page is pages[0]) for page in pages]
)
# Each tab says its page, so that several open ones can be told apart.
st.set_page_config(page_title=f"{page.title} · {CONSOLE}")
member = None
if fleet and page.title != FLEET_PAGE.title:
    with database.database_problems_shown(retry=False):
        member = widgets.member_selector(configured_fleet()[1])
database.show_member(member)
widgets.sidebar(member)
database.start_background_jobs()
widgets.trigger_banner()
page.run()
