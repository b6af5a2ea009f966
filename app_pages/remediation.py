import pandas as pd
import streamlit as st

from lib.aliases.csv_import import parse_alias_csv
from lib.aliases.store import ProposedAlias, list_aliases, preview_aliases, preview_removal
from lib.backfill.settings import BatchSettings
from lib.guard.actions import add_aliases, drop_aliases, start_backfill_in_background
from lib.registry import MIGRATED_TABLES
from lib.view.display import as_text, counted
from ui import actions, database, identity, widgets

# The review table shows this many usernames at most; the filters find the others.
SHOWN_NAMES = 1_000

st.title("Remediation")
st.caption(
    "Map the legacy usernames that no rule resolves to users. The resolution rule tries an exact "
    "match, then a unique case-insensitive one, then an alias; the next backfill resolves the "
    "aliased rows. Removing an alias returns its rows to unresolved at once."
)
allowed, reason = identity.may_act()
if not allowed:
    st.info(reason, icon=":material/visibility:")
if done := st.session_state.pop("remediation_done", None):
    st.success(done, icon=":material/check_circle:")

if st.session_state.pop("remediation_recompute_asked", False):
    listed = database.suggestions(recompute=True)
else:
    listed = database.suggestions()
names = listed.value
awaiting = [name for name in names if name.match_kind == "alias"]
if awaiting:
    rows = sum(name.rows for name in awaiting)
    st.info(
        f"Waiting for the backfill: {counted(len(awaiting), 'aliased username')}, {counted(rows, 'row')}.",
        icon=":material/hourglass_top:",
    )
    if st.button(
        "Run the backfill", icon=":material/play_arrow:", disabled=not allowed, key="remediation_run"
    ):
        with actions.action_errors_shown():
            actions.act(start_backfill_in_background, BatchSettings())
            st.switch_page("app_pages/operations.py")


@st.dialog("Apply aliases", width="large")
def confirm_aliases(proposals: list[ProposedAlias], rejected: list, source: str):
    preview = database.read(preview_aliases, proposals)
    for rejection in rejected + preview.check.rejected:
        st.warning(f"Rejected, {as_text(rejection)}", icon=":material/block:")
    accepted = preview.check.accepted
    if accepted:
        st.markdown("Dry run: each alias, and the rows the next backfill would resolve through it.")
        st.dataframe(
            pd.DataFrame(
                {
                    "legacy username": alias.legacy_username,
                    "user": alias.username,
                    "user id": alias.user_id,
                    **preview.rows[alias.legacy_username],
                }
                for alias in accepted
            ),
            hide_index=True,
        )
        for row in preview.forecast:
            st.markdown(f"- **{row.table}**: {row.resolved_pct}% after the backfill")
    note = st.text_input("Note, kept with the batch", key="remediation_note")
    if st.button(
        f"Apply {counted(len(accepted), 'alias', 'aliases')}",
        type="primary",
        disabled=not allowed or not accepted,
        key="remediation_apply",
    ):
        with actions.action_errors_shown():
            added = actions.act(add_aliases, proposals, source, note, rejected)
            st.session_state["remediation_done"] = (
                f"Batch {added.batch_id}: {counted(len(added.check.accepted), 'alias', 'aliases')} "
                "written and audited. "
                "Run the backfill to resolve their rows."
            )
            st.rerun()


review, imports, current = st.tabs(["Review suggestions", "Import a CSV", "Aliases"])

