"""The metrics server in tests: started as the CLI starts it, scraped, and its scrape read."""

import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client.parser import text_string_to_metric_families

from lib.db.settings import PROJECT_ROOT
from tests.support.cli import url_of


@contextmanager
def metrics_endpoint(engine, *options: str) -> Iterator[str]:
    """`lib.cli metrics --port 0 [options]` on `engine`'s database; its URL, from the line it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "lib.cli", "metrics", "--port", "0", *options],
        cwd=PROJECT_ROOT,
        env={**os.environ, "DATABASE_URL": url_of(engine)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        assert line.startswith("serving metrics at "), line + process.stderr.read()
        yield line.removeprefix("serving metrics at ").strip()
    finally:
        process.terminate()
        assert process.wait(timeout=30) == 0, "SIGTERM did not end the metrics server cleanly"


def scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def samples(body: str) -> dict[tuple[str, frozenset], float]:
    """Every sample of the exposition text `body`, by (name, its labels)."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }
