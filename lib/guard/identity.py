"""Who acts, and whether they may: operators act, everyone else views.

Where a console visitor's identity comes from, in order (docs/design.md, Identity):
- `[auth]` configured: the OIDC login (st.login); its e-mail is the name;
- else OWNER_CONSOLE_IDENTITY_HEADER configured: that header, set by the trusted proxy, exactly once
  and exactly as the proxy sent it, on a request that carries the site's proxy_secret in
  PROXY_SECRET_HEADER: anything on the host can reach Streamlit's port, only the proxy knows the
  secret;
- else the local OS user of the process.
When the login or the header is configured and gives no identity, there is none: never a fallback
to the local user.

- An identity from OIDC or the proxy header is an operator when its name is in
  OWNER_CONSOLE_OPERATORS.
- A local identity (no login, the CLI) is an operator on the embedded demo database, or when its
  OS user is in OWNER_CONSOLE_LOCAL_OPERATORS (cron, CI).

The operator lists and the proxy secret come from the site file alone (lib.db.settings.site_setting),
never from the environment; the header's name comes from either. Each is read at the moment of
each check, so a change takes effect without a restart.
"""

import hmac
import os
import pwd
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from lib.db.settings import configured_database_url, console_setting, site_setting

OPERATOR, VIEWER = "operator", "viewer"
PROXY_SECRET_HEADER = "X-Owner-Console-Proxy-Secret"
PROXY_SECRET_SETTING = "proxy_secret"


# The tools an action can come through, as the audit log records them.
VIA = ("console", "cli", "alembic")


@dataclass(frozen=True)
class Identity:
    name: str
    source: str  # how the name was established: oidc, proxy or local
    via: str = "console"  # the tool acting for them (VIA); only a local identity is outside the console

    def __post_init__(self) -> None:
        if self.via not in VIA:  # the audit log's check would refuse it, after the action
            raise ValueError(f"via is {self.via!r}; one of {', '.join(VIA)}")

    def __str__(self) -> str:
        return f"{self.name} ({self.source})"


@dataclass(frozen=True)
class NoIdentity:
    """A visitor whom the configured sign-in did not identify: they see `message` and nothing else."""

    source: str  # oidc or proxy
    message: str


def local_identity(via: str = "cli") -> Identity:
    """The real OS account of this process, from its uid: LOGNAME and USER say whatever they are
    set to. `via` is the tool it acts through: the CLI unless the console or Alembic says so."""
    return Identity(pwd.getpwuid(os.getuid()).pw_name, "local", via)


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
        return local_identity("console")
    if refusal := _not_from_the_proxy(header, header_values):
        return NoIdentity("proxy", refusal)
    # Streamlit's server decodes header bytes as Latin-1; the proxy sends UTF-8.
    try:
        values = [raw.encode("latin-1").decode("utf-8") for raw in header_values(header)]
    except (UnicodeEncodeError, UnicodeDecodeError):
        values = [""]
    # A proxy may fold repeated headers into one, comma-separated (RFC 9110 §5.3).
    values = [value for raw in values for value in raw.split(",")]
    if len(values) == 1 and values[0] and values[0] == values[0].strip() and values[0].isprintable():
        return Identity(values[0], "proxy")
    if not values:
        found = "is missing"
    elif len(values) > 1:
        found = f"arrived {len(values)} times"
    elif not values[0]:
        found = "arrived empty"
    else:
        found = "arrived padded with whitespace or with characters that are not text"
    return NoIdentity(
        "proxy",
        f"This console identifies people by the {header} header that its proxy sets, and on this "
        f"request it {found}. Open the console through its proxy; if you did, ask its administrators "
        "to check the proxy's configuration.",
    )


def _not_from_the_proxy(header: str, header_values: Callable[[str], list[str]]) -> str:
    """Why this request cannot be trusted to come from the proxy, or '' when it carries the site's
    proxy secret exactly once."""
    secret = site_setting(PROXY_SECRET_SETTING)
    if not secret:
        return (
            f"This console identifies people by the {header} header of its proxy, but its site "
            f"configuration has no {PROXY_SECRET_SETTING}, so no request can prove that it came "
            "through the proxy. Ask its administrators to set one (the deployment guide says how)."
        )
    sent = header_values(PROXY_SECRET_HEADER)
    if len(sent) == 1 and hmac.compare_digest(sent[0].encode("latin-1", "replace"), secret.encode("utf-8")):
        return ""
    return (
        "This request did not come through the console's proxy: it lacks the proxy's secret. "
        "Open the console through its proxy's address."
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
    return {name.strip() for name in site_setting(setting).split(",") if name.strip()}
