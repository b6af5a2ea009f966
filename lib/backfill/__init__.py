"""The batched, interruptible backfill: settings, statuses, progress, and the runner loop."""
