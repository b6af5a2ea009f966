import streamlit as st

from lib.registry import PAGES
from ui import database, identity, widgets

# The pages live in app_pages/, not pages/: with a pages/ folder, Streamlit runs a cold server's
# first request in its v1 multipage mode, so a deep link ran the page without this router.

st.set_page_config(page_title="Owner migration console", page_icon=":material/swap_horiz:", layout="wide")
identity.visitor()  # before anything else: a visitor without an identity stops at the door

page = st.navigation(
    [st.Page(page.file, title=page.title, icon=page.icon, default=page is PAGES[0]) for page in PAGES]
)
widgets.sidebar()
database.start_background_jobs()
widgets.trigger_banner()
page.run()
