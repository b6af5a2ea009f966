"""Where a visitor's identity comes from (docs/design.md, Identity), and that it never falls back to
the local user when a sign-in or a proxy header is configured."""

import os
import pwd

import pytest

from lib.db.settings import SITE_FILE_SETTING, site_setting
from lib.errors import SettingError
from lib.guard.identity import (
    OPERATOR,
    PROXY_SECRET_HEADER,
    PROXY_SECRET_SETTING,
    VIEWER,
    Identity,
    NoIdentity,
    local_identity,
    role_of,
    visitor_identity,
)
from tests.support.site import set_site_setting

HEADER = "X-Forwarded-User"
NOT_CONFIGURED: dict = {}  # st.user without [auth]
SECRET = "s3cret-of-the-proxy"


def carrying(*values: str, secret: tuple[str, ...] = (SECRET,)):
    """st.context.headers.get_all for a request whose X-Forwarded-User lines are `values`, with
    the proxy's `secret` lines; as Tornado gives them, each decoded as Latin-1."""
    lines = {HEADER: values, PROXY_SECRET_HEADER: secret}
    return lambda name: [value.encode("utf-8").decode("latin-1") for value in lines.get(name, ())]


@pytest.fixture
def proxy_configured(monkeypatch):
    monkeypatch.setenv("OWNER_CONSOLE_IDENTITY_HEADER", HEADER)
    set_site_setting(PROXY_SECRET_SETTING, SECRET)
    set_site_setting("OWNER_CONSOLE_OPERATORS", "ops.lead@example.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.internal/crm")
    # The review's case: the server's own OS user is a listed local operator (for cron).
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)


def test_the_proxy_header_names_the_visitor(proxy_configured):
    who = visitor_identity(NOT_CONFIGURED, carrying("ops.lead@example.com"))
    assert who == Identity("ops.lead@example.com", "proxy")
    assert role_of(who) == OPERATOR
    assert role_of(visitor_identity(NOT_CONFIGURED, carrying("analyst@x"))) == VIEWER


@pytest.mark.parametrize(
    ("values", "found"),
    [
        ([], "is missing"),
        ([""], "arrived empty"),
        (["  "], "arrived padded with whitespace or with characters that are not text"),
        (["ops.lead@example.com", "analyst@example.com"], "arrived 2 times"),
        (["ops.lead@example.com", "ops.lead@example.com"], "arrived 2 times"),
        (["ops.lead@example.com, analyst@example.com"], "arrived 2 times"),  # folded by a proxy
        # Taken exactly as sent: HTTP's own padding (spaces, tabs) is gone before the console
        # sees a value, and any other is refused, never trimmed into an operator's name.
        (
            ["\u00a0ops.lead@example.com"],
            "arrived padded with whitespace or with characters that are not text",
        ),
        (["ops.lead@example.com\x0b"], "arrived padded with whitespace or with characters that are not text"),
        (["ops.lead@\x1bexample.com"], "arrived padded with whitespace or with characters that are not text"),
    ],
)
def test_a_missing_empty_or_repeated_header_is_no_identity_never_the_local_user(
    proxy_configured, values, found
):
    who = visitor_identity(NOT_CONFIGURED, carrying(*values))
    assert isinstance(who, NoIdentity) and who.source == "proxy"
    assert f"the {HEADER} header" in who.message and f"it {found}." in who.message


def test_with_auth_configured_a_signed_out_visitor_must_sign_in_whatever_the_headers(proxy_configured):
    signed_out = {"is_logged_in": False}
    who = visitor_identity(signed_out, carrying("ops.lead@example.com"))
    assert who == NoIdentity("oidc", "Sign in to use the owner migration console.")


def test_a_signed_in_visitor_is_their_email():
    signed_in = {"is_logged_in": True, "email": "ops.lead@example.com", "name": "Ops Lead"}
    assert visitor_identity(signed_in, carrying()) == Identity("ops.lead@example.com", "oidc")
    no_email = visitor_identity({"is_logged_in": True, "name": "Ops Lead"}, carrying())
    assert isinstance(no_email, NoIdentity) and "gave no e-mail address" in no_email.message


def test_with_nothing_configured_the_visitor_is_the_os_account_of_the_uid(monkeypatch):
    monkeypatch.delenv("OWNER_CONSOLE_IDENTITY_HEADER", raising=False)
    monkeypatch.setenv("LOGNAME", "cronbot")
    monkeypatch.setenv("USER", "cronbot")
    who = visitor_identity(NOT_CONFIGURED, carrying("ops.lead@example.com"))
    assert who == local_identity("console") == Identity(pwd.getpwuid(os.getuid()).pw_name, "local", "console")


@pytest.mark.parametrize("secret", [(), ("wrong",), (SECRET, SECRET), (SECRET + " ",), ("",)])
def test_a_request_without_the_proxy_secret_exactly_once_is_no_identity(proxy_configured, secret):
    """Anything on the host can reach Streamlit's port and send the identity header; only the
    proxy knows the secret."""
    who = visitor_identity(NOT_CONFIGURED, carrying("ops.lead@example.com", secret=secret))
    assert who == NoIdentity(
        "proxy",
        "This request did not come through the console's proxy: it lacks the proxy's secret. "
        "Open the console through its proxy's address.",
    )


def test_without_a_proxy_secret_configured_nobody_is_identified_by_the_header(proxy_configured):
    set_site_setting(PROXY_SECRET_SETTING, "")
    who = visitor_identity(NOT_CONFIGURED, carrying("ops.lead@example.com"))
    assert isinstance(who, NoIdentity) and f"has no {PROXY_SECRET_SETTING}" in who.message


def test_a_name_beyond_ascii_arrives_as_the_proxy_sent_it(proxy_configured):
    assert visitor_identity(NOT_CONFIGURED, carrying("josé.garcía@example.com")) == Identity(
        "josé.garcía@example.com", "proxy"
    )


def test_the_operator_lists_are_never_read_from_the_environment(monkeypatch):
    """A caller of the CLI sets their environment as they like: listing themselves there does not
    make them an operator."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.internal/crm")
    monkeypatch.setenv("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    monkeypatch.setenv("OWNER_CONSOLE_OPERATORS", "ops.lead@example.com")
    assert role_of(local_identity()) == VIEWER
    assert role_of(Identity("ops.lead@example.com", "proxy")) == VIEWER
    set_site_setting("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)
    assert role_of(local_identity()) == OPERATOR


def test_a_site_file_that_others_may_write_is_refused(tmp_path, monkeypatch):
    mine = tmp_path / "site.toml"
    mine.write_text('OWNER_CONSOLE_LOCAL_OPERATORS = "anyone"\n')
    mine.chmod(0o666)
    monkeypatch.setenv(SITE_FILE_SETTING, str(mine))
    with pytest.raises(SettingError, match="only its owner may write it"):
        site_setting("OWNER_CONSOLE_LOCAL_OPERATORS")
    mine.chmod(0o600)
    assert site_setting("OWNER_CONSOLE_LOCAL_OPERATORS") == "anyone"
