"""Named queries: every one loads, and table names come only from the registry. No database."""

import pytest

from lib.registry import JOB_RUNS_TABLES, MIGRATED_TABLES
from lib.sql import query, query_names, query_text


@pytest.mark.parametrize("name", query_names())
def test_every_named_query_loads(name):
    sql = query_text(name, MIGRATED_TABLES[0], JOB_RUNS_TABLES["verify"])
    assert sql.strip()
    assert "{table}" not in sql and "{runs}" not in sql
    assert query(name, MIGRATED_TABLES[0], JOB_RUNS_TABLES["verify"]) is not None


def test_a_per_table_query_refuses_a_table_outside_the_registry():
    with pytest.raises(ValueError, match="not a migrated table"):
        query_text("coverage", "app_users; DROP TABLE app_users")
    with pytest.raises(ValueError, match="not a job's runs table"):
        query_text("job_asked", runs="app_users")
