"""The playbook's step-3 figures: kept counts, snapshots for history, the dry-run forecast,
preflight and the runbook's checks."""
