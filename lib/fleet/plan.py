"""A rollout's plan: how many members of each wave run their steps at once, how long a member soaks
after its last step before its wave may pass, and how many backfills run at once across the fleet.
The waves and their members come from the fleet file; a plan file only changes the defaults.

    soak_minutes = 10          # after a member's last step, before its gates may pass
    backfill_cap = 4           # members running their steps at once, across the fleet
    concurrency = [1, 4]       # per wave, from the canary; the last one goes on for later waves
"""

import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from types import MappingProxyType

from lib.errors import SettingError
from lib.fleet.members import KEY_LINE, Member

DEFAULT_SOAK_MINUTES = 10
DEFAULT_BACKFILL_CAP = 4
DEFAULT_CONCURRENCY = (1, 4)
KEYS = ("soak_minutes", "backfill_cap", "concurrency")


class PlanFileError(SettingError):
    """The plan file cannot be used as written: one sentence naming its line and the key."""


@dataclass(frozen=True)
class Wave:
    number: int
    concurrency: int
    members: tuple[str, ...]  # in the fleet file's order


@dataclass(frozen=True)
class Plan:
    waves: tuple[Wave, ...]
    soak_seconds: int
    backfill_cap: int

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, plan: dict) -> "Plan":
        waves = tuple(Wave(w["number"], w["concurrency"], tuple(w["members"])) for w in plan["waves"])
        return cls(waves, plan["soak_seconds"], plan["backfill_cap"])

    def wave(self, number: int) -> Wave:
        return self.waves[number]


def plan_for(members: tuple[Member, ...], settings: Mapping[str, object] = MappingProxyType({})) -> Plan:
    """The plan over `members`: the defaults, changed by `settings` (a plan file's keys)."""
    concurrency = settings.get("concurrency", DEFAULT_CONCURRENCY)
    numbers = sorted({member.wave for member in members})
    waves = tuple(
        Wave(
            number,
            concurrency[min(number, len(concurrency) - 1)],
            tuple(member.name for member in members if member.wave == number),
        )
        for number in numbers
    )
    return Plan(
        waves,
        settings.get("soak_minutes", DEFAULT_SOAK_MINUTES) * 60,
        settings.get("backfill_cap", DEFAULT_BACKFILL_CAP),
    )


def read_plan_file(path: Path) -> dict:
    """The settings of the plan file at `path`, or PlanFileError."""
    try:
        text = path.read_text(encoding="utf-8")
        document = tomllib.loads(text)
    except OSError as error:
        raise PlanFileError(f"The plan file {path} cannot be read ({error.strerror}).") from None
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise PlanFileError(f"The plan file {path} is not valid TOML: {error}.") from None
    lines = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if key := KEY_LINE.match(line):
            lines.setdefault(key[1], number)

    def refuse(key: str, why: str) -> PlanFileError:
        return PlanFileError(f"{path}, line {lines.get(key, 1)}: {key} {why}.")

    for key, value in document.items():
        if key not in KEYS:
            raise refuse(key, f"is not a plan's key; the keys are {', '.join(KEYS)}")
        values = value if key == "concurrency" else [value]
        if key == "concurrency" and (not isinstance(value, list) or not value):
            raise refuse(key, "must be a list of whole numbers, one per wave from the canary")
        lowest = 0 if key == "soak_minutes" else 1
        if not all(isinstance(v, int) and not isinstance(v, bool) and v >= lowest for v in values):
            raise refuse(key, f"is {value!r}: use whole numbers of at least {lowest}")
    return document
