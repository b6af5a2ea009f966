"""The fleet file: the CRM databases one console migrates, one `[[member]]` table each.

    [[member]]
    name = "eu-1"            # unique; in URLs, metrics and the CSV
    service = "crm-eu-1"     # a libpq service; or url_env = "EU1_DATABASE_URL"; or url = "postgresql://…"
    wave = 0                 # 0 is the canary
    tags = ["eu", "tier-1"]  # optional

A member's password never comes from this file: a libpq service and a URL without a password
take it from a password file (PGPASSFILE, ~/.pgpass); url_env names an environment variable that
holds the whole URL. What is wrong with the file is one sentence naming its line and the field.
The file is named by OWNER_CONSOLE_FLEET, or by `fleet_file` in the console's secrets file.
"""

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.engine import URL

from lib.db.database import check_reachable, create_engine_for
from lib.db.schema import require_current_schema
from lib.db.settings import SECRETS_FILE, console_setting, parse_database_url
from lib.errors import SettingError

FLEET_SETTING = "OWNER_CONSOLE_FLEET"
FLEET_FILE_SETTING = "fleet_file"
# How a member says where it is: exactly one of these.
CONNECTIONS = ("service", "url_env", "url")
KEYS = ("name", "wave", "tags", *CONNECTIONS)
# A name goes into URLs, metric labels and a CSV column: letters, digits, '.', '_' and '-'.
MEMBER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}")
MEMBER_TABLE = re.compile(r"\s*\[\[\s*member\s*\]\]")
KEY_LINE = re.compile(r"\s*([A-Za-z0-9_-]+)\s*=")


class FleetFileError(SettingError):
    """The fleet file cannot be used as written: one sentence naming its line and the field."""


@dataclass(frozen=True)
class Member:
    name: str
    wave: int
    tags: tuple[str, ...]
    connection: str  # one of CONNECTIONS
    target: str  # the service's name, the variable's name, or the URL
    line: int  # of its [[member]] in the fleet file, for the sentences that name it

    def url(self, environ: Mapping[str, str] = os.environ) -> URL:
        """Where the member is: a libpq service, the URL in the environment variable it names, or
        its URL; the password, when needed, from a password file or that variable."""
        if self.connection == "service":
            return URL.create("postgresql+psycopg", query={"service": self.target})
        if self.connection == "url_env":
            raw = environ.get(self.target, "").strip()
            if not raw:
                raise SettingError(f"Member {self.name}: the environment variable {self.target} is not set.")
            return parse_database_url(raw, f"{self.target} (member {self.name})")
        return parse_database_url(self.target, f"the url of member {self.name}")


def fleet_file(environ: Mapping[str, str] = os.environ, secrets_file: Path = SECRETS_FILE) -> Path | None:
    """The fleet file the console is configured with, or None: one database, as without a fleet."""
    raw = environ.get(FLEET_SETTING, "").strip() or console_setting(FLEET_FILE_SETTING, {}, secrets_file)
    return Path(raw) if raw else None


def configured_fleet(environ: Mapping[str, str] = os.environ) -> tuple[Path, tuple[Member, ...]]:
    """The configured fleet file and its members, or SettingError when no fleet is configured."""
    path = fleet_file(environ)
    if path is None:
        raise SettingError(
            f"No fleet is configured: name its file in {FLEET_SETTING}, or as {FLEET_FILE_SETTING}."
        )
    return path, load_fleet(path)


def member_named(members: tuple[Member, ...], name: str) -> Member:
    """The member called `name`, or SettingError naming the choices."""
    for member in members:
        if member.name == name:
            return member
    raise SettingError(
        f"No member of the fleet is named {name!r}; the members are {', '.join(m.name for m in members)}."
    )


def open_member_database(member: Member) -> Engine:
    """An engine on the member at head, or a SetupError saying what to fix: the console shows a
    member as its own console would, and migrates it only in a rollout."""
    engine = create_engine_for(member.url())
    check_reachable(engine)
    require_current_schema(engine)
    return engine


