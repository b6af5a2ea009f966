"""The backfill, a task of lib/jobs/: the task itself, its runs table, its progress, the steps after
a run and its report."""
