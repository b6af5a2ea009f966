"""`scripts/bench --fleet`: a fleet of 200 members on two embedded servers, each member a small
migrated CRM cloned from one template per server. It reads the fleet's status in this process and
through `python -m lib.cli fleet status`, beside the time to read one member alone, in one run."""

import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import URL

from bench.measures import Figure, median_seconds
from lib.db.database import create_engine_for, recreate_database
from lib.db.settings import PROJECT_ROOT
from lib.demo.generator import load_demo
from lib.fleet.members import load_fleet
from lib.fleet.status import fleet_status, member_status

MEMBERS = 200
MEMBER_TEMPLATE = "bench_fleet_member"
TARGET_SECONDS = 2.0


def fleet_figures(servers: list[URL], folder: Path, members: int = MEMBERS, say=print) -> list[Figure]:
    """F1 the fleet's status read in this process, F2 through the command; `members` databases
    spread over `servers` in turn, named in a fleet file in `folder`."""
    for server in servers:
        engine = create_engine_for(recreate_database(server, MEMBER_TEMPLATE))
        with engine.connect() as connection:
            load_demo(connection, 1_000, 1_000, user_count=60)
        engine.dispose()
    urls = [
        recreate_database(servers[number % len(servers)], f"bench_fleet_{number}", template=MEMBER_TEMPLATE)
        for number in range(members)
    ]
    path = folder / "bench-fleet.toml"
    path.write_text(
        "".join(
            f'[[member]]\nname = "member-{number}"\nurl = "{url.render_as_string(hide_password=False)}"\n'
            f"wave = {min(number, 2)}\n\n"
            for number, url in enumerate(urls)
        )
    )
    fleet = load_fleet(path)
    say(f"fleet: {members} members on {len(servers)} servers")
    one = median_seconds(lambda: member_status(fleet[0]), times=5)
    status = fleet_status(fleet)
    assert all(member.reachable for member in status.members) and not status.same_databases()
    in_process = median_seconds(lambda: fleet_status(fleet), times=3)
    command = median_seconds(lambda: _status_command(path), times=3)
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
    ]


def _status_command(path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "lib.cli", "fleet", "status"],
        cwd=PROJECT_ROOT,
        env={**os.environ, "OWNER_CONSOLE_FLEET": str(path)},
        capture_output=True,
        check=True,
    )
