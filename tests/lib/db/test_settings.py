"""Where the database URL comes from, and what a malformed one is told. No database needed."""

import re

import pytest

from lib.db.settings import (
    DATA_ROOT,
    EMBEDDED_DATA_DIR,
    configured_database_url,
    describe_url,
    embedded_data_dir,
    parse_database_url,
)
from lib.errors import SettingError, SetupError


def test_environment_wins_over_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DATABASE_URL = "postgresql://from-file/crm"\n')
    url = configured_database_url({"DATABASE_URL": "postgresql://from-env/crm"}, secrets)
    assert url.host == "from-env"


def test_secrets_file_is_read_when_the_environment_has_no_url(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('DATABASE_URL = "postgres://app:pw@db.internal:6432/crm"\n')
    url = configured_database_url({}, secrets)
    assert (url.drivername, url.host, url.port, url.database) == (
        "postgresql+psycopg",
        "db.internal",
        6432,
        "crm",
    )


def test_no_configuration_means_the_embedded_default(tmp_path):
    assert configured_database_url({"DATABASE_URL": "  "}, tmp_path / "missing.toml") is None


def test_a_broken_secrets_file_is_named(tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("DATABASE_URL = postgresql://unquoted\n")
    with pytest.raises(SetupError, match=r"secrets\.toml is not valid TOML"):
        configured_database_url({}, secrets)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("not a url at all", "DATABASE_URL is not a valid URL; expected postgresql://"),
        ("mysql://app:pw@db/crm", "uses the scheme 'mysql', but this console needs PostgreSQL"),
        ("sqlite:///crm.db", "uses the scheme 'sqlite'"),
        ("postgresql://app:pw@db:port/crm", "has a port that is not a number"),
        ("postgresql://app:pw@tail@db.internal/crm", "has an @ in its user or password"),
    ],
)
def test_a_malformed_url_gets_one_sentence(raw, message):
    with pytest.raises(SetupError, match=re.escape(message)) as caught:
        parse_database_url(raw)
    assert "\n" not in str(caught.value)
    assert "tail" not in str(caught.value) and "pw" not in str(caught.value)


@pytest.mark.parametrize(
    "raw",
    [
        "postgresql://app:s3cret@db.internal:5432/crm",
        "postgresql://app@db.internal:5432/crm?password=s3cret",
        # An @ in the password, percent-encoded as it must be.
        "postgresql://app:" + "s3cr%40t" + "@db.internal:5432/crm",
    ],
)
def test_the_password_is_never_described_in_any_form_libpq_accepts(raw):
    url = parse_database_url(raw)
    assert url.password in ("s3cret", "s3cr@t") and "password" not in url.query
    assert describe_url(url) == "crm on db.internal:5432"
    assert "s3cr" not in repr(url) and "s3cr" not in str(url)


def test_described_urls_never_show_the_password():
    url = parse_database_url("postgresql://app:s3cret@db.internal:5432/crm")
    assert describe_url(url) == "crm on db.internal:5432"
    socket = parse_database_url("postgresql://postgres@/crm_demo?host=/srv/pg")
    assert describe_url(socket) == "crm_demo on /srv/pg"


def test_the_embedded_data_dir_stays_inside_the_projects_data_folder(tmp_path):
    assert embedded_data_dir({}) == EMBEDDED_DATA_DIR
    assert embedded_data_dir({"OWNER_CONSOLE_DATA_DIR": str(DATA_ROOT / "other")}) == DATA_ROOT / "other"
    for outside in (str(tmp_path), str(DATA_ROOT), str(DATA_ROOT / ".." / "lib")):
        with pytest.raises(SettingError, match="must name a folder inside"):
            embedded_data_dir({"OWNER_CONSOLE_DATA_DIR": outside})
