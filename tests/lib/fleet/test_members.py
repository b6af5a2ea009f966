"""The fleet file: what it declares, and one sentence naming the line and the field for each way it
can be wrong."""

import pytest

from lib.fleet.members import FleetFileError, fleet_file, load_fleet

GOOD = """
# The canary first.
[[member]]
name = "eu-1"
service = "crm-eu-1"
wave = 0
tags = ["eu", "tier-1"]

[[member]]
name = "us-1"
url_env = "US1_DATABASE_URL"
wave = 1

[[member]]
name = "us-2"
url = "postgresql://app@db.us-2.internal:5432/crm"
wave = 1
"""


def write(tmp_path, text: str):
    path = tmp_path / "fleet.toml"
    path.write_text(text)
    return path


def test_a_fleet_file_lists_its_members_in_order_with_their_waves_tags_and_connections(tmp_path):
    members = load_fleet(write(tmp_path, GOOD))
    assert [(m.name, m.wave, m.tags, m.connection, m.line) for m in members] == [
        ("eu-1", 0, ("eu", "tier-1"), "service", 3),
        ("us-1", 1, (), "url_env", 9),
        ("us-2", 1, (), "url", 14),
    ]
    assert members[0].url().query == {"service": "crm-eu-1"}
    assert members[1].url({"US1_DATABASE_URL": "postgresql://app:pw@db.us-1/crm"}).password == "pw"
    assert members[2].url().host == "db.us-2.internal"


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        (("wave = 1\n", "wav = 1\n"), "line 12: wav is not a member's key; the keys are name, wave, tags"),
        (('name = "us-2"', 'name = "eu-1"'), "line 14: name eu-1 is also the name of the member at line 3"),
        (("wave = 0\n", ""), "line 3: wave is missing for member eu-1: 0 is the canary"),
        (('name = "us-1"\n', ""), "line 9: name is missing"),
        (('name = "us-1"', 'name = "us 1"'), "line 10: name is 'us 1'"),
        (("wave = 0", 'wave = "canary"'), "line 6: wave of member eu-1 is 'canary'"),
        (("wave = 0", "wave = 2"), "no member is in wave 0, though wave 2 has one"),
        (('tags = ["eu", "tier-1"]', 'tags = "eu"'), "line 7: tags of member eu-1 must be a list of words"),
        (('url_env = "US1_DATABASE_URL"', ""), "line 9: service is missing for member us-1"),
        (
            ('service = "crm-eu-1"', 'service = "crm-eu-1"\nurl = "postgresql://h/crm"'),
            "and service are both",
        ),
        (("app@db.us-2", "app:secret@db.us-2"), "line 16: url of member us-2 holds a password"),
        (
            ("postgresql://app@db.us-2.internal:5432/crm", "mysql://h/crm"),
            "line 16: url of member us-2 cannot",
        ),
        (('[[member]]\nname = "eu-1"', '[[member]\nname = "eu-1"'), "is not valid TOML"),
        (("# The canary first.", 'region = "eu"'), "unknown table or key 'region'"),
    ],
)
def test_a_bad_fleet_file_is_one_sentence_naming_the_line_and_the_field(tmp_path, change, sentence):
    old, new = change
    assert old in GOOD
    with pytest.raises(FleetFileError) as refused:
        load_fleet(write(tmp_path, GOOD.replace(old, new, 1)))
    assert sentence in str(refused.value) and str(refused.value).endswith(".")
    assert len(str(refused.value).splitlines()) == 1


def test_a_fleet_with_no_member_or_members_written_inline_is_refused(tmp_path):
    with pytest.raises(FleetFileError, match="no \\[\\[member\\]\\] table"):
        load_fleet(write(tmp_path, "# nothing yet\n"))
    with pytest.raises(FleetFileError, match="as a \\[\\[member\\]\\] table of its own"):
        load_fleet(write(tmp_path, 'member = [{name = "a", wave = 0, service = "a"}]\n'))


def test_the_fleet_file_is_named_by_the_environment_else_by_the_secrets_file(tmp_path):
    secrets = tmp_path / "secrets.toml"
    assert fleet_file({}, secrets) is None
    secrets.write_text('fleet_file = "/etc/owner-console/fleet.toml"\n')
    assert str(fleet_file({}, secrets)) == "/etc/owner-console/fleet.toml"
    assert str(fleet_file({"OWNER_CONSOLE_FLEET": "/srv/fleet.toml"}, secrets)) == "/srv/fleet.toml"
