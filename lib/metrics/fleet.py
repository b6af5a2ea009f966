"""The fleet's metrics: every member's series, as its own `lib.cli metrics` serves them, in one
scrape, each with a first label `database` naming the member. The members are read at once; a
member that cannot be read has `up` 0 and no other series, and the others are read all the same."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

from prometheus_client.core import Metric
from prometheus_client.registry import Collector, CollectorRegistry
from sqlalchemy.pool import NullPool

from lib.db.database import create_engine_for
from lib.errors import SettingError
from lib.finish.readiness import ReadinessSettings
from lib.fleet.members import Member
from lib.fleet.status import PARALLEL_READS
from lib.jobs.throttle import ThrottleSettings
from lib.metrics.collector import PREFIX, ConsoleCollector


class FleetCollector(Collector):
    def __init__(
        self, members: tuple[Member, ...], throttle: ThrottleSettings, gates: ReadinessSettings
    ) -> None:
        self.members = members
        self.collectors = {member.name: _member_collector(member, throttle, gates) for member in members}

    def collect(self) -> Iterator[Metric]:
        with ThreadPoolExecutor(max_workers=min(PARALLEL_READS, len(self.members))) as pool:
            read = pool.map(
                lambda member: (member.name, list(self.collectors[member.name].collect())), self.members
            )
            by_member = list(read)
        merged: dict[str, Metric] = {}
        for name, families in by_member:
            for family in families:
                into = merged.setdefault(family.name, Metric(family.name, family.documentation, family.type))
                for sample in family.samples:
                    into.add_sample(sample.name, {"database": name, **sample.labels}, sample.value)
        yield from merged.values()


def fleet_metrics_registry(
    members: tuple[Member, ...], throttle: ThrottleSettings, gates: ReadinessSettings
) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(FleetCollector(members, throttle, gates))
    return registry


def _member_collector(member: Member, throttle: ThrottleSettings, gates: ReadinessSettings) -> Collector:
    try:
        url = member.url()
    except SettingError as error:
        return _Unreadable(str(error))
    # No pool: a fleet of hundreds would keep a connection open on its servers for every member.
    return ConsoleCollector(create_engine_for(url, poolclass=NullPool), throttle, gates)


class _Unreadable(Collector):
    """A member whose connection setting cannot be used: `up` 0 on every scrape."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def collect(self) -> Iterator[Metric]:
        metric = Metric(f"{PREFIX}_up", "1 when the last scrape read the database, else 0", "gauge")
        metric.add_sample(f"{PREFIX}_up", {}, 0)
        yield metric
