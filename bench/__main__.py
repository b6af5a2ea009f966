"""`scripts/bench [--scale S]`: the scale benchmarks P1-P9 in one run, printed as one table;
`scripts/bench --fleet`: the fleet's, F1-F5 (bench/fleet.py), instead.

At --scale 1 (the default) the CRM has 2M accounts, 5M opportunities and 100k users, with the
demo's defect mix, in an embedded PostgreSQL in .data/bench. Each measure runs on its own copy of
one template database, so that whatever is compared starts from identical data.
"""

import argparse
import time

from sqlalchemy.engine import URL

from bench.dataset import build_template
from bench.fleet import fleet_figures
from bench.measures import (
    Figure,
    backfill_figures,
    coverage_figure,
    export_figure,
    first_render_figures,
    metrics_scrape_figure,
    readiness_figure,
    verify_figure,
    write_path_figures,
)
from lib.aliases.suggestions import compute_suggestions
from lib.db.embedded import start_embedded_server
from lib.db.settings import PROJECT_ROOT
from lib.jobs.settings import BatchSettings

DATA_DIR = PROJECT_ROOT / ".data" / "bench"
# The fleet's second server.
FLEET_SECOND_DATA_DIR = PROJECT_ROOT / ".data" / "bench-fleet-2"
FULL_EXPORT_ROWS, FULL_WRITES = 100_000, 10_000
MET = {True: "yes", False: "**no**", None: "—"}


def run_benchmarks(server: URL, scale: float, say=print) -> list[Figure]:
    """Build the dataset at `scale` on `server`, then measure; the figures in the table's order."""
    started = time.perf_counter()
    dataset = build_template(server, scale)
    say(
        f"dataset: {dataset.accounts:,} accounts, {dataset.opportunities:,} opportunities, "
        f"{dataset.users:,} users; loaded in {dataset.load_seconds:.1f} s, "
        f"migrated (backfill deferred) and vacuumed in {dataset.migrate_seconds:.1f} s"
    )
    settings = BatchSettings()
    figures, backfilled, backfill_rate = backfill_figures(server, dataset, settings)
    figures.append(verify_figure(backfilled, dataset, settings, backfill_rate))
    figures.append(coverage_figure(backfilled, times=5))
    figures.append(metrics_scrape_figure(backfilled, times=5))
    figures.append(readiness_figure(backfilled, times=5))
    # As the console's background job does when a run ends, before anyone opens Remediation.
    with backfilled.connect() as connection:
        say(f"alias suggestions computed and kept in {compute_suggestions(connection):.1f} s")
    figures += first_render_figures(backfilled.url)
    figures.append(export_figure(backfilled, rows=max(100, round(FULL_EXPORT_ROWS * scale))))
    # Last: its arms with the counts off leave them behind the table.
    writes = max(50, round(FULL_WRITES * min(1, scale * 100)))
    figures += write_path_figures(backfilled, dataset, transactions=writes)
    backfilled.dispose()
    say(f"all measures in {time.perf_counter() - started:.0f} s")
    return figures


def table(figures: list[Figure]) -> str:
    lines = ["| # | measure | figure | target | met |", "|---|---|---|---|---|"]
    lines += [f"| {f.key} | {f.measure} | {f.figure} | {f.target} | {MET[f.met]} |" for f in figures]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = 2M accounts, 5M opportunities")
    parser.add_argument(
        "--fleet", action="store_true", help="the fleet's benchmarks: 200 members on two servers"
    )
    args = parser.parse_args()
    if not 0 < args.scale <= 10:
        parser.error(f"--scale must be above 0 and at most 10; got {args.scale}")
    if args.fleet:
        servers = [start_embedded_server(DATA_DIR), start_embedded_server(FLEET_SECOND_DATA_DIR)]
        figures = fleet_figures(servers, DATA_DIR)
    else:
        figures = run_benchmarks(start_embedded_server(DATA_DIR), args.scale)
    print(table(figures))


if __name__ == "__main__":
    main()