with review:
    open_names = [name for name in names if name.match_kind in ("not_found", "ambiguous")]
    left, middle, right = st.columns([2, 2, 1])
    statuses = left.multiselect(
        "Reason", ("user_not_found", "ambiguous_username"), default=("user_not_found", "ambiguous_username")
    )
    with actions.action_errors_shown(stop=True):
        contains = middle.text_input("Username contains", key="remediation_contains")
    with_candidates = right.checkbox("With candidates only", value=True)
    tick_suggestions = right.checkbox("Tick every suggestion", disabled=not allowed)
    shown = [
        name
        for name in open_names
        if name.status in statuses
        and contains.lower() in name.legacy_username.lower()
        and (name.candidates or not with_candidates)
    ]
    summary, recompute = st.columns([5, 1], vertical_alignment="center")
    summary.caption(
        f"{len(shown):,} of {len(open_names):,} unresolved usernames"
        + (f"; the first {SHOWN_NAMES:,} are shown" if len(shown) > SHOWN_NAMES else "")
        + f", as of {listed.computed_at:%H:%M:%S} UTC (shared by every viewer; Recompute gives a list "
        f"at most {database.ON_REQUEST_REUSE_SECONDS} s old). Tick a row to map it; change the user to "
        "map it to someone else."
    )
    if recompute.button("Recompute", icon=":material/refresh:", key="remediation_recompute"):
        st.session_state["remediation_recompute_asked"] = True
        st.rerun()
    table = pd.DataFrame(
        [
            {
                "apply": tick_suggestions and name.suggestion is not None,
                "legacy username": name.legacy_username,
                "reason": name.status,
                **{table: name.rows_by_table.get(table, 0) for table in MIGRATED_TABLES},
                "map to": name.suggestion.username if name.suggestion else "",
                "candidates": "; ".join(candidate.describe() for candidate in name.candidates),
            }
            for name in shown[:SHOWN_NAMES]
        ],
        columns=["apply", "legacy username", "reason", *MIGRATED_TABLES, "map to", "candidates"],
    )
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=not allowed or ["legacy username", "reason", *MIGRATED_TABLES, "candidates"],
        column_config={
            "apply": st.column_config.CheckboxColumn("apply"),
            "map to": st.column_config.TextColumn("map to", help="the user's exact username"),
        },
        key=f"remediation_table_{tick_suggestions}",
    )
    ticked = edited[edited["apply"]]
    proposals = [
        ProposedAlias(row["legacy username"], username=row["map to"] or "")
        for row in ticked.to_dict("records")
    ]
    if st.button(
        f"Preview {counted(len(proposals), 'mapping')}…",
        disabled=not allowed or not proposals,
        key="remediation_preview",
    ):
        confirm_aliases(proposals, [], "review")
    widgets.show_sql("alias_suggestions", label="SQL behind the suggestions")

with imports:
    st.markdown(
        "A CSV with a header naming `legacy_username` and `username` or `user_id` (one per line), "
        "and optionally `note`. Every bad line is reported by number; nothing is written until you "
        "apply."
    )
    upload = st.file_uploader("Aliases CSV", type=["csv"], key="remediation_upload")
    if upload is not None:
        with actions.action_errors_shown():
            parsed, bad_lines = parse_alias_csv(upload.getvalue())
            st.caption(f"{len(parsed):,} mappings read, {len(bad_lines):,} lines rejected while reading.")
            if st.button("Preview the import…", disabled=not allowed, key="remediation_import_preview"):
                confirm_aliases(parsed, bad_lines, "import")

with current:
    aliases = database.read(list_aliases)
    if not aliases:
        st.caption("No aliases yet.")
    else:
        st.dataframe(
            pd.DataFrame(aliases)[
                [
                    "legacy_username",
                    "username",
                    "user_id",
                    *MIGRATED_TABLES,
                    "batch_id",
                    "created_by",
                    "created_at",
                    "note",
                ]
            ],
            hide_index=True,
        )
        st.caption("The table columns count the rows resolved through each alias.")
        chosen = st.multiselect(
            "Aliases to remove",
            [alias["legacy_username"] for alias in aliases],
            disabled=not allowed,
            key="remediation_remove_names",
        )
        if chosen:
            for removal in database.read(preview_removal, chosen):
                back = ", ".join(
                    f"{removal.unresolved[table]:,} of {removal.rows[table]:,} {table} rows"
                    for table in MIGRATED_TABLES
                )
                st.markdown(f"- {as_text(removal.legacy_username)}: back to unresolved: {back}")
        if st.button(
            f"Remove {counted(len(chosen), 'alias', 'aliases')}",
            type="primary",
            disabled=not allowed or not chosen,
            key="remediation_remove",
        ):
            with actions.action_errors_shown():
                removals = actions.act(drop_aliases, chosen)
                back = sum(sum(removal.unresolved.values()) for removal in removals)
                st.session_state["remediation_done"] = (
                    f"{counted(len(removals), 'alias', 'aliases')} removed and audited; "
                    f"{counted(back, 'row')} unresolved again."
                )
                st.rerun()
