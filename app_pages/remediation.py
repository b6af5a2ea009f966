from decimal import Decimal

import streamlit as st

from lib.aliases.csv_import import parse_alias_csv
from lib.aliases.store import awaiting_backfill
from lib.aliases.suggestions import PREFILL_SCORE, SCORE_SCALE, STATUS, NameFilter
from lib.text import counted
from ui import actions, aliases, backfill, database, identity

# The rule's verdicts that remediation acts on.
OPEN_REASONS = ("user_not_found", "ambiguous_username")

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

aliased_names, aliased_rows = database.read(awaiting_backfill)
if aliased_names:
    st.info(
        f"Waiting for the backfill: {counted(aliased_names, 'aliased username')}, "
        f"{counted(aliased_rows, 'row')}.",
        icon=":material/hourglass_top:",
    )
    # The same confirmation as on Operations, which then follows the run.
    backfill.backfill_button("Run the backfill…", "remediation_backfill", then_page="app_pages/operations.py")


review, imports, current = st.tabs(["Review suggestions", "Import a CSV", "Aliases"])

with review:
    if st.session_state.pop("remediation_recompute_asked", False):
        database.recompute_alias_suggestions()
    left, right = st.columns([3, 2])
    statuses = left.pills(
        "Reason", OPEN_REASONS, selection_mode="multi", default=OPEN_REASONS, key="remediation_reasons"
    )
    with actions.action_errors_shown(stop=True):
        review_filter = NameFilter(
            match_kinds=tuple(kind for kind, status in STATUS.items() if status in statuses),
            contains=right.text_input("Username contains", key="remediation_contains"),
            with_candidates=left.checkbox("With candidates only", value=True),
            limit=aliases.SHOWN_NAMES,
        )
    min_score = right.slider(
        'Fill in "map to" from score',
        0.5,
        1.0,
        float(PREFILL_SCORE),
        0.05,
        help=f"{SCORE_SCALE}. Below this, the operator types the user.",
        key="remediation_min_score",
    )
    tick_every = left.checkbox("Tick every filled-in suggestion", disabled=not allowed)
    min_score = Decimal(str(min_score))
    aliases.review(review_filter, tick_every, min_score)

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
                aliases.confirm_aliases(parsed, bad_lines, "import")

with current:
    aliases.alias_list(allowed)
