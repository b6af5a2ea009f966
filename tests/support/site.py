"""The site file (lib.db.settings.site_file) of a test: the operator lists and the proxy secret
live there, never in the environment. tests/conftest.py gives each test an empty one, named by
OWNER_CONSOLE_SITE_FILE, which subprocesses inherit."""

import json
import os
import tomllib
from collections.abc import Mapping
from pathlib import Path

from lib.db.settings import SITE_FILE_SETTING


def write_site_file(path: Path, settings: Mapping[str, str]) -> Path:
    """`settings` as TOML in `path`, which only its owner may write, as a site file must be."""
    path.touch(mode=0o600)
    path.chmod(0o600)
    # A JSON string is a TOML basic string.
    path.write_text("".join(f"{name} = {json.dumps(value)}\n" for name, value in settings.items()))
    return path


def set_site_setting(name: str, value: str) -> None:
    """Set one setting in the current test's site file."""
    path = Path(os.environ[SITE_FILE_SETTING])
    settings = tomllib.loads(path.read_text()) if path.exists() else {}
    write_site_file(path, {**settings, name: value})
