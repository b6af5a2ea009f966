"""Operator-approved aliases for legacy usernames: the store, the suggestions, and the CSV import."""
