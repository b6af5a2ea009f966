"""Suggested owners for the usernames that no rule resolves, ranked, each with its evidence.

The query (sql/alias_suggestions.sql) finds candidates by keys, so it never compares every
username with every user, and needs no database extension. It takes seconds on a large remainder,
so the console keeps its result in the database (migration 0055): a background job computes it
again when a run ends, an alias changes, or it is older than KEPT_FOR_SECONDS, and the page reads
what is kept, with its age.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from psycopg.types.json import Jsonb
from sqlalchemy import Connection, text

from lib.db.database import require_storable
from lib.jobs.status import ACTIVE
from lib.sql import query, query_text

EVIDENCE = {
    "case_folded": "differs only in case",
    "normalised": "same letters and digits",
    "email_local_part": "e-mail local part",
    "initial_surname": "initial and surname",
    "near_spelling": "near spelling",
}
# A candidate's score is its strongest evidence, as sql/alias_suggestions.sql weighs it; a near
# spelling counts for its trigram similarity, at most 0.7.
SCORE_SCALE = (
    "1.0 differs only in case; 0.95 same letters and digits; 0.9 e-mail local part; "
    "0.8 initial and surname; a near spelling scores its similarity, at most 0.7"
)
# Only a candidate this sure is filled in for the operator by default: no near spelling is.
PREFILL_SCORE = Decimal("0.8")
# The rule's verdict on a name, as the review shows it.
STATUS = {
    "not_found": "user_not_found",
    "ambiguous": "ambiguous_username",
    "alias": "aliased: the next backfill resolves it",
    "exact": "resolves now: the next backfill fills it",
    "case_insensitive": "resolves now: the next backfill fills it",
}


@dataclass(frozen=True)
class Candidate:
    user_id: int
    username: str
    is_active: bool
    evidence: tuple[str, ...]
    similarity: Decimal
    score: Decimal

    def as_json(self) -> dict:
        return {
            "user_id": self.user_id,
            "username": self.username,
            "is_active": self.is_active,
            "evidence": list(self.evidence),
            "similarity": str(self.similarity),
            "score": str(self.score),
        }

    @classmethod
    def from_json(cls, kept: dict) -> "Candidate":
        return cls(
            kept["user_id"],
            kept["username"],
            kept["is_active"],
            tuple(kept["evidence"]),
            Decimal(kept["similarity"]),
            Decimal(kept["score"]),
        )

    def describe(self) -> str:
        inactive = ", inactive" if not self.is_active else ""
        return f"{self.username} ({', '.join(self.evidence)}; similarity {self.similarity}{inactive})"


@dataclass
class UnresolvedName:
    legacy_username: str
    match_kind: str
    rows_by_table: dict[str, int]
    rows: int
    candidates: list[Candidate] = field(default_factory=list)

    @property
    def status(self) -> str:
        return STATUS.get(self.match_kind, self.match_kind)

    @property
    def leaders(self) -> list[Candidate]:
        """The candidates exactly as good as the first: one, or several that tie."""
        return [candidate for candidate in self.candidates if _rank(candidate) == _rank(self.candidates[0])]

    @property
    def best(self) -> Candidate | None:
        """The best candidate, unless another one is exactly as good (the competing users of an
        ambiguous name, for one): then the operator chooses."""
        if not self.candidates:
            return None
        best = self.candidates[0]
        if len(self.candidates) > 1 and _rank(self.candidates[1]) == _rank(best):
            return None
        return best

    def suggestion(self, min_score: Decimal = PREFILL_SCORE) -> Candidate | None:
        """The best candidate if it scores at least `min_score`: the one to fill in."""
        best = self.best
        return best if best is not None and best.score >= min_score else None


# The review's columns: the name, then what is filled in, then its best candidate.
REVIEW_COLUMNS = ["apply", "legacy name", "ambiguous", "rows", "map to", "candidate", "score", "evidence"]


# The review's columns the operator edits.
EDITED_COLUMNS = ("apply", "map to")


def review_rows(
    names: list[UnresolvedName], min_score: Decimal, tick: bool, edits: dict[str, dict] | None = None
) -> list[dict]:
    """One row of the review per name: "map to" filled in from `min_score`, ticked with `tick`,
    then what the operator set by name in `edits` (fold_review_edits())."""
    edits = edits or {}
    rows = []
    for name in names:
        suggestion, best = name.suggestion(min_score), name.candidates[0] if name.candidates else None
        leaders = name.leaders if best else []
        # Users that tie are counted, the detail view names them all: the operator chooses.
        candidate = f"{best.username} (+{len(leaders) - 1} tied)" if len(leaders) > 1 else ""
        rows.append(
            {
                "apply": tick and suggestion is not None,
                "legacy name": name.legacy_username,
                "ambiguous": name.match_kind == "ambiguous",
                "rows": name.rows,
                "map to": suggestion.username if suggestion else "",
                "candidate": candidate or (best.username if best else ""),
                "score": float(best.score) if best else None,
                "evidence": best.evidence[0] if best else "",
            }
        )
        rows[-1].update(edits.get(name.legacy_username, {}))
    return rows


def fold_review_edits(rows: list[dict], edited_rows: dict, edits: dict[str, dict]) -> bool:
    """A user typed into "map to" ticks its row's "apply": True when some row needs that, after
    every edit of the table, which shows `rows`, is folded into `edits` by legacy name for the
    table to be drawn again from them. `edited_rows` is st.data_editor's: row position -> the
    columns changed. False, and `edits` untouched, when every typed row is ticked already."""
    typed_unticked = [
        position
        for position, changes in edited_rows.items()
        if str(changes.get("map to") or "").strip() and not changes.get("apply", rows[int(position)]["apply"])
    ]
    if not typed_unticked:
        return False
    for position, changes in edited_rows.items():
        kept = edits.setdefault(rows[int(position)]["legacy name"], {})
        kept.update({column: changes[column] for column in EDITED_COLUMNS if column in changes})
    for position in typed_unticked:
        edits[rows[int(position)]["legacy name"]]["apply"] = True
    return True


def candidate_rows(name: UnresolvedName) -> list[dict]:
    """Every candidate of `name`, best first, as the review's detail view shows them."""
    return [
        {
            "user": candidate.username,
            "evidence": ", ".join(candidate.evidence),
            "similarity": f"{candidate.similarity}",
            "score": f"{candidate.score}",
            "active": "yes" if candidate.is_active else "no",
        }
        for candidate in name.candidates
    ]


