"""The finish line (docs/design.md, The finish line): who still writes through the legacy path, the
readiness gates, and the next step for each table below target."""
