import streamlit as st

from lib.coverage import TARGET_PCT, table_coverage
from lib.sql import query_text
from ui import connection

st.title("Overview")
st.caption(f"Backfill coverage of each migrated table against the {TARGET_PCT}% target.")

with connection() as db:
    coverage = table_coverage(db)

for column, table in zip(st.columns(len(coverage)), coverage, strict=True):
    with column:
        st.metric(
            table.table,
            f"{table.resolved_pct}%",
            delta=f"{table.resolved_pct - TARGET_PCT:+.2f} pts vs target",
            delta_color="normal",
            border=True,
        )
        st.write(f"{table.resolved_fk:,} of {table.total_legacy:,} owned rows have `owner_user_id`.")
        if table.meets_target:
            st.success("At or above target", icon=":material/check_circle:")
        else:
            st.error("Below target", icon=":material/error:")
        with st.expander("SQL behind this figure"):
            st.code(query_text("coverage", table.table), language="sql", wrap_lines=True)
