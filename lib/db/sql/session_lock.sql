-- A job's lock, taken only if it is free now: the console's check before it marks the runs of a
-- dead process interrupted. Jobs themselves wait a little for it (session_lock_wait).
SELECT pg_try_advisory_lock(hashtext(:name));