def load_fleet(path: Path) -> tuple[Member, ...]:
    """The members of the fleet file at `path`, in its order, or FleetFileError."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FleetFileError(f"The fleet file {path} cannot be read ({error.strerror}).") from None
    except UnicodeDecodeError:
        raise FleetFileError(f"The fleet file {path} is not UTF-8 text.") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise FleetFileError(f"The fleet file {path} is not valid TOML: {error}.") from None
    lines = _key_lines(text)
    unknown = sorted(set(document) - {"member"})
    if unknown:
        raise FleetFileError(
            f"{path}: unknown table or key '{unknown[0]}'; a fleet file holds [[member]] tables."
        )
    tables = document.get("member", [])
    if not isinstance(tables, list) or not tables:
        raise FleetFileError(f"{path}: no [[member]] table; a fleet lists at least one member.")
    if len(lines) != len(tables):
        raise FleetFileError(f"{path}: write each member as a [[member]] table of its own, one key a line.")
    members = [_member(path, table, lines[index]) for index, table in enumerate(tables)]
    _check_names_and_waves(path, members)
    return tuple(members)


def _member(path: Path, table: dict, lines: dict[str, int]) -> Member:
    start = lines["[[member]]"]

    def refuse(key: str, why: str) -> FleetFileError:
        return FleetFileError(f"{path}, line {lines.get(key, start)}: {key} {why}.")

    for key in table:
        if key not in KEYS:
            raise refuse(key, f"is not a member's key; the keys are {', '.join(KEYS)}")
    name = table.get("name")
    if name is None:
        raise refuse("name", "is missing: every member has one")
    if not isinstance(name, str) or not MEMBER_NAME.fullmatch(name):
        raise refuse("name", f"is {name!r}: use letters, digits, '.', '_' and '-', at most 63")
    wave = table.get("wave")
    if wave is None:
        raise refuse("wave", f"is missing for member {name}: 0 is the canary")
    if isinstance(wave, bool) or not isinstance(wave, int) or wave < 0:
        raise refuse("wave", f"of member {name} is {wave!r}: a whole number, 0 for the canary")
    tags = table.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        raise refuse("tags", f"of member {name} must be a list of words")
    given = [key for key in CONNECTIONS if key in table]
    if len(given) != 1:
        raise refuse(
            given[1] if len(given) > 1 else "service",
            f"{'and ' + given[0] + ' are both' if len(given) > 1 else 'is missing'} for member {name}: "
            "give exactly one of service, url_env or url",
        )
    connection = given[0]
    target = table[connection]
    if not isinstance(target, str) or not target.strip():
        raise refuse(connection, f"of member {name} must be a non-empty string")
    if connection == "url":
        try:
            url = parse_database_url(target, "its url")
        except SettingError as error:
            raise refuse("url", f"of member {name} cannot be used: {error}") from None
        if url.password:
            raise refuse(
                "url",
                f"of member {name} holds a password: keep it in a password file (PGPASSFILE), or use url_env",
            )
    return Member(name, wave, tuple(tags), connection, target.strip(), start)


def _check_names_and_waves(path: Path, members: list[Member]) -> None:
    seen: dict[str, Member] = {}
    for member in members:
        if member.name in seen:
            raise FleetFileError(
                f"{path}, line {member.line}: name {member.name} is also the name of the member at line "
                f"{seen[member.name].line}; every name is unique."
            )
        seen[member.name] = member
    waves = sorted({member.wave for member in members})
    missing = [wave for wave in range(waves[-1] + 1) if wave not in waves]
    if missing:
        raise FleetFileError(
            f"{path}: no member is in wave {missing[0]}, though wave {waves[-1]} has one; "
            "waves are numbered from 0, the canary, without a gap."
        )


def _key_lines(text: str) -> list[dict[str, int]]:
    """For each [[member]] table, the line of its header ('[[member]]') and of each of its keys."""
    tables: list[dict[str, int]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if MEMBER_TABLE.match(line):
            tables.append({"[[member]]": number})
        elif tables and (key := KEY_LINE.match(line)):
            tables[-1].setdefault(key[1], number)
    return tables
