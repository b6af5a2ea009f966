"""`python -m lib.cli aliases list|suggest|add|remove|import`: the Remediation page from a shell.

add, remove and import print their dry run; they write only with --yes, under the same guards
and audit as the console.
"""

import argparse
import sys
from decimal import Decimal
from pathlib import Path

from lib.aliases.csv_import import parse_alias_csv
from lib.aliases.store import AliasPreview, ProposedAlias, list_aliases, preview_aliases, preview_removal
from lib.aliases.suggestions import PREFILL_SCORE, SCORE_SCALE, unresolved_names
from lib.demo.startup import open_console_database
from lib.errors import BadInput
from lib.guard.actions import add_aliases, drop_aliases
from lib.guard.identity import local_identity
from lib.registry import MIGRATED_TABLES
from lib.text import counted


def add_alias_commands(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser("aliases", help="Map legacy usernames that no rule resolves to users.")
    actions = parser.add_subparsers(dest="alias_command", required=True)
    actions.add_parser("list", help="the aliases, with the rows resolved through each").set_defaults(
        run=list_command
    )
    suggest = actions.add_parser("suggest", help="candidate users for each unresolved username")
    suggest.add_argument("--all", action="store_true", help="also the usernames with no candidate")
    suggest.add_argument(
        "--min-score",
        type=score,
        default=PREFILL_SCORE,
        help=f"suggest the best candidate only from this score (default {PREFILL_SCORE}): {SCORE_SCALE}",
    )
    suggest.set_defaults(run=suggest_command)
    add = actions.add_parser("add", help="map a legacy username to a user")
    add.add_argument("legacy_username")
    user = add.add_mutually_exclusive_group(required=True)
    user.add_argument("--username", help="the user's exact username")
    user.add_argument("--user-id", type=user_id, help="the user's id")
    add.add_argument("--note", default="")
    add.add_argument("--yes", action="store_true", help="write it; without, print the dry run only")
    add.set_defaults(run=add_command)
    remove = actions.add_parser("remove", help="remove aliases; their rows are resolved again without them")
    remove.add_argument("legacy_usernames", nargs="+", metavar="legacy_username")
    remove.add_argument("--yes", action="store_true", help="remove them; without, print the dry run only")
    remove.set_defaults(run=remove_command)
    imports = actions.add_parser(
        "import", help="aliases from a CSV: legacy_username, then username or user_id, and note"
    )
    imports.add_argument("file", type=Path)
    imports.add_argument("--note", default="")
    imports.add_argument(
        "--yes", action="store_true", help="write the valid lines; without, the dry run only"
    )
    imports.set_defaults(run=import_command)


def score(value: str) -> Decimal:
    try:
        number = Decimal(value)
    except ArithmeticError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if not number.is_finite() or not 0 <= number <= 1:
        raise argparse.ArgumentTypeError(f"a score is between 0 and 1, not {value}")
    return number


# app_users.id is a bigint.
LARGEST_ID = 2**63 - 1


def user_id(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= number <= LARGEST_ID:
        raise argparse.ArgumentTypeError(f"a user id is between 1 and {LARGEST_ID:,}, not {value}")
    return number


def list_command(args: argparse.Namespace) -> int:
    with open_console_database().connect() as connection:
        aliases = list_aliases(connection)
    print("\t".join(("legacy_username", "username", "user_id", "batch", "created_by", *MIGRATED_TABLES)))
    for alias in aliases:
        figures = (alias["username"], alias["user_id"], alias["batch_id"], alias["created_by"])
        print("\t".join(str(value) for value in (repr(alias["legacy_username"]), *figures)), end="\t")
        print("\t".join(str(alias[table]) for table in MIGRATED_TABLES))
    print(counted(len(aliases), "alias", "aliases"), file=sys.stderr)
    return 0


def suggest_command(args: argparse.Namespace) -> int:
    with open_console_database().connect() as connection:
        names = unresolved_names(connection)
    for name in names:
        if not name.candidates and not args.all:
            continue
        suggestion = name.suggestion(args.min_score)
        chosen = f"suggest {suggestion.username}" if suggestion else "choose"
        print(f"{name.legacy_username!r} ({name.status}, {counted(name.rows, 'row')}): {chosen}")
        for candidate in name.candidates:
            print(f"    {candidate.score}  {candidate.describe()}")
    return 0


def add_command(args: argparse.Namespace) -> int:
    proposal = ProposedAlias(args.legacy_username, args.username, args.user_id, args.note)
    return _preview_then_add([proposal], [], "cli", args)


def import_command(args: argparse.Namespace) -> int:
    try:
        data = args.file.read_bytes()
    except OSError as error:
        raise BadInput(f"cannot read {args.file}: {error.strerror}") from None
    proposals, rejections = parse_alias_csv(data)
    return _preview_then_add(proposals, rejections, "import", args)


def remove_command(args: argparse.Namespace) -> int:
    engine = open_console_database()
    with engine.connect() as connection:
        removals = preview_removal(connection, args.legacy_usernames)
    # As with --yes, a name that is no alias makes the exit status 1, dry run or not.
    every_one_found = len(removals) == len(set(args.legacy_usernames))
    if not args.yes:
        _print_removals(removals, args.legacy_usernames, "would")
        print("dry run: nothing removed; add --yes to remove")
        return 0 if every_one_found else 1
    removals = drop_aliases(engine, local_identity(), args.legacy_usernames)
    _print_removals(removals, args.legacy_usernames, "")
    return 0 if len(removals) == len(set(args.legacy_usernames)) else 1


def _preview_then_add(proposals, rejections, source: str, args: argparse.Namespace) -> int:
    engine = open_console_database()
    with engine.connect() as connection:
        preview = preview_aliases(connection, proposals)
    rejected = rejections + preview.check.rejected
    for rejection in rejected:
        print(f"rejected {rejection}", file=sys.stderr)
    _print_preview(preview)
    if not args.yes:
        print("dry run: nothing written; add --yes to write the valid aliases")
        return 0 if not rejected else 1
    added = add_aliases(engine, local_identity(), proposals, source, args.note, rejections)
    if added.batch_id is None:
        print("nothing written: no valid alias")
        return 1
    print(
        f"batch {added.batch_id}: {counted(len(added.check.accepted), 'alias', 'aliases')} written; "
        "run the backfill to apply them"
    )
    return 0 if not rejected else 1


def _print_preview(preview: AliasPreview) -> None:
    for alias in preview.check.accepted:
        rows = ", ".join(
            f"{preview.rows[alias.legacy_username][table]:,} {table}" for table in MIGRATED_TABLES
        )
        print(f"{alias.legacy_username!r} -> {alias.username} (id {alias.user_id}): resolves {rows}")
    for row in preview.forecast:
        print(f"{row.table}: the backfill after it would give {row.resolved_pct}%")


def _print_removals(removals, asked: list[str], tense: str) -> None:
    verb = "would return" if tense else "returned"
    found = {removal.legacy_username for removal in removals}
    for removal in removals:
        back = ", ".join(
            f"{removal.unresolved[table]:,} of {removal.rows[table]:,} {table}" for table in MIGRATED_TABLES
        )
        print(f"{removal.legacy_username!r}: {verb} to unresolved {back}")
    for legacy in dict.fromkeys(asked):
        if legacy not in found:
            print(f"{legacy!r}: no such alias", file=sys.stderr)
