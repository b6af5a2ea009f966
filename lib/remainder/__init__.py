"""The rows no rule resolves: their breakdown, the filtered drill-down and the CSV export."""