def unresolved_names(connection: Connection) -> list[UnresolvedName]:
    """Every distinct unresolved username (trimmed), most rows first, with up to 5 candidates."""
    names: dict[str, UnresolvedName] = {}
    for row in connection.execute(query("alias_suggestions")).mappings():
        name = names.get(row["legacy_username"])
        if name is None:
            name = names[row["legacy_username"]] = UnresolvedName(
                row["legacy_username"], row["match_kind"], dict(row["rows_by_table"]), row["rows"]
            )
        if row["user_id"] is not None:
            evidence = tuple(label for key, label in EVIDENCE.items() if row[key])
            name.candidates.append(
                Candidate(
                    row["user_id"],
                    row["username"],
                    row["is_active"],
                    evidence,
                    row["similarity"],
                    row["score"],
                )
            )
    return list(names.values())


def remediation_inputs(connection: Connection) -> tuple:
    """A cheap fingerprint of what the console itself changes under the unresolved usernames:
    runs and aliases. Kept suggestions with the same fingerprint are current."""
    return tuple(connection.execute(query("remediation_inputs")).one())


# Ordinary writes change the unresolved usernames too, without a run or an alias.
KEPT_FOR_SECONDS = 15 * 60
_LOCK = "owner-console alias suggestions"


@dataclass(frozen=True)
class KeptSuggestions:
    computed_at: datetime
    seconds: float  # how long computing them took
    age_seconds: float  # when read
    current: bool  # no run has started or ended and no alias has changed since
    open_names: int  # user_not_found and ambiguous_username


