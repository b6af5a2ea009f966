"""Who acts, and whether they may: operators act, everyone else views.

- An identity from OIDC (st.login) or a trusted proxy header is an operator when its name is in
  OWNER_CONSOLE_OPERATORS.
- A local identity (no login, the CLI) is an operator on the embedded demo database, or when its
  OS user is in OWNER_CONSOLE_LOCAL_OPERATORS (cron, CI).

The settings come from the environment or .streamlit/secrets.toml, read at the moment of each
check, so a change takes effect without a restart.
"""

import getpass
from dataclasses import dataclass

from lib.settings import configured_database_url, console_setting

OPERATOR, VIEWER = "operator", "viewer"


@dataclass(frozen=True)
class Identity:
    name: str
    source: str  # oidc, proxy or local

    def __str__(self) -> str:
        return f"{self.name} ({self.source})"


def local_identity() -> Identity:
    return Identity(getpass.getuser(), "local")


def role_of(identity: Identity) -> str:
    if identity.source == "local":
        allowed = configured_database_url() is None or identity.name in _names(
            "OWNER_CONSOLE_LOCAL_OPERATORS"
        )
    else:
        allowed = identity.name in _names("OWNER_CONSOLE_OPERATORS")
    return OPERATOR if allowed else VIEWER


def _names(setting: str) -> set[str]:
    return {name.strip() for name in console_setting(setting).split(",") if name.strip()}
