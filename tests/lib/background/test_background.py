"""The console's background jobs against a real database: a job that fails leaves the others running."""

import threading

from sqlalchemy import text

from lib.background.jobs import BackgroundJobs
from tests.support.polling import wait_for


def test_a_failing_job_leaves_the_next_one_running(db):
    done = threading.Event()

    def broken_query(connection):
        connection.execute(text("SELECT * FROM no_such_table"))

    def broken_code(connection):
        raise RuntimeError("a fault in a job")

    def counts_users(connection):
        connection.execute(text("SELECT count(*) FROM app_users")).scalar_one()
        done.set()

    jobs = BackgroundJobs(db, (broken_query, broken_code, counts_users))
    jobs.start()
    try:
        wait_for(done.is_set, "the job after two failing ones")
        assert jobs.is_alive()
    finally:
        jobs.stop()
        jobs.join(timeout=30)
    assert not jobs.is_alive()
