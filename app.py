import streamlit as st

st.set_page_config(page_title="Owner migration console", page_icon=":material/swap_horiz:", layout="wide")

page = st.navigation(
    [
        st.Page("pages/overview.py", title="Overview", icon=":material/dashboard:", default=True),
    ]
)
page.run()
