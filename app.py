import streamlit as st

import ui

st.set_page_config(page_title="Owner migration console", page_icon=":material/swap_horiz:", layout="wide")

page = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("pages/preflight.py", title="Preflight", icon=":material/flight_takeoff:"),
        st.Page("pages/coverage.py", title="Coverage", icon=":material/monitoring:"),
        st.Page("pages/unresolved.py", title="Unresolved", icon=":material/person_search:"),
        st.Page("pages/runbook.py", title="Runbook", icon=":material/checklist:"),
    ]
)
ui.sidebar()
ui.start_snapshots()
ui.trigger_banner()
page.run()
