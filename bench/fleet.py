"""`scripts/bench --fleet`: the fleet's figures, F1-F5, in one run.

- F1-F3: a fleet of 200 members on two embedded servers, each a small migrated CRM cloned from one
  template per server: its status in this process and through `python -m lib.cli fleet status`,
  beside one member alone; the Fleet page's first render in AppTest.
- F4: a rollout of 50 small members at the baseline, at concurrency 4 with a worker of its own,
  against the same members' steps run back to back without the queue.
- F5: `lib.cli fleet export-unresolved` of 10 members holding 100k unresolved rows each.
"""

import csv
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import URL

from bench.measures import Figure, median_seconds
from lib.db.database import create_engine_for, recreate_database
from lib.db.settings import PROJECT_ROOT, SITE_FILE_SETTING
from lib.demo.generator import load_demo
from lib.fleet.members import load_fleet
from lib.fleet.status import fleet_status, member_status
from lib.fleet.steps import STEPS
from lib.guard.identity import local_identity
from lib.registry import FLEET_PAGE

MEMBERS = 200
MEMBER_TEMPLATE = "bench_fleet_member"
TARGET_SECONDS = 2.0
ROLLOUT_MEMBERS, ROLLOUT_CONCURRENCY = 50, 4
ROLLOUT_TEMPLATE = "bench_rollout_member"
EXPORT_MEMBERS, EXPORT_ROWS_PER_MEMBER = 10, 100_000
EXPORT_TEMPLATE = "bench_export_member"


def fleet_figures(
    servers: list[URL],
    folder: Path,
    members: int = MEMBERS,
    rollout_members: int = ROLLOUT_MEMBERS,
    export_rows: int = EXPORT_ROWS_PER_MEMBER,
    say=print,
) -> list[Figure]:
    """F1 the fleet's status read in this process, F2 through the command, F3 the Fleet page,
    over `members` databases spread over `servers` in turn, named in a fleet file in `folder`;
    then F4 a rollout and F5 the fleet's export, each over members of its own."""
    for server in servers:
        engine = create_engine_for(recreate_database(server, MEMBER_TEMPLATE))
        with engine.connect() as connection:
            load_demo(connection, 1_000, 1_000, user_count=60)
        engine.dispose()
    urls = [
        recreate_database(servers[number % len(servers)], f"bench_fleet_{number}", template=MEMBER_TEMPLATE)
        for number in range(members)
    ]
    path = write_fleet_file(folder / "bench-fleet.toml", urls, lambda number: min(number, 2))
    fleet = load_fleet(path)
    say(f"fleet: {members} members on {len(servers)} servers")
    one = median_seconds(lambda: member_status(fleet[0]), times=5)
    status = fleet_status(fleet)
    assert all(member.reachable for member in status.members) and not status.same_databases()
    in_process = median_seconds(lambda: fleet_status(fleet), times=3)
    command = median_seconds(lambda: _status_command(path), times=3)
    console = recreate_database(servers[0], "bench_fleet_console", template=MEMBER_TEMPLATE)
    return [
        Figure(
            "F1",
            f"fleet status of {members} members, in this process (one member alone: {one * 1000:.0f} ms)",
            f"{in_process:.2f} s, {in_process / one:.0f}x one member",
            f"≤ {TARGET_SECONDS:.0f} s",
            in_process <= TARGET_SECONDS,
        ),
        Figure(
            "F2",
            f"`python -m lib.cli fleet status` of {members} members, from the process's start",
            f"{command:.2f} s",
            f"≤ {TARGET_SECONDS:.0f} s",
            command <= TARGET_SECONDS,
        ),
        fleet_page_figure(path, console),
        rollout_figure(servers, folder, rollout_members, say),
        export_figure(servers, folder, export_rows),
    ]


