-- The operator's health query runs read-only, for a few seconds at most.
SELECT set_config('transaction_read_only', 'on', true), set_config('statement_timeout', :statement_timeout, true);
