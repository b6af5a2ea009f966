import streamlit as st

import ui

# The pages live in app_pages/, not pages/: with a pages/ folder, Streamlit runs a cold server's
# first request in its v1 multipage mode, so a deep link ran the page without this router.

st.set_page_config(page_title="Owner migration console", page_icon=":material/swap_horiz:", layout="wide")
ui.identity()  # before anything else: a visitor without an identity stops at the door

page = st.navigation(
    [
        st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("app_pages/preflight.py", title="Preflight", icon=":material/flight_takeoff:"),
        st.Page("app_pages/coverage.py", title="Coverage", icon=":material/monitoring:"),
        st.Page("app_pages/unresolved.py", title="Unresolved", icon=":material/person_search:"),
        st.Page("app_pages/remediation.py", title="Remediation", icon=":material/healing:"),
        st.Page("app_pages/operations.py", title="Operations", icon=":material/build:"),
        st.Page("app_pages/runbook.py", title="Runbook", icon=":material/checklist:"),
    ]
)
ui.sidebar()
ui.start_snapshots()
ui.trigger_banner()
page.run()
