"""One runner for the console's long jobs, the backfill and verify: a run row in migration_ops
with one status machine, the job's session lock, keyset batches under timeouts with retry, the
throttle, an operator's pause and cancel, batch-size tuning, and the settling of runs whose
process died. A job is a task (lib/backfill/task.py, lib/drift/verify.py) that declares how its
run starts and what each batch does."""
