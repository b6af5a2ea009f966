"""`python -m ui.serve [--fleet-demo N] [streamlit run options]`: the console as scripts/console
serves it.

It opens the database first and says each step in the terminal (the embedded server starting,
the demo loading, the migrations), so that the first page opens at once, and starts the background
jobs, so that the readiness evidence is taken before anyone visits; then Streamlit serves app.py in
this process, keeping the embedded server attached, and prints the console's URL.

With a fleet and the embedded database, the console also runs a worker of the fleet's task queue
(docs/fleet.md): no other process is needed for a rollout. `--fleet-demo N` builds a demo fleet of
N members on two embedded servers and serves it.
"""

import os
import sys
import threading

from streamlit.web import cli

from lib.background.jobs import start_background_jobs
from lib.db.settings import PROJECT_ROOT, configured_database_url
from lib.demo.startup import open_console_database
from lib.errors import SetupError
from lib.fleet.members import FLEET_SETTING, fleet_file

FLEET_DEMO = "--fleet-demo"


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> None:
    arguments = sys.argv[1:]
    if FLEET_DEMO in arguments:
        at = arguments.index(FLEET_DEMO)
        count = arguments[at + 1] if at + 1 < len(arguments) else ""
        if not count.isdigit() or int(count) < 1:
            sys.exit(f"error: {FLEET_DEMO} takes a number of members, at least 1; got {count!r}.")
        del arguments[at : at + 2]
        from lib.demo.fleet import build_demo_fleet

        os.environ[FLEET_SETTING] = str(build_demo_fleet(int(count), say))
    try:
        start_background_jobs(open_console_database(say))
        start_fleet_worker()
    except SetupError as error:
        # The pages show it too, and try again while the console runs; the first page starts the jobs.
        say(f"The database is not ready: {error}")
    say("Starting the console…")
    sys.argv = ["streamlit", "run", str(PROJECT_ROOT / "app.py"), *arguments]
    cli.main()


def start_fleet_worker() -> None:
    """With a fleet and the embedded database, a worker of the fleet's queue in this process."""
    if fleet_file() is None or configured_database_url() is not None:
        return
    from lib.fleet.control import control_engine
    from lib.fleet.queue import run_worker

    control = control_engine()
    threading.Thread(
        target=run_worker, args=(control,), kwargs={"install_signal_handlers": False}, daemon=True
    ).start()
    say("The fleet's task queue has a worker in this process: a rollout needs nothing else.")


if __name__ == "__main__":
    main()
