"""`python -m lib.cli fleet status`: every member of the fleet file (lib/fleet/members.py) and the
rollup of their coverage. Exit 2 when no fleet is configured, when its file cannot be used, when a
member cannot be read (its line in the file and the reason, one sentence each), or when two members
are one database."""

import argparse
import json
import sys

from lib.errors import SettingError
from lib.fleet.members import FLEET_SETTING, fleet_file, load_fleet
from lib.fleet.status import FleetStatus, fleet_status
from lib.registry import MIGRATED_TABLES


def add_fleet_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("fleet", help="The fleet of CRM databases, from its fleet file.")
    actions = parser.add_subparsers(dest="fleet_command", required=True)
    status = actions.add_parser(
        "status",
        help="each member's revision and coverage, and the rollup",
        description="Each member's wave, tags, revision and coverage per table, read from every member "
        "at once, and the rollup: the members' counts summed. Exit 2 when a member cannot be read.",
    )
    status.add_argument("--format", choices=("text", "json"), default="text")
    status.set_defaults(run=status_command)


def status_command(args: argparse.Namespace) -> int:
    path = fleet_file()
    if path is None:
        raise SettingError(f"No fleet is configured: name its file in {FLEET_SETTING}, or as fleet_file.")
    status = fleet_status(load_fleet(path))
    if args.format == "json":
        print(json.dumps(as_json(status), indent=2))
    else:
        print_status(status)
    problems = [
        f"member {read.member.name} (line {read.member.line} of {path}): {read.problem}"
        for read in status.members
        if not read.reachable
    ]
    problems += [
        f"members {first.name} (line {first.line}) and {second.name} (line {second.line}) of {path} are one "
        "database: the rollup would count it twice"
        for first, second in status.same_databases()
    ]
    for problem in problems:
        print(f"error: {problem}", file=sys.stderr)
    return 2 if problems else 0


def as_json(status: FleetStatus) -> dict:
    def tables(coverages) -> dict:
        return {
            coverage.table: {
                "total_legacy": coverage.total_legacy,
                "resolved_fk": coverage.resolved_fk,
                "resolved_pct": float(coverage.resolved_pct),
            }
            for coverage in coverages
        }

    return {
        "members": [
            {
                "name": member.member.name,
                "wave": member.member.wave,
                "tags": list(member.member.tags),
                "reachable": member.reachable,
                "problem": member.problem,
                "revision": member.revision,
                "tables": tables(member.tables),
            }
            for member in status.members
        ],
        "rollup": {"tables": tables(status.rollup)},
    }


def print_status(status: FleetStatus) -> None:
    print(
        f"{'member':<20}{'wave':>5}  {'revision':<36}" + "".join(f"{table:>20}" for table in MIGRATED_TABLES)
    )
    for member in status.members:
        if not member.reachable:
            print(f"{member.member.name:<20}{member.member.wave:>5}  unreachable")
            continue
        shares = {coverage.table: f"{coverage.resolved_pct}%" for coverage in member.tables}
        print(
            f"{member.member.name:<20}{member.member.wave:>5}  {member.revision or '(not migrated)':<36}"
            + "".join(f"{shares.get(table, '-'):>20}" for table in MIGRATED_TABLES)
        )
    print(
        f"{'rollup':<20}{'':>5}  {'':<36}"
        + "".join(
            f"{f'{coverage.resolved_fk:,}/{coverage.total_legacy:,} {coverage.resolved_pct}%':>20}"
            for coverage in status.rollup
        )
    )
