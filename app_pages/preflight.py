import pandas as pd
import streamlit as st

from lib.coverage.forecast import forecast
from lib.coverage.preflight import legacy_volume
from lib.registry import MIGRATED_TABLES
from ui import database, widgets

st.title("Preflight")
st.caption("The playbook's volume checks, how the legacy usernames match, and a dry run that writes nothing.")

widgets.header("Volume of legacy data")
volume = database.read(legacy_volume)
for column, table in zip(st.columns(len(MIGRATED_TABLES)), MIGRATED_TABLES, strict=True):
    column.metric(f"{table} with an owner", f"{volume[table]:,}")
widgets.show_queries(
    "SQL behind these figures",
    [
        *((f"The playbook's count for {table}:", "volume", table) for table in MIGRATED_TABLES),
        (
            "What the console reads: the coverage counts (total_legacy), kept exact by the database.",
            "coverage_counts",
            None,
        ),
    ],
)

widgets.header(
    "Distinct legacy usernames",
    "Each distinct owner_username as written, by how the resolution rule matches it. "
    "Counting them reads every row of every migrated table, so it runs when asked, one count at a time, "
    f"and a count younger than {database.ON_REQUEST_REUSE_SECONDS} s is shared with whoever asks.",
)
count_now = st.button(
    "Count the distinct usernames", icon=":material/search:", key="preflight_count_usernames"
)
if matches := database.counted_username_matches(count_now):
    widgets.table(pd.DataFrame(matches.value))
    st.caption(f"Counted at {matches.computed_at:%H:%M:%S} UTC.")
widgets.show_sql("username_matches", MIGRATED_TABLES[0], "SQL behind these figures (per table)")

widgets.header(
    "Dry-run forecast",
    "What a backfill run now would give, by the same SQL rule as the trigger and the backfill.",
)
for row in database.read(forecast):
    with st.container(border=True):
        widgets.header(row.table, sub=True)
        left, middle, right = st.columns(3)
        left.metric("resolved_pct after a run", f"{row.resolved_pct}%")
        middle.metric("rows a run would resolve", f"{row.newly_resolved:,}")
        right.metric("would stay unresolved", f"{sum(row.remainder.values()):,}")
        widgets.table(pd.DataFrame(list(row.remainder.items()), columns=["reason", "rows"]))
        widgets.show_sql("forecast", row.table)
