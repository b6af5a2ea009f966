"""Who may act, and the record of it: identity, the audit log, the guarded actions, the owner triggers."""
