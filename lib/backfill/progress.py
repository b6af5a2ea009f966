"""Progress of a run: a small pure value that copes with an unknown or overshot total."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Progress:
    scanned: int
    resolved: int
    unresolved: int
    total: int | None  # an estimate taken at the start; rows may be added meanwhile
    elapsed_seconds: float
    held_seconds: float = 0.0  # of elapsed_seconds, the time the run waited: paused or throttled
    held: str | None = None  # why it waits now

    @property
    def working_seconds(self) -> float:
        return max(0.0, self.elapsed_seconds - self.held_seconds)

    @property
    def fraction(self) -> float | None:
        if not self.total:
            return None
        return min(1.0, self.scanned / self.total)

    @property
    def rows_per_second(self) -> float:
        """The rate while working: a wait is no slowness of the batches."""
        return self.scanned / self.working_seconds if self.working_seconds > 0 else 0.0

    @property
    def eta_seconds(self) -> float | None:
        """The working time left at the working rate; a current hold comes on top of it."""
        if not self.total or not self.rows_per_second:
            return None
        return max(0.0, (self.total - self.scanned) / self.rows_per_second)


def progress_of(run: dict) -> Progress:
    """The progress a runs-table row records, as of the runner's last word."""
    elapsed = (run["heartbeat_at"] - run["started_at"]).total_seconds() if run["heartbeat_at"] else 0.0
    held = run["held_seconds"]
    if run["held_since"] and run["heartbeat_at"]:
        held += (run["heartbeat_at"] - run["held_since"]).total_seconds()
    return Progress(
        run["rows_scanned"],
        run["rows_resolved"],
        run["rows_unresolved"],
        run["rows_total"],
        elapsed,
        held,
        f"{run['held_by']}: {run['held_detail']}" if run["held_by"] else None,
    )
