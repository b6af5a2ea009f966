-- The batch's own limits, for this transaction only.
SELECT set_config('lock_timeout', :lock_timeout, true), set_config('statement_timeout', :statement_timeout, true);
