-- How long the job waits for its lock, for this transaction only.
SELECT set_config('lock_timeout', :lock_timeout, true);
