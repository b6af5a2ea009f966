"""The finish line (DESIGN §9): who still writes through the legacy path, the readiness gates, and
the next step for each table below target."""
