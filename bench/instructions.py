"""`python -m bench.instructions [--scale S]`: P3's client writes counted in CPU instructions.

pgbench's latencies on this machine move by ±20-40 µs from run to run, more than a trigger that is
never called costs. This counts instead the instructions that the server executes per statement,
which do not move at all between two runs of the same arm: each arm runs in a single-user backend
(`postgres --single`, no client, no socket) under valgrind's cachegrind, once with a warm-up only
and once with the warm-up and N more statements, on a fresh copy of one data folder; the
difference over N is the figure. Every layer of the write path is switched on one at a time, as
in P3.

It needs valgrind (Debian's `valgrind`). A server-side instruction costs about the same on every
write, but a pgbench transaction also pays its client and its commit: see docs/PERFORMANCE.md for
how the two relate.
"""

import argparse
import os
import pwd
import random
import re
import shutil
import subprocess
import sys

from bench.dataset import build_template, copy_of_template
from bench.measures import BULK_ROWS, CLIENT_WRITES, WRITE_PATH_LAYERS, enabling_only
from lib.db.database import create_engine_for
from lib.db.embedded import EMBEDDED_BIN, start_embedded_server
from lib.db.settings import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / ".data" / "instructions"
RUN_DIR = PROJECT_ROOT / ".data" / "instructions-run"
DATABASE = "instructions"
# The bulk write under valgrind: a tenth of P3's, reported per row.
BULK = BULK_ROWS // 10
# (d) as the sync trigger leaves it, written by the client with no trigger on: the id's foreign-key
# check and index entries that no trigger can spare it, so the floor of any write path.
BULK_WITH_ID = """\\set start random(1, :accounts - :bulk)
\\set user_id random(1, :users)
UPDATE crm_accounts
  SET owner_username = (SELECT username FROM app_users WHERE id >= :user_id ORDER BY id LIMIT 1),
      owner_user_id = (SELECT id FROM app_users WHERE id >= :user_id ORDER BY id LIMIT 1)
  WHERE id BETWEEN :start AND :start + :bulk - 1;
"""


def build(scale: float) -> None:
    """The backfilled copy that every arm starts from, in DATA_DIR, and its accounts and users on
    stdout; the server stops when this process exits."""
    server = start_embedded_server(DATA_DIR)
    dataset = build_template(server, scale)
    engine = create_engine_for(copy_of_template(server, DATABASE))
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("SELECT run_owner_backfill()")
        connection.exec_driver_sql("DROP DATABASE IF EXISTS bench_template")
        connection.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    print(dataset.accounts, dataset.users)


def statements(script: str, defines: dict[str, int], count: int, rng: random.Random) -> list[str]:
    """`count` transactions of a pgbench script, each as one line, its `\\set` values drawn."""
    lines = []
    for _ in range(count):
        values = dict(defines)
        sql = []
        for line in script.splitlines():
            if line.startswith("\\set "):
                _, name, expression = line.split(maxsplit=2)
                low, high = expression.removeprefix("random(").removesuffix(")").split(",")
                values[name] = rng.randint(_evaluate(low, values), _evaluate(high, values))
            else:
                sql.append(re.sub(r":(\w+)", lambda match, drawn=values: str(drawn[match.group(1)]), line))
        lines.append(" ".join(sql))
    return lines


def _evaluate(expression: str, values: dict[str, int]) -> int:
    """An integer sum or difference of numbers and `:names`, as the scripts' bounds are."""
    total, sign = 0, 1
    for token in expression.replace("-", " - ").replace("+", " + ").split():
        if token in "+-":
            sign = 1 if token == "+" else -1
        else:
            total += sign * (values[token[1:]] if token.startswith(":") else int(token))
    return total


def instructions(setup: list[str], lines: list[str]) -> int:
    """The instructions a single-user backend executes for `setup` and `lines`, on a fresh copy."""
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    shutil.copytree(DATA_DIR, RUN_DIR, symlinks=True)
    owner = DATA_DIR.stat().st_uid
    os.chown(RUN_DIR, owner, -1)
    for path in RUN_DIR.rglob("*"):
        os.lchown(path, owner, -1)
    for stale in ("postmaster.pid", ".handle_pids.json"):
        (RUN_DIR / stale).unlink(missing_ok=True)
    # As root, the embedded server's files belong to the system user it created.
    as_owner = ["runuser", "-u", pwd.getpwuid(owner).pw_name, "--"] if os.geteuid() == 0 else []
    command = [*as_owner, "valgrind", "--tool=cachegrind", "--cache-sim=no",
               "--cachegrind-out-file=/dev/null", str(EMBEDDED_BIN / "postgres"),
               "--single", "-D", str(RUN_DIR),
               "-c", "synchronous_commit=off", "-c", "autovacuum=off", DATABASE]  # fmt: skip
    session = "\n".join([";".join(setup), *lines]) + "\n"
    answer = subprocess.run(command, input=session, capture_output=True, text=True)
    output = answer.stdout + answer.stderr
    if "ERROR:" in output:
        raise SystemExit(output[output.index("ERROR:") :][:500])
    return int(re.search(r"I\s+refs:\s+([\d,]+)", answer.stderr).group(1).replace(",", ""))


def per_statement(
    triggers: list[str], script: str, defines: dict[str, int], warm_up: int, measured: int
) -> float:
    """The instructions of one transaction of `script`, past `warm_up`, with only `triggers` on."""
    lines = statements(script, defines, warm_up + measured, random.Random(20261202))
    setup = enabling_only(triggers)
    return (instructions(setup, lines) - instructions(setup, lines[:warm_up])) / measured


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.05, help="the dataset's scale (default 0.05)")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.build_only:
        build(arguments.scale)
        return
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.instructions needs valgrind (apt-get install valgrind).")
    # In a process of its own, whose exit stops the server: a single-user backend needs it down.
    build_command = [sys.executable, "-m", "bench.instructions", "--build-only", f"--scale={arguments.scale}"]
    built = subprocess.run(build_command, cwd=PROJECT_ROOT, check=True, capture_output=True, text=True)
    accounts, users = map(int, built.stdout.split()[-2:])
    defines = {"accounts": accounts, "users": users, "bulk": BULK}
    arms, on = {"none": []}, []
    for layer, triggers in WRITE_PATH_LAYERS.items():
        on = on + triggers
        arms[f"+ {layer}"] = on
    print(f"server-side instructions, {accounts:,} accounts; each layer added to those above it")
    for key, write in CLIENT_WRITES.items():
        warm_up, measured = (1, 2) if write.rows is None else (30, 100)
        per_row = BULK if write.rows is None else 1
        base = None
        unit = "per row" if per_row > 1 else "per transaction"
        for arm, triggers in arms.items():
            count = per_statement(triggers, write.script, defines, warm_up, measured) / per_row
            base = base or count
            print(f"({key}) {arm:20s} {count / 1000:9.1f}k {unit}  {count / base:.2f}x", flush=True)
        if write.rows is None:
            count = per_statement([], BULK_WITH_ID, defines, warm_up, measured) / per_row
            print(f"({key}) {'none, id set too':20s} {count / 1000:9.1f}k {unit}  {count / base:.2f}x")
    shutil.rmtree(RUN_DIR, ignore_errors=True)


if __name__ == "__main__":
    main()
