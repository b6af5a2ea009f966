"""`python -m lib.cli fleet status|export-unresolved`: the members of the fleet file
(lib/fleet/members.py), the rollup of their coverage, and their unresolved rows as one CSV. Exit 2
when no fleet is configured, when its file cannot be used, when a member cannot be read (its line
in the file and the reason, one sentence each), or when two members are one database."""

import argparse
import json
import sys

from lib.cli.output import open_stdout
from lib.cli.rollout import add_rollout_commands
from lib.errors import BadInput
from lib.fleet.export import write_fleet_csv
from lib.fleet.members import configured_fleet
from lib.fleet.status import FleetStatus, fleet_status
from lib.registry import MIGRATED_TABLES, REASONS
from lib.remainder.unresolved import UnresolvedFilter
from lib.text import counted


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
    export = actions.add_parser(
        "export-unresolved",
        help="the unresolved rows of every member, or of the chosen ones, as one CSV on stdout",
        description="The unresolved rows of the chosen members, tables and reasons, as each member's own "
        "export gives them, with the member's name first (the database column), in the fleet file's "
        "order. Every member is reached before a row is written; the counts go to stderr.",
    )
    export.add_argument("--member", action="append", help="a member's name; every member when none")
    export.add_argument("--table", action="append", choices=MIGRATED_TABLES)
    export.add_argument("--reason", action="append", choices=REASONS)
    export.add_argument("--username-contains", default="")
    export.set_defaults(run=export_command)
    add_rollout_commands(actions)


def export_command(args: argparse.Namespace) -> int:
    _, members = configured_fleet()
    unknown = sorted(set(args.member or ()) - {member.name for member in members})
    if unknown:
        raise BadInput(f"no member named {', '.join(unknown)} in the fleet file.")
    chosen = tuple(member for member in members if not args.member or member.name in args.member)
    rows = UnresolvedFilter(
        tables=tuple(args.table or MIGRATED_TABLES),
        reasons=tuple(args.reason or REASONS),
        username_contains=args.username_contains,
    )
    with open_stdout() as out:
        written = write_fleet_csv(chosen, rows, out)
    each = ", ".join(f"{name} {count:,}" for name, count in written.items())
    print(f"{counted(sum(written.values()), 'row')}: {each}", file=sys.stderr)
    return 0


def status_command(args: argparse.Namespace) -> int:
    path, members = configured_fleet()
    status = fleet_status(members)
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
