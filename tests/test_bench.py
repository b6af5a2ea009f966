"""The benchmark command at smoke scale, so that it cannot rot. It runs every measure, and the
figures it compares must agree: P4 asserts that the console's coverage equals the playbook's
step 3, P6 that the export holds every unresolved row, P7 that verify finds no drift after the
backfill. No timing is asserted."""

import re

import pytest

from bench.__main__ import run_benchmarks, table
from bench.fleet import fleet_figures
from lib.registry import PAGES

SMOKE_SCALE = 0.0005  # 1,000 accounts, 2,500 opportunities


@pytest.mark.slow
def test_the_benchmark_runs_every_measure_at_smoke_scale(server_url):
    said = []
    figures = run_benchmarks(server_url, SMOKE_SCALE, say=said.append)

    pages = ["P5"] * len(PAGES)
    # P3: four client writes, each with synchronous_commit off and on, then the layers' costs.
    keys = ["P1", "P1", "P2", "P7", "P4", "P8", "P9", *pages, "P6", *["P3"] * 9]
    assert [figure.key for figure in figures] == keys
    assert said[0].startswith("dataset: 1,000 accounts, 2,500 opportunities")
    # Remediation's first render reads the kept suggestions, as after a run in production.
    assert said[1].startswith("alias suggestions computed and kept in ")
    assert table(figures).count("\n| P") == len(figures)


@pytest.mark.slow
def test_the_fleet_benchmark_runs_at_smoke_size(server_url, tmp_path):
    said = []
    figures = fleet_figures(
        [server_url], tmp_path, members=3, rollout_members=3, export_rows=100, say=said.append
    )
    assert [figure.key for figure in figures] == ["F1", "F2", "F3", "F4", "F5"]
    assert said[0] == "fleet: 3 members on 1 servers"
    assert said[1].startswith("rollout: 3 members in ")
    # Each member's 100 rows written for it, and the demo's own.
    written = int(re.search(r"([\d,]+) rows", figures[4].measure)[1].replace(",", ""))
    assert written > 10 * 100