@dataclass(frozen=True)
class NameFilter:
    match_kinds: tuple[str, ...]  # keys of STATUS
    contains: str = ""
    with_candidates: bool = True
    limit: int = 1_000

    def __post_init__(self) -> None:
        require_storable("Username contains", self.contains)


def compute_suggestions(connection: Connection, reuse_younger_than: float = 0) -> float | None:
    """Compute the suggestions and keep them, in one transaction that this commits; the seconds
    it took, or None when the kept ones are younger than `reuse_younger_than` seconds.

    One computation at a time per database: a caller that waited for another's takes its result.
    """
    connection.execute(text("SELECT pg_advisory_xact_lock(hashtext(:work))"), {"work": _LOCK})
    kept = kept_suggestions(connection)
    if kept is not None and kept.age_seconds < reuse_younger_than:
        connection.commit()
        return None
    return _compute_and_keep(connection)


def compute_suggestions_if_due(connection: Connection) -> float | None:
    """The background job: compute them if none are kept, if a run has ended or an alias changed
    since (not while a run works), or if they are older than KEPT_FOR_SECONDS; the seconds it
    took, or None. Another process computing them now is left to it."""
    held = connection.execute(
        text("SELECT pg_try_advisory_xact_lock(hashtext(:work))"), {"work": _LOCK}
    ).scalar_one()
    kept = kept_suggestions(connection) if held else None
    due = held and (
        kept is None
        # While a run works, the remainder shrinks under them: computed again when it ends.
        or (not kept.current and remediation_inputs(connection)[1] not in ACTIVE)
        or kept.age_seconds > KEPT_FOR_SECONDS
    )
    if not due:
        connection.rollback()
        return None
    return _compute_and_keep(connection)


def _compute_and_keep(connection: Connection) -> float:
    started = time.perf_counter()
    inputs = remediation_inputs(connection)
    names = unresolved_names(connection)
    connection.execute(query("alias_suggestions_clear"))
    # psycopg's COPY, in SQLAlchemy's transaction: tens of thousands of rows in one round trip.
    keep = query_text("alias_suggestions_keep")
    with connection.connection.driver_connection.cursor() as cursor, cursor.copy(keep) as copy:
        for name in names:
            candidates = [candidate.as_json() for candidate in name.candidates]
            copy.write_row(
                (
                    name.legacy_username,
                    name.match_kind,
                    Jsonb(name.rows_by_table),
                    name.rows,
                    Jsonb(candidates),
                )
            )
    seconds = time.perf_counter() - started
    connection.execute(
        query("alias_suggestions_computed"), {"seconds": seconds, "inputs": json.dumps(inputs)}
    )
    connection.commit()
    return seconds


def kept_suggestions(connection: Connection) -> KeptSuggestions | None:
    """What is kept, or None if the suggestions were never computed."""
    row = connection.execute(query("alias_suggestions_kept")).mappings().one_or_none()
    if row is None:
        return None
    return KeptSuggestions(
        row["computed_at"],
        row["seconds"],
        row["age_seconds"],
        tuple(row["inputs"]) == remediation_inputs(connection),
        row["open_names"],
    )


def shown_names(connection: Connection, names: NameFilter) -> tuple[list[UnresolvedName], int]:
    """The kept usernames that `names` selects, most rows first, at most its limit; and how many
    it selects in all."""
    rows = (
        connection.execute(
            query("alias_suggestions_shown"),
            {
                "match_kinds": list(names.match_kinds),
                "contains": names.contains,
                "with_candidates": names.with_candidates,
                "limit": names.limit,
            },
        )
        .mappings()
        .all()
    )
    shown = [
        UnresolvedName(
            row["legacy_username"],
            row["match_kind"],
            row["rows_by_table"],
            row["rows"],
            [Candidate.from_json(candidate) for candidate in row["candidates"]],
        )
        for row in rows
    ]
    return shown, rows[0]["selected"] if rows else 0


def _rank(candidate: Candidate) -> tuple[Decimal, Decimal]:
    return candidate.score, candidate.similarity
