import pandas as pd
import streamlit as st

from lib.registry import MIGRATED_TABLES, REASONS
from lib.remainder.unresolved import (
    COLUMNS,
    UnresolvedFilter,
    count_unresolved,
    inactive_owner_rows,
    remainder_by_reason,
    unresolved_page,
)
from lib.text import counted
from lib.view.charts import bar_chart_height, remainder_bars
from ui import actions, database, widgets

PAGE_SIZES = (50, 100, 500)

st.title("Unresolved")
st.caption("Why the remainder is unresolved, row by row, and a CSV of it for the owning teams.")

widgets.header("By table and reason")
remainder = database.read(remainder_by_reason)
if not remainder:
    st.info("owner_backfill_errors holds no rows: no unresolved row is recorded.", icon=":material/check:")
else:
    # The chart across the page, so that its legend has room for every reason; the figures below.
    st.altair_chart(remainder_bars(remainder), width="stretch", height=bar_chart_height(len(MIGRATED_TABLES)))
    widgets.table(pd.DataFrame(remainder, columns=["table", "reason", "rows"]))
widgets.show_sql("remainder_by_reason")

widgets.header("Rows")
with actions.action_errors_shown(stop=True):
    rows = UnresolvedFilter(
        tables=tuple(
            st.pills(
                "Table",
                MIGRATED_TABLES,
                selection_mode="multi",
                default=MIGRATED_TABLES,
                key="unresolved_tables",
            )
        ),
        reasons=tuple(
            st.pills("Reason", REASONS, selection_mode="multi", default=REASONS, key="unresolved_reasons")
        ),
        username_contains=st.text_input("Username contains", key="unresolved_username", max_chars=200),
    )
total = database.read(count_unresolved, rows)
paging = st.columns([1, 1, 3])
page_size = paging[0].selectbox("Rows per page", PAGE_SIZES, index=1, key="unresolved_page_size")
pages = max(1, -(-total // page_size))
page = paging[1].number_input(f"Page (of {pages})", 1, pages, 1, key="unresolved_page")
shown = pd.DataFrame(database.read(unresolved_page, rows, page, page_size), columns=COLUMNS)
# last_seen_at is in the CSV; on screen, since when each row has been unresolved.
widgets.table(
    shown.drop(columns="last_seen_at"),
    labels={
        "entity_type": "table",
        "entity_id": "id",
        "entity_name": "name",
        "first_seen_at": "unresolved since",
    },
)
st.download_button(
    f"Download these {counted(total, 'row')} as CSV",
    data=lambda: database.unresolved_csv(rows),
    file_name="unresolved-owners.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
    disabled=total == 0,
)
widgets.show_sql("unresolved_rows")

widgets.header(
    "Owned by inactive users", "Resolved, since an inactive user still owns their rows, but worth a look."
)
for table, (count, sample) in database.read(inactive_owner_rows, limit=200).items():
    with st.expander(f"{table}: {counted(count, 'row')}"):
        widgets.table(pd.DataFrame(sample))
        if count > len(sample):
            st.caption(f"The first {len(sample):,} by id.")
widgets.show_sql("inactive_owners_count", MIGRATED_TABLES[0], "SQL behind the counts (per table)")
widgets.show_sql("inactive_owners", MIGRATED_TABLES[0], "SQL behind these rows (per table)")
