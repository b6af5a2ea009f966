"""Random sequences of legacy writes, new writes, user changes and backfills keep the invariants:

- owner_backfill_errors holds exactly the unresolved rows, with their current username;
- a row with an owner_user_id is in the coverage denominator (its username is not blank);
- the kept coverage counts equal the playbook's step-3 scan, before and after they are folded;
- a legacy write resolves by the rule and keeps the text as written; an id write makes the
  username the user's; the backfill fills ids only, leaves no resolvable row behind, and
  refreshes every reason.

Each example runs in one transaction of its own database, rolled back at the end.
"""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.invariants import OPERATIONS, apply, check_global_invariants

operations = st.one_of(OPERATIONS)


@pytest.mark.slow
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(operations, min_size=1, max_size=30))
def test_random_writes_keep_the_invariants(db, steps):
    with db.connect() as connection:
        try:
            for step in steps:
                apply(connection, step)
                check_global_invariants(connection)
        finally:
            connection.rollback()
