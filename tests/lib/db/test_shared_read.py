"""Expensive reads that any visitor can start: one computation at a time per database, and the
result reused by everyone while it is young enough."""

import threading

from sqlalchemy import Connection, text

from lib.db.shared_read import SharedRead
from tests.support.polling import wait_for


class GatedRead:
    """A read that counts its calls and the ones running at once, and waits for `go` to finish."""

    def __init__(self):
        self.calls = self.running = self.most_at_once = 0
        self.go, self.lock = threading.Event(), threading.Lock()

    def __call__(self, connection: Connection) -> int:
        with self.lock:
            self.calls += 1
            self.running += 1
            self.most_at_once = max(self.most_at_once, self.running)
        self.go.wait(timeout=30)
        value = connection.execute(text("SELECT count(*) FROM crm_accounts")).scalar_one()
        with self.lock:
            self.running -= 1
        return value


def in_threads(*calls) -> list:
    results = [None] * len(calls)

    def run(index, call):
        results[index] = call()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    return threads, results


def waiting_on_the_advisory_lock(engine) -> bool:
    with engine.connect() as connection:
        return (
            connection.execute(
                text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted")
            ).scalar_one()
            == 1
        )


def test_callers_in_one_process_share_one_computation(demo_db):
    read = GatedRead()
    shared = SharedRead("test", read)
    threads, results = in_threads(*[lambda: shared.fetch(demo_db, 60)] * 3)
    wait_for(lambda: read.calls == 1, "the first caller to start the read")
    read.go.set()
    for thread in threads:
        thread.join()
    assert read.calls == 1 and len({id(result) for result in results}) == 1
    assert results[0].value == 2_000


def test_two_replicas_never_compute_at_once(demo_db):
    read = GatedRead()
    replicas = [SharedRead("test", read), SharedRead("test", read)]
    threads, _ = in_threads(*[lambda r=replica: r.fetch(demo_db, 60) for replica in replicas])
    wait_for(lambda: read.calls == 1 and waiting_on_the_advisory_lock(demo_db), "one replica to queue")
    read.go.set()
    for thread in threads:
        thread.join()
    assert (read.calls, read.most_at_once) == (2, 1)


def test_a_result_is_reused_while_young_enough_and_for_its_key_only(demo_db):
    read = GatedRead()
    read.go.set()
    shared = SharedRead("test", read)
    first = shared.fetch(demo_db, 60, key="before")
    assert shared.fetch(demo_db, 60, key="before") is first and read.calls == 1
    assert shared.fetch(demo_db, 0, key="before") is not first and read.calls == 2
    assert shared.fetch(demo_db, 60, key="after").key == "after" and read.calls == 3
    assert shared.latest("before") is None and shared.latest("after").value == 2_000
