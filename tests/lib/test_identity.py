"""Where a visitor's identity comes from (DESIGN §7), and that it never falls back to the local user
when a sign-in or a proxy header is configured."""

import os
import pwd

import pytest

from lib.guard.identity import (
    OPERATOR,
    VIEWER,
    Identity,
    NoIdentity,
    local_identity,
    role_of,
    visitor_identity,
)

HEADER = "X-Forwarded-User"
NOT_CONFIGURED: dict = {}  # st.user without [auth]


def carrying(*values: str):
    """st.context.headers.get_all for a request whose X-Forwarded-User lines are `values`."""
    return lambda name: list(values) if name == HEADER else []


@pytest.fixture
def proxy_configured(monkeypatch):
    monkeypatch.setenv("OWNER_CONSOLE_IDENTITY_HEADER", HEADER)
    monkeypatch.setenv("OWNER_CONSOLE_OPERATORS", "ops.lead@example.com")
    monkeypatch.setenv("DATABASE_URL", "postgresql://app:pw@db.internal/crm")
    # The review's case: the server's own OS user is a listed local operator (for cron).
    monkeypatch.setenv("OWNER_CONSOLE_LOCAL_OPERATORS", local_identity().name)


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
        (["  "], "arrived empty"),
        (["ops.lead@example.com", "analyst@example.com"], "arrived 2 times"),
        (["ops.lead@example.com", "ops.lead@example.com"], "arrived 2 times"),
        (["ops.lead@example.com, analyst@example.com"], "arrived 2 times"),  # folded by a proxy
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
    assert who == local_identity() == Identity(pwd.getpwuid(os.getuid()).pw_name, "local")
