"""Every way a connection fails gets one sentence naming the database and the cause."""

import pytest

from lib.db.database import check_reachable, create_engine_for
from lib.db.settings import parse_database_url
from lib.errors import SetupError
from tests.support.database import password_login

PROBE_ROLE, PROBE_PASSWORD = "password_probe", "the-right-password"


@pytest.fixture(scope="session")
def password_role(server_url):
    """A role that must log in with a password."""
    return password_login(server_url, PROBE_ROLE, PROBE_PASSWORD).set(password=None)


def failure(url) -> str:
    with pytest.raises(SetupError) as caught:
        check_reachable(create_engine_for(url))
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_a_refused_connection_names_host_and_cause():
    url = parse_database_url("postgresql://app:pw@127.0.0.1:1/crm")
    assert (
        failure(url) == "Cannot connect to crm on 127.0.0.1:1: Connection refused (is the server running?)."
    )


def test_an_unknown_host_names_the_host():
    url = parse_database_url("postgresql://app:pw@no-such-host.invalid:5432/crm")
    assert failure(url).startswith(
        "Cannot connect to crm on no-such-host.invalid:5432: failed to resolve host"
    )


def test_a_wrong_password_is_named(password_role):
    message = failure(password_role.set(password="wrong"))
    assert message.endswith(f'password authentication failed for user "{PROBE_ROLE}".')
    check_reachable(create_engine_for(password_role.set(password=PROBE_PASSWORD)))


def test_a_missing_database_is_named(server_url):
    message = failure(server_url.set(database="no_such_db"))
    assert message.endswith('database "no_such_db" does not exist.')
