import pandas as pd
import streamlit as st

from lib.coverage.runbook import rollout_checks
from lib.db.schema import APPLY_CONTRACT, CLI, ROLL_BACK_CONTRACT
from lib.finish.readiness import readiness_now
from lib.guard.audit import ACTIONS, OUTCOMES, SCREEN_COLUMNS, AuditFilter, audit_entries, screen_rows
from lib.guard.triggers import rollback_sql
from ui import actions, database, widgets

# The entries a page shows; the CSV has them all.
AUDIT_ENTRIES_SHOWN = 100

st.title("Runbook")
st.caption(
    "The playbook's rollout steps, checked live against the database, its rollback, and the audit log."
)

widgets.header("Rollout")
for check in database.read(rollout_checks):
    mark = ":material/check_box:" if check.done else ":material/check_box_outline_blank:"
    st.markdown(f"{mark} **{check.step}** — {check.detail}")
    if check.sql_name:
        widgets.show_sql(check.sql_name, check.table, "SQL behind this check")

widgets.header("Rollback (without dropping data)")
st.markdown(
    "1. Turn off the new write-path requirements in the application (back to the legacy code).\n"
    "2. Leave `owner_user_id` and `owner_backfill_errors` in place, unused.\n"
    "3. If needed, temporarily disable the sync and log triggers:"
)
st.code(rollback_sql("DISABLE"), language="sql")
st.caption(
    "Every row written while they are off is remembered. To undo step 3, run the same statements "
    "with ENABLE; then re-run the backfill, which reconciles those rows first, and run verify "
    f"(Operations, or `{CLI} verify`): it should find no drift."
)
widgets.header("Change the triggers", sub=True)
widgets.trigger_control("runbook")

widgets.header("Finish: the contract migration")
st.markdown(
    "The playbook leaves dropping the legacy column to a separate migration after stabilisation. "
    "It applies when every readiness gate holds; it checks them again itself."
)
widgets.readiness_gates(database.read(readiness_now))
st.markdown("1. From a shell in the project's folder, check the gates (exit 0 when all hold), then apply it:")
st.code(APPLY_CONTRACT, language="bash")
st.markdown("2. To roll it back: the column returns from the archive, with every trigger and index.")
st.code(ROLL_BACK_CONTRACT, language="bash")
st.page_link("app_pages/finish.py", label="Finish: the evidence, next steps, writers", icon=":material/flag:")

widgets.header(
    "Audit log", "Every attempted action, refused ones included. The database refuses to change or delete it."
)
with actions.action_errors_shown(stop=True):
    entries = AuditFilter(
        actor_contains=st.text_input("Actor contains", key="runbook_audit_actor", max_chars=200),
        actions=tuple(
            st.pills("Action", ACTIONS, selection_mode="multi", default=ACTIONS, key="runbook_audit_actions")
        ),
        outcomes=tuple(
            st.pills(
                "Outcome", OUTCOMES, selection_mode="multi", default=OUTCOMES, key="runbook_audit_outcomes"
            )
        ),
    )
log = database.read(audit_entries, entries, limit=AUDIT_ENTRIES_SHOWN + 1)
if log:
    # In full and wrapping: what each action touched is the point of the log.
    shown = pd.DataFrame(screen_rows(log[:AUDIT_ENTRIES_SHOWN]), columns=SCREEN_COLUMNS)
    widgets.text_table(shown.set_index("at"))
    if len(log) > AUDIT_ENTRIES_SHOWN:
        st.caption(f"The newest {AUDIT_ENTRIES_SHOWN} entries; the CSV has every one these filters keep.")
else:
    st.caption("No entry matches these filters.")
st.download_button(
    "Download the filtered audit log as CSV",
    data=lambda: database.audit_csv(entries),
    file_name="owner-console-audit.csv",
    mime="text/csv",
    on_click="ignore",
    icon=":material/download:",
)
widgets.show_sql("audit_entries", label="SQL behind the log")
