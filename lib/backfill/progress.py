"""Progress of a run: a small pure value that copes with an unknown or overshot total."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    scanned: int
    resolved: int
    unresolved: int
    total: int | None  # an estimate taken at the start; rows may be added meanwhile
    elapsed_seconds: float

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.scanned / self.total)

    @property
    def rows_per_second(self) -> float:
        return self.scanned / self.elapsed_seconds if self.elapsed_seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        if not self.total or not self.rows_per_second:
            return None
        return max(0.0, (self.total - self.scanned) / self.rows_per_second)


def progress_of(run: dict) -> Progress:
    """The progress a runs-table row records, as of its last batch."""
    elapsed = (run["heartbeat_at"] - run["started_at"]).total_seconds() if run["heartbeat_at"] else 0.0
    return Progress(
        run["rows_scanned"], run["rows_resolved"], run["rows_unresolved"], run["rows_total"], elapsed
    )
