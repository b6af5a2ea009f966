"""Named queries: every one loads, and table names come only from the registry. No database."""

import pytest

from lib.registry import MIGRATED_TABLES
from lib.sql import query, query_names, query_text


@pytest.mark.parametrize("name", query_names())
def test_every_named_query_loads(name):
    sql = query_text(name, MIGRATED_TABLES[0])
    assert sql.strip()
    assert "{table}" not in sql
    assert query(name, MIGRATED_TABLES[0]) is not None


def test_a_per_table_query_refuses_a_table_outside_the_registry():
    with pytest.raises(ValueError, match="not a migrated table"):
        query_text("coverage", "app_users; DROP TABLE app_users")
