"""`python -m ui.serve [streamlit run options]`: the console as scripts/console serves it.

It opens the database first and says each step in the terminal (the embedded server starting,
the demo loading, the migrations), so that the first page opens at once, and starts the background
jobs, so that the readiness evidence is taken before anyone visits; then Streamlit serves app.py in
this process, keeping the embedded server attached, and prints the console's URL.
"""

import sys

from streamlit.web import cli

from lib.background.jobs import start_background_jobs
from lib.db.settings import PROJECT_ROOT
from lib.demo.startup import open_console_database
from lib.errors import SetupError


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def main() -> None:
    try:
        start_background_jobs(open_console_database(say))
    except SetupError as error:
        # The pages show it too, and try again while the console runs; the first page starts the jobs.
        say(f"The database is not ready: {error}")
    say("Starting the console…")
    sys.argv = ["streamlit", "run", str(PROJECT_ROOT / "app.py"), *sys.argv[1:]]
    cli.main()


if __name__ == "__main__":
    main()
