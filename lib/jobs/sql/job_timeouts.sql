-- The batch's own settings, for this transaction only: its limits, and a commit that does not wait
-- for the WAL to reach disk. A crash may then lose the last batches, but each batch commits with
-- its progress row, so the run resumes before the lost ones and redoes them: nothing half-done
-- survives, and no batch waits for a flush of the megabytes of WAL the one before it wrote.
SELECT set_config('lock_timeout', :lock_timeout, true),
       set_config('statement_timeout', :statement_timeout, true),
       set_config('synchronous_commit', 'off', true);
