"""The batched, interruptible backfill: settings, statuses, progress, the lock, the runs table,
the loop and the steps after a run."""
