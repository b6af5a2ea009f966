-- A job's lock, waited for until lock_timeout. A session lock: it outlives the transaction that
-- takes it, and is held until the job frees it or its connection ends.
SELECT pg_advisory_lock(hashtext(:name));
