"""Who acts, and whether they may: operators act, everyone else views.

Where a console visitor's identity comes from, in order (DESIGN §7):
- `[auth]` configured: the OIDC login (st.login); its e-mail is the name;
- else OWNER_CONSOLE_IDENTITY_HEADER configured: that header, set by the trusted proxy, exactly once;
- else the local OS user of the process.
When the login or the header is configured and gives no identity, there is none: never a fallback
to the local user.

- An identity from OIDC or the proxy header is an operator when its name is in
  OWNER_CONSOLE_OPERATORS.
- A local identity (no login, the CLI) is an operator on the embedded demo database, or when its
  OS user is in OWNER_CONSOLE_LOCAL_OPERATORS (cron, CI).

The settings come from the environment or .streamlit/secrets.toml, read at the moment of each
check, so a change takes effect without a restart.
"""

import os
import pwd
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lib.db.settings import configured_database_url, console_setting

OPERATOR, VIEWER = "operator", "viewer"


@dataclass(frozen=True)
class Identity:
    name: str
    source: str  # oidc, proxy or local

    def __str__(self) -> str:
        return f"{self.name} ({self.source})"


@dataclass(frozen=True)
class NoIdentity:
    """A visitor whom the configured sign-in did not identify: they see `message` and nothing else."""

    source: str  # oidc or proxy
    message: str


def local_identity() -> Identity:
    """The real OS account of this process, from its uid: LOGNAME and USER say whatever they are set to."""
    return Identity(pwd.getpwuid(os.getuid()).pw_name, "local")


def visitor_identity(
    user: Mapping[str, object], header_values: Callable[[str], list[str]]
) -> Identity | NoIdentity:
    """A console visitor's identity from what Streamlit knows of them: `user` is st.user (it has
    is_logged_in exactly when [auth] is configured), header_values(name) every value of a request
    header, as st.context.headers.get_all gives them."""
    if "is_logged_in" in user:
        email = str(user.get("email") or "").strip() if user["is_logged_in"] else ""
        if email:
            return Identity(email, "oidc")
        reason = "Your sign-in gave no e-mail address. " if user["is_logged_in"] else ""
        return NoIdentity("oidc", f"{reason}Sign in to use the owner migration console.")
    header = console_setting("OWNER_CONSOLE_IDENTITY_HEADER")
    if not header:
        return local_identity()
    # A proxy may fold repeated headers into one, comma-separated (RFC 9110 §5.3).
    values = [value.strip() for raw in header_values(header) for value in raw.split(",")]
    if len(values) == 1 and values[0]:
        return Identity(values[0], "proxy")
    if not values:
        found = "is missing"
    elif len(values) > 1:
        found = f"arrived {len(values)} times"
    else:
        found = "arrived empty"
    return NoIdentity(
        "proxy",
        f"This console identifies people by the {header} header that its proxy sets, and on this "
        f"request it {found}. Open the console through its proxy; if you did, ask its administrators "
        "to check the proxy's configuration.",
    )


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
