"""Nothing lost (docs/design.md, Nothing lost): the rows written while the owner triggers were off,
waiting for the next backfill run, and verify, which finds drift."""
