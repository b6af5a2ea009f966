"""Batch size that tunes itself toward a target batch time, within bounds, as GitLab's batch
optimiser does. The time a batch holds its row locks is what a writer may wait behind it (P2), so
the target bounds that wait, and the size follows the table's speed: larger where rows are cheap,
smaller where a standby, a slow disk or other traffic makes them dear.
"""

from dataclasses import asdict, dataclass

from lib.jobs.settings import RunSettingsError, require_within

# A batch within this share of the target keeps its size: the size does not chase noise.
DEAD_BAND = 0.2
# At most this much larger, or smaller, from one batch to the next.
MAX_GROWTH, MAX_SHRINK = 1.5, 0.5


@dataclass(frozen=True)
class Tuning:
    # About the time 10,000 rows take at 7M rows (docs/PERFORMANCE.md); 0 keeps the size fixed.
    target_batch_ms: int = 300
    min_batch_size: int = 1_000
    max_batch_size: int = 50_000

    def __post_init__(self) -> None:
        says = f"target batch time must be from 0 (fixed size) to 60,000 ms; got {self.target_batch_ms!r}."
        require_within(self.target_batch_ms, 0, 60_000, says)
        if not 100 <= self.min_batch_size <= self.max_batch_size <= 100_000:
            raise RunSettingsError(
                "batch size bounds must satisfy 100 ≤ min ≤ max ≤ 100,000; "
                f"got min {self.min_batch_size!r}, max {self.max_batch_size!r}."
            )

    def as_json(self) -> dict:
        return asdict(self)


def next_batch_size(size: int, scanned: int, seconds: float, tuning: Tuning) -> int:
    """The size of the next batch after one of `size` rows that scanned `scanned` in `seconds`."""
    if not tuning.target_batch_ms or scanned < size or seconds <= 0:
        # A short batch is a table's last: its time says nothing about a full one.
        return size
    ratio = tuning.target_batch_ms / 1000 / seconds
    if abs(ratio - 1) <= DEAD_BAND:
        return size
    proposed = round(size * min(MAX_GROWTH, max(MAX_SHRINK, ratio)))
    return min(tuning.max_batch_size, max(tuning.min_batch_size, proposed))
