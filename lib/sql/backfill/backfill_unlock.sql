SELECT pg_advisory_unlock(hashtext('owner-console backfill'));
