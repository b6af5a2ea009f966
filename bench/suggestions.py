"""`python -m bench.suggestions`: the time to compute owner suggestions for 1k and for 10k distinct
unresolved usernames over 100k users, side by side, on an embedded PostgreSQL in .data/bench;
and, at 10k, what a Remediation rerun that reuses them pays instead (the fingerprint query).

The usernames are the demo's kinds at scale: typos, other punctuation, e-mail names, and
deleted users, each written on one account row.
"""

import argparse
import random
import time

from sqlalchemy import text

from bench.__main__ import DATA_DIR
from lib.aliases.suggestions import remediation_inputs, unresolved_names
from lib.db.database import create_engine_for, recreate_database
from lib.db.embedded import start_embedded_server
from lib.demo.generator import load_demo, make_users

DATABASE = "bench_suggestions"


def unresolved_usernames(rng: random.Random, users, count: int) -> list[str]:
    names: set[str] = set()
    while len(names) < count:
        username, kind = rng.choice(users.case_unique), len(names) % 4
        if kind == 0:
            position = rng.randrange(len(username))
            names.add(username[:position] + username[position + 1 :] + "x")
        elif kind == 1:
            names.add(username.replace(".", " "))
        elif kind == 2:
            first, _, rest = username.partition(".")
            names.add(first[:1] + rest)
        else:
            names.add(rng.choice(users.deleted))
    return sorted(names)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.suggestions", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--names", type=int, default=10_000)
    args = parser.parse_args()
    engine = create_engine_for(recreate_database(start_embedded_server(DATA_DIR), DATABASE))
    with engine.connect() as connection:
        load_demo(connection, 1_000, 0, user_count=args.users)
    # The same users load_demo made, so that the names are theirs.
    users = make_users(random.Random(38), args.users)
    names = unresolved_usernames(random.Random(7), users, args.names)
    small = names[: args.names // 10]
    timings = {}
    for batch in (small, names[len(small) :]):
        with engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO crm_accounts (name, owner_username) "
                    "SELECT 'bench', unnest(CAST(:names AS text[]))"
                ),
                {"names": batch},
            )
            connection.execute(text("ANALYZE"))
        with engine.connect() as connection:
            started = time.perf_counter()
            found = unresolved_names(connection)
            timings[len(found)] = time.perf_counter() - started
    (few, few_seconds), (many, many_seconds) = timings.items()
    with engine.connect() as connection:
        remediation_inputs(connection)  # a warm plan, as on a page that has run before
        started = time.perf_counter()
        remediation_inputs(connection)
        reuse_seconds = time.perf_counter() - started
    print(f"{args.users:,} users")
    print(f"{few:,} unresolved usernames: {few_seconds:.2f} s")
    print(f"{many:,} unresolved usernames: {many_seconds:.2f} s")
    print(f"{many / few:.1f}x the usernames took {many_seconds / few_seconds:.1f}x the time")
    print(
        f"a rerun that reuses them checks the fingerprint in {reuse_seconds * 1000:.2f} ms, "
        f"1/{many_seconds / reuse_seconds:,.0f} of computing them for {many:,}"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
