"""The one resolution rule, resolve_owner_username(), on the cases docs/design.md names."""

import pytest
from sqlalchemy import text

from tests.support.crm import add_user, resolve


@pytest.fixture
def users(db):
    with db.begin() as connection:
        ids = {
            name: add_user(connection, name, is_active=name != "sam")
            for name in ("jdoe", "JDoe", "Mary.Major", "sam")
        }
    return ids


@pytest.mark.parametrize(
    ("written", "owner", "match_kind"),
    [
        ("jdoe", "jdoe", "exact"),
        ("JDoe", "JDoe", "exact"),
        ("  jdoe ", "jdoe", "exact"),
        ("mary.major", "Mary.Major", "case_insensitive"),
        (" MARY.MAJOR ", "Mary.Major", "case_insensitive"),
        ("sam", "sam", "exact"),  # inactive, and still the owner: resolution is referential
    ],
)
def test_resolvable_usernames_resolve_to_one_user(db, users, written, owner, match_kind):
    with db.connect() as connection:
        result = resolve(connection, written)
    assert (result.user_id, result.match_kind, result.reason) == (users[owner], match_kind, None)


@pytest.mark.parametrize(
    ("written", "match_kind", "reason"),
    [
        ("JDOE", "ambiguous", "ambiguous_username"),
        ("jDoe", "ambiguous", "ambiguous_username"),
        ("nobody", "not_found", "user_not_found"),
        ("\tjdoe", "not_found", "user_not_found"),  # trimming removes spaces, as the playbook's btrim
        ("Robert'); DROP TABLE app_users;--", "not_found", "user_not_found"),
    ],
)
def test_unresolvable_usernames_get_a_reason(db, users, written, match_kind, reason):
    with db.connect() as connection:
        result = resolve(connection, written)
        assert (result.user_id, result.match_kind, result.reason) == (None, match_kind, reason)
        assert connection.execute(text("SELECT count(*) FROM app_users")).scalar() == 4


@pytest.mark.parametrize("written", [None, "", "   "])
def test_blank_usernames_are_no_owner_and_no_error(db, users, written):
    with db.connect() as connection:
        result = resolve(connection, written)
    assert (result.user_id, result.match_kind, result.reason) == (None, "blank", None)


def test_the_set_based_rule_gives_each_name_what_the_rule_gives_it_alone(db, users):
    written = ["jdoe", "  jdoe ", "mary.major", "JDOE", "nobody", "", "   ", None, "sam"]
    with db.connect() as connection:
        rows = connection.execute(
            text("SELECT * FROM resolve_owner_usernames(CAST(:names AS text[]))"), {"names": written}
        ).all()
        alone = {name: tuple(resolve(connection, name)) for name in written}
    assert sorted(rows, key=repr) == sorted(((name, *alone[name]) for name in written), key=repr)
