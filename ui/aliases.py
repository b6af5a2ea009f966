"""Remediation's aliases: the suggestions table with the page's filters applied, the dialog that
previews a batch of aliases (dry run, forecast) and applies it, and the list of aliases with their
removal."""

from decimal import Decimal

import pandas as pd
import streamlit as st

from lib.aliases.store import (
    ProposedAlias,
    Removal,
    alias_rows,
    list_aliases,
    preview_aliases,
    preview_removal,
)
from lib.aliases.suggestions import (
    REVIEW_COLUMNS,
    SCORE_SCALE,
    KeptSuggestions,
    NameFilter,
    candidate_rows,
    fold_review_edits,
    review_rows,
)
from lib.guard.actions import AliasesAdded, add_aliases, drop_aliases
from lib.registry import MIGRATED_TABLES
from lib.text import as_text, counted
from ui import actions, database, identity, widgets

# The review table shows this many usernames at most; the filters find the others.
SHOWN_NAMES = 1_000
# While the suggestions are being computed, the review looks this often for the new ones.
RECHECK_SECONDS = 5


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
    st.text_input("Note, kept with the batch", key="remediation_note")
    actions.action_button(
        f"Apply {counted(len(accepted), 'alias', 'aliases')}",
        add_aliases,
        "remediation_apply",
        lambda: (proposals, source, st.session_state["remediation_note"], rejected),
        then=_applied,
        redraw=True,
        type="primary",
        disabled=not identity.may_act()[0] or not accepted,
    )


def _applied(added: AliasesAdded) -> None:
    st.session_state.pop("remediation_edits", None)
    st.session_state["remediation_done"] = (
        f"Batch {added.batch_id}: {counted(len(added.check.accepted), 'alias', 'aliases')} "
        "written and audited. Run the backfill to resolve their rows."
    )


def review_suggestions(
    names: NameFilter, tick_suggestions: bool, min_score: Decimal, kept: KeptSuggestions | None
) -> None:
    """The kept suggestions that the filters select."""
    allowed, _ = identity.may_act()
    if kept is None:
        st.info(
            "Finding candidate owners: the console computes them in the background when it starts, "
            "after each run and after each alias change. They show here when they are ready.",
            icon=":material/hourglass_top:",
        )
        return
    shown, selected = database.shown_alias_suggestions(names)
    summary, recompute = st.columns([5, 1], vertical_alignment="center")
    summary.caption(
        f"{selected:,} of {kept.open_names:,} unresolved usernames"
        + (f"; the first {SHOWN_NAMES:,} are shown" if selected > SHOWN_NAMES else "")
        + f", as computed at {kept.computed_at:%H:%M:%S} UTC in {kept.seconds:.1f} s by the console's "
        "background job (Recompute gives a list at most "
        f'{database.ON_REQUEST_REUSE_SECONDS} s old). "map to" is filled in where the best candidate '
        f"scores at least {min_score:.2f}; tick a row to map it, or type another user."
    )
    if not kept.current:
        st.warning(
            "Computed before the latest backfill run or alias change. The console computes them again "
            "(once the run ends, if one is working); this page shows the new ones when they are ready.",
            icon=":material/update:",
        )
    if recompute.button("Recompute", icon=":material/refresh:", key="remediation_recompute"):
        st.session_state["remediation_recompute_asked"] = True
        st.rerun()
    # The operator's edits by name, kept while the table is drawn afresh (a typed user ticks its row).
    edits = st.session_state.setdefault("remediation_edits", {})
    rows = review_rows(shown, min_score, tick_suggestions, edits)
    table = pd.DataFrame(rows, columns=REVIEW_COLUMNS)
    key = f"remediation_table_{tick_suggestions}_{min_score}_{st.session_state.get('remediation_redraws', 0)}"
    edited = st.data_editor(
        table,
        hide_index=True,
        disabled=not allowed or [column for column in REVIEW_COLUMNS if column not in ("apply", "map to")],
        column_config={
            "apply": st.column_config.CheckboxColumn("apply", width="small"),
            "ambiguous": st.column_config.CheckboxColumn(
                help="ambiguous_username: several users have this name in another case; else user_not_found"
            ),
            "rows": st.column_config.NumberColumn(format="localized", width="small"),
            "map to": st.column_config.TextColumn("map to", help="the user's exact username"),
            "score": st.column_config.NumberColumn(format="%.2f", help=SCORE_SCALE, width="small"),
            "candidate": st.column_config.TextColumn(help="the best; every candidate is listed below"),
            "evidence": st.column_config.TextColumn(help="the candidate's strongest evidence"),
        },
        key=key,
    )
    if fold_review_edits(rows, st.session_state[key]["edited_rows"], edits):
        st.session_state["remediation_redraws"] = st.session_state.get("remediation_redraws", 0) + 1
        st.rerun()
    ticked = edited[edited["apply"]]
    proposals = [
        ProposedAlias(row["legacy name"], username=row["map to"] or "") for row in ticked.to_dict("records")
    ]
    if st.button(
        f"Preview {counted(len(proposals), 'mapping')}…",
        disabled=not allowed or not proposals,
        key="remediation_preview",
    ):
        confirm_aliases(proposals, [], "review")
    with_candidates = [name for name in shown if name.candidates]
    if with_candidates:
        chosen = st.selectbox(
            "Every candidate of",
            with_candidates,
            format_func=lambda name: f"{name.legacy_username} ({counted(len(name.candidates), 'candidate')})",
            key="remediation_candidates_of",
        )
        widgets.text_table(pd.DataFrame(candidate_rows(chosen)).set_index("user"))
    widgets.show_sql("alias_suggestions", label="SQL behind the suggestions")


def review_until_current(names: NameFilter, tick_suggestions: bool, min_score: Decimal) -> None:
    """Run as a fragment every RECHECK_SECONDS while the kept suggestions are missing or stale, so
    the new ones show when the background job has them; the filters and the other tabs are left
    as they are."""
    review_suggestions(names, tick_suggestions, min_score, database.kept_alias_suggestions())


def review(names: NameFilter, tick_suggestions: bool, min_score: Decimal) -> None:
    """The review, drawn again as a fragment while the kept suggestions are missing or stale."""
    kept = database.kept_alias_suggestions()
    if kept is None or not kept.current:
        st.fragment(review_until_current, run_every=RECHECK_SECONDS)(names, tick_suggestions, min_score)
    else:
        review_suggestions(names, tick_suggestions, min_score, kept)


def alias_list(allowed: bool) -> None:
    """Every alias, and their removal with what it returns to unresolved."""
    listed = database.read(list_aliases)
    if not listed:
        st.caption("No aliases yet.")
    else:
        # Wrapping, so that every column is in sight at a laptop's width.
        widgets.text_table(pd.DataFrame(alias_rows(listed)).set_index("legacy name"))
        st.caption("The rows columns count the rows resolved through each alias now.")
        chosen = st.multiselect(
            "Aliases to remove",
            [alias["legacy_username"] for alias in listed],
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
        actions.action_button(
            f"Remove {counted(len(chosen), 'alias', 'aliases')}",
            drop_aliases,
            "remediation_remove",
            lambda: (st.session_state["remediation_remove_names"],),
            then=_removed,
            type="primary",
            disabled=not allowed or not chosen,
        )


def _removed(removals: list[Removal]) -> None:
    back = sum(sum(removal.unresolved.values()) for removal in removals)
    st.session_state["remediation_done"] = (
        f"{counted(len(removals), 'alias', 'aliases')} removed and audited; "
        f"{counted(back, 'row')} unresolved again."
    )
