"""A rollout's plan: the fleet file's waves with the plan file's soak, cap and concurrency, and a
plan file that cannot be used refused in one sentence naming its line."""

import pytest

from lib.fleet.members import load_fleet
from lib.fleet.plan import PlanFileError, plan_for, read_plan_file
from tests.support.fleet import NOWHERE, fleet_file


@pytest.fixture
def members(tmp_path):
    return load_fleet(
        fleet_file(tmp_path, ("canary", NOWHERE, 0), ("a", NOWHERE, 1), ("b", NOWHERE, 1), ("c", NOWHERE, 2))
    )


def test_the_waves_come_from_the_fleet_file_and_the_last_concurrency_goes_on(members, tmp_path):
    path = tmp_path / "plan.toml"
    path.write_text("soak_minutes = 3\nbackfill_cap = 2\nconcurrency = [1, 5]\n")
    plan = plan_for(members, read_plan_file(path))
    assert [(wave.number, wave.concurrency, wave.members) for wave in plan.waves] == [
        (0, 1, ("canary",)),
        (1, 5, ("a", "b")),
        (2, 5, ("c",)),
    ]
    assert (plan.soak_seconds, plan.backfill_cap) == (180, 2)
    assert type(plan).from_json(plan.as_json()) == plan


def test_without_a_plan_file_the_defaults_hold(members):
    plan = plan_for(members)
    assert (plan.soak_seconds, plan.backfill_cap) == (600, 4)
    assert [wave.concurrency for wave in plan.waves] == [1, 4, 4]


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("soak_minutes = 1\nwaves = 3\n", "line 2: waves is not a plan's key"),
        ("concurrency = 4\n", "line 1: concurrency must be a list of whole numbers"),
        ("backfill_cap = 0\n", "line 1: backfill_cap is 0: use whole numbers of at least 1"),
        ("soak_minutes = -1\n", "line 1: soak_minutes is -1: use whole numbers of at least 0"),
        ("soak_minutes = true\n", "line 1: soak_minutes is True"),
        ("soak_minutes = \n", "is not valid TOML"),
    ],
)
def test_a_plan_file_that_cannot_be_used_is_one_sentence_naming_its_line(tmp_path, text, said):
    path = tmp_path / "plan.toml"
    path.write_text(text)
    with pytest.raises(PlanFileError) as refused:
        read_plan_file(path)
    assert said in str(refused.value)
    assert str(refused.value).count(". ") <= 1
