"""Aliases from a CSV file: a header naming `legacy_username` and `username` or `user_id` (or
both, one filled per line), and optionally `note`. Every bad line is reported with its number;
nothing is written here."""

import csv
import io

from lib.aliases.store import ProposedAlias, Rejection
from lib.errors import BadInput

MAX_LINES = 50_000
USER_COLUMNS = ("username", "user_id")


class ImportFileError(BadInput):
    """The file as a whole cannot be read: the message says why."""


def parse_alias_csv(data: bytes) -> tuple[list[ProposedAlias], list[Rejection]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise ImportFileError(f"The file is not UTF-8 text: byte {error.start + 1} cannot be read.") from None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportFileError("The file is empty: it needs a header line.") from None
    except csv.Error as error:
        raise ImportFileError(f"Line 1 is not valid CSV: {error}.") from None
    if "legacy_username" not in header or not any(name in header for name in USER_COLUMNS):
        raise ImportFileError(
            "The header must name legacy_username and username or user_id (and may name note); "
            f"it names {', '.join(header) or 'nothing'}."
        )
    proposals, rejections = [], []
    while True:
        line = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as error:
            rejections.append(Rejection(f"line {line}", "", f"not valid CSV: {error}"))
            # A broken quote swallows the rest of the file: nothing after it can be trusted.
            break
        if reader.line_num > MAX_LINES:
            raise ImportFileError(f"The file has more than {MAX_LINES:,} lines; split it.")
        if not any(value.strip() for value in fields):
            continue
        if len(fields) != len(header):
            rejections.append(
                Rejection(f"line {line}", "", f"{len(fields)} fields where the header has {len(header)}")
            )
            continue
        proposal, problem = _proposal(dict(zip(header, fields, strict=True)), line)
        if problem:
            rejections.append(Rejection(f"line {line}", fields[header.index("legacy_username")], problem))
        else:
            proposals.append(proposal)
    return proposals, rejections


def _proposal(row: dict[str, str], line: int) -> tuple[ProposedAlias | None, str | None]:
    username = row.get("username", "").strip() or None
    user_id_text = row.get("user_id", "").strip()
    user_id = None
    if user_id_text:
        if not user_id_text.isascii() or not user_id_text.isdigit() or len(user_id_text) > 18:
            return None, f"user_id {user_id_text!r} is not a user id (a whole number)"
        user_id = int(user_id_text)
    if username and user_id is not None:
        return None, "both username and user_id are given; give one"
    return ProposedAlias(row["legacy_username"], username, user_id, row.get("note", ""), line), None