def fleet_page_figure(path: Path, console_url: URL) -> Figure:
    """F3: the Fleet page's first render in AppTest, in a process of its own."""
    env = {
        **os.environ,
        "OWNER_CONSOLE_FLEET": str(path),
        "DATABASE_URL": console_url.render_as_string(hide_password=False),
    }
    rendered = subprocess.run(
        [sys.executable, "-m", "bench.first_render", FLEET_PAGE.name],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = float(rendered.stdout.split()[-1])
    return Figure(
        "F3",
        f"the Fleet page's first render over the {MEMBERS} members (AppTest, its own process)",
        f"{seconds:.2f} s",
        f"≤ {TARGET_SECONDS:.0f} s",
        seconds <= TARGET_SECONDS,
    )


def rollout_figure(servers: list[URL], folder: Path, members: int = ROLLOUT_MEMBERS, say=print) -> Figure:
    """F4: what the rollout adds per member: its wall time at concurrency 4, against the members'
    own steps (migrate, backfill, verify) run back to back in this process, as the waves would
    run them with no queue, no gates and no control database."""
    for server in servers:
        engine = create_engine_for(recreate_database(server, ROLLOUT_TEMPLATE))
        with engine.connect() as connection:
            load_demo(connection, 500, 500, user_count=60, migrate=False)
        engine.dispose()

    def members_at_the_baseline(prefix: str) -> list[URL]:
        return [
            recreate_database(servers[n % len(servers)], f"{prefix}_{n}", template=ROLLOUT_TEMPLATE)
            for n in range(members)
        ]

    # The same steps, back to back: one member's time, and so the waves' at concurrency 4.
    alone = members_at_the_baseline("bench_steps")[: min(5, members)]
    identity = local_identity()
    timings = []
    for url in alone:
        engine = create_engine_for(url)
        started = time.perf_counter()
        for _, act in STEPS.values():
            act(engine, identity, 0)
        timings.append(time.perf_counter() - started)
        engine.dispose()
    step_seconds = statistics.median(timings)
    waves = 1 + math.ceil((members - 1) / ROLLOUT_CONCURRENCY)  # the canary alone, then the rest
    ideal = waves * step_seconds

    urls = members_at_the_baseline("bench_rollout")
    path = write_fleet_file(folder / "bench-rollout.toml", urls, lambda number: min(number, 1))
    plan = folder / "bench-rollout-plan.toml"
    plan.write_text(
        f"soak_minutes = 0\nconcurrency = [1, {ROLLOUT_CONCURRENCY}]\nbackfill_cap = {ROLLOUT_CONCURRENCY}\n"
    )
    control = recreate_database(servers[0], "bench_rollout_control")
    # The commands run on DATABASE_URL, where this OS account acts only when the site lists it.
    site = folder / "bench-rollout-site.toml"
    site.write_text(f'OWNER_CONSOLE_LOCAL_OPERATORS = "{identity.name}"\n')
    site.chmod(0o600)
    env = {
        **os.environ,
        "DATABASE_URL": control.render_as_string(hide_password=False),
        "OWNER_CONSOLE_FLEET": str(path),
        SITE_FILE_SETTING: str(site),
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "lib.cli", "fleet", "worker", "--concurrency", str(ROLLOUT_CONCURRENCY + 1)],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "lib.cli", "fleet", "rollout", "--plan", str(plan), "--wait"],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            check=True,
        )
        wall = time.perf_counter() - started
    finally:
        worker.terminate()
        worker.wait()
    added = (wall - ideal) / members
    say(f"rollout: {members} members in {wall:.1f} s; their steps alone {step_seconds:.2f} s each")
    return Figure(
        "F4",
        f"a rollout of {members} members at concurrency {ROLLOUT_CONCURRENCY}: its wall time less the waves' "
        f"steps back to back ({waves} x {step_seconds:.2f} s), per member",
        f"{added:.2f} s per member ({wall:.1f} s against {ideal:.1f} s)",
        "≤ 1 s per member",
        added <= 1.0,
    )


def export_figure(servers: list[URL], folder: Path, rows_per_member: int = EXPORT_ROWS_PER_MEMBER) -> Figure:
    """F5: the fleet's CSV of 10 members with 100k unresolved rows each, from the command: wall
    time and peak RSS by bench.peak_rss."""
    for server in servers:
        engine = create_engine_for(recreate_database(server, EXPORT_TEMPLATE))
        with engine.connect() as connection:
            load_demo(connection, 1_000, 0, user_count=60)
            # Owners nobody has, through the legacy path: the log trigger records each one.
            connection.execute(
                text(
                    "INSERT INTO crm_opportunities (account_id, name, amount, stage, owner_username) "
                    "SELECT 1, 'bench export', 1, 'prospecting', 'nobody-' || n "
                    "FROM generate_series(1, :rows) AS n"
                ),
                {"rows": rows_per_member},
            )
            connection.commit()
        engine.dispose()
    urls = [
        recreate_database(servers[n % len(servers)], f"bench_export_{n}", template=EXPORT_TEMPLATE)
        for n in range(EXPORT_MEMBERS)
    ]
    path = write_fleet_file(folder / "bench-export-fleet.toml", urls, lambda number: 0)
    out = folder / "bench-fleet-export.csv"
    with out.open("w") as target:
        launched = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.peak_rss",
                sys.executable,
                "-m",
                "lib.cli",
                "fleet",
                "export-unresolved",
            ],
            cwd=PROJECT_ROOT,
            env={**os.environ, "OWNER_CONSOLE_FLEET": str(path)},
            stdout=target,
            stderr=subprocess.PIPE,
            text=True,
            check=True,
        )
    seconds, peak_kb = (float(figure) for figure in launched.stderr.split())
    with out.open(newline="") as exported:
        written = sum(1 for _ in csv.reader(exported)) - 1
    out.unlink()
    peak_mb = peak_kb / 1024
    return Figure(
        "F5",
        f"`lib.cli fleet export-unresolved` of {EXPORT_MEMBERS} members, {written:,} rows: time, peak RSS",
        f"{seconds:.2f} s, {peak_mb:.0f} MB",
        "≤ 10 s, ≤ 250 MB",
        seconds <= 10 and peak_mb <= 250 and written >= EXPORT_MEMBERS * rows_per_member,
    )


def write_fleet_file(path: Path, urls: list[URL], wave: Callable[[int], int]) -> Path:
    """A fleet file of members member-0, member-1, … at `urls`, member n in wave(n)."""
    path.write_text(
        "".join(
            f'[[member]]\nname = "member-{n}"\nurl = "{url.render_as_string(hide_password=False)}"\n'
            f"wave = {wave(n)}\n\n"
            for n, url in enumerate(urls)
        )
    )
    return path


def _status_command(path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "lib.cli", "fleet", "status"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "OWNER_CONSOLE_FLEET": str(path)},
        capture_output=True,
        check=True,
    )
