"""The metrics endpoint: Prometheus text over HTTP, each scrape read afresh from the database."""

from prometheus_client import CollectorRegistry
from sqlalchemy import Engine

from lib.finish.readiness import ReadinessSettings
from lib.jobs.throttle import ThrottleSettings
from lib.metrics.collector import ConsoleCollector


def metrics_registry(
    engine: Engine, throttle: ThrottleSettings, gates: ReadinessSettings
) -> CollectorRegistry:
    """A registry holding the console's collector alone: no process or Python metrics, which
    describe the exporter rather than the migration."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ConsoleCollector(engine, throttle, gates))
    return registry
