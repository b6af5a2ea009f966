"""Suggested owners for the usernames that no rule resolves, ranked, each with its evidence.

The query (sql/alias_suggestions.sql) finds candidates by keys, so it never compares every
username with every user, and needs no database extension.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import Connection

from lib.sql import query

EVIDENCE = {
    "case_folded": "same name in another case",
    "normalised": "same letters and digits",
    "email_local_part": "e-mail local part",
    "initial_surname": "initial and surname",
    "near_spelling": "one character apart",
}
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
    def suggestion(self) -> Candidate | None:
        """The best candidate, unless another one is exactly as good (the competing users of an
        ambiguous name, for one): then the operator chooses."""
        if not self.candidates:
            return None
        best = self.candidates[0]
        if len(self.candidates) > 1 and _rank(self.candidates[1]) == _rank(best):
            return None
        return best


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
    runs and aliases. Equal fingerprints let a page reuse suggestions it computed a moment ago."""
    return tuple(connection.execute(query("remediation_inputs")).one())


def _rank(candidate: Candidate) -> tuple[Decimal, Decimal]:
    return candidate.score, candidate.similarity
