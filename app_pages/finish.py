from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from lib.coverage.counts import TARGET_PCT
from lib.db.schema import APPLY_CONTRACT, CLI, CONTRACT_ALEMBIC, ROLL_BACK_CONTRACT
from lib.finish.next_step import AT_TARGET, next_steps
from lib.finish.readiness import all_hold, outlook, readiness_now
from lib.finish.writers import COLUMNS as WRITER_COLUMNS
from lib.finish.writers import owner_writers
from lib.registry import MIGRATED_TABLES
from ui import database, widgets

st.title("Finish")
st.caption(
    "From the target to the contract migration that drops owner_username: the readiness gates, "
    "the next step for each table, and who still writes through the legacy path."
)

gates = database.read(readiness_now)
holding = sum(gate.holds for gate in gates)
if all_hold(gates):
    st.success(
        "Every readiness gate holds: the contract migration can be applied.", icon=":material/sports_score:"
    )
else:
    st.warning(
        f"{holding} of {len(gates)} readiness gates hold: the legacy column stays until all do. "
        f"{outlook(gates, datetime.now(UTC))}",
        icon=":material/hourglass_top:",
    )

widgets.header("Readiness gates")
widgets.readiness_gates(gates, details=True)

widgets.header("Next step per table")
for step in database.read(next_steps):
    with st.container(border=True):
        st.markdown(f"**{step.table}** — {step.resolved_pct}% now, target {TARGET_PCT}%")
        if step.step == AT_TARGET and not step.backfill_resolves:
            # Not the advice, which points here: what is left is the gates above.
            st.success(
                f"At or above the {TARGET_PCT}% target, and no backfill run would resolve more: the "
                "readiness gates above say what is left.",
                icon=":material/check_circle:",
            )
            continue
        st.warning(f"Next step: {step.advice()}", icon=":material/sync_problem:")
        st.caption(step.pace())
        if step.rows_short:
            st.page_link(
                "app_pages/remediation.py", label="Remediate the unresolved names", icon=":material/healing:"
            )
        else:
            st.page_link("app_pages/operations.py", label="Run the backfill", icon=":material/build:")
widgets.show_sql("forecast", MIGRATED_TABLES[0], "SQL behind the forecast (per table)")

widgets.header("Who writes owner fields")
days = st.segmented_control(
    "Days", (1, 7, 30), default=7, format_func=lambda d: f"last {d} d", key="writer_days"
)
writers = database.read(owner_writers, days or 7)
if not writers:
    st.caption("No owner writes seen in this window.")
else:
    legacy = sorted({row["application_name"] for row in writers if row["legacy_writes"]})
    if legacy:
        st.warning(f"Still writing through the legacy path: {', '.join(legacy)}.", icon=":material/warning:")
    widgets.table(pd.DataFrame(writers, columns=WRITER_COLUMNS))
st.caption(
    "Legacy path: owner_username written without owner_user_id. New path: owner_user_id written. "
    "Recorded by the database once a minute per session: a count is the minutes in which one session "
    "wrote that way, not rows, and a writer shows within a minute of its first write. "
    f"The CLI prints the same with `{CLI} writers`."
)
widgets.show_sql("owner_writers", label="SQL behind the writers")

widgets.header("The contract migration")
st.markdown(
    "It archives every legacy username that differs from its owner's canonical name, keeps the read "
    "views' output the same, and drops the sync and log triggers, their functions and the "
    "`owner_username` column. It checks the gates again inside its own transaction."
)
st.code(APPLY_CONTRACT, language="bash")
st.markdown("Rolled back (the column comes back from the archive, and every trigger and index):")
st.code(ROLL_BACK_CONTRACT, language="bash")
st.caption(
    "To apply it while a gate fails, an operator passes a reason: "
    f"`{CONTRACT_ALEMBIC} -x override_readiness='<why>' upgrade head`. The audit log keeps it."
)
