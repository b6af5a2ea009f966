"""The kept coverage counts equal the playbook's step-3 scan in every committed state, while
pgbench writes through both paths from two connections: legacy updates and inserts by username
(some unresolvable, some blank), new-path updates by id, cleared owners, updates of other columns
and deletes."""

import subprocess

from sqlalchemy import text

from bench.measures import PGBENCH
from lib.coverage.counts import scanned_coverage, table_coverage
from lib.db.settings import PROJECT_ROOT

WRITES = """\\set id random(1, :accounts)
\\set user_id random(1, :users)
\\set pick random(1, 8)
\\if :pick = 1
UPDATE crm_accounts
  SET owner_username = (SELECT username FROM app_users WHERE id >= :user_id ORDER BY id LIMIT 1)
  WHERE id = :id;
\\elif :pick = 2
UPDATE crm_accounts SET owner_username = 'nobody.' || :id WHERE id = :id;
\\elif :pick = 3
UPDATE crm_accounts SET owner_username = '  ' WHERE id = :id;
\\elif :pick = 4
UPDATE crm_accounts
  SET owner_user_id = (SELECT id FROM app_users WHERE id >= :user_id ORDER BY id LIMIT 1)
  WHERE id = :id;
\\elif :pick = 5
UPDATE crm_accounts SET owner_user_id = NULL WHERE id = :id;
\\elif :pick = 6
UPDATE crm_accounts SET name = 'renamed' WHERE id = :id;
\\elif :pick = 7
INSERT INTO crm_accounts (name, owner_username)
  VALUES ('bench', (SELECT username FROM app_users WHERE id >= :user_id ORDER BY id LIMIT 1));
\\else
DELETE FROM crm_accounts AS a
  WHERE a.id = :id AND NOT EXISTS (SELECT 1 FROM crm_opportunities AS o WHERE o.account_id = a.id);
\\endif
"""


def test_the_kept_counts_equal_the_scan_after_every_commit_of_two_pgbench_clients(demo_db, tmp_path):
    script = tmp_path / "writes.sql"
    script.write_text(WRITES)
    with demo_db.connect() as connection:
        accounts, users = connection.execute(
            text("SELECT (SELECT max(id) FROM crm_accounts), (SELECT max(id) FROM app_users)")
        ).one()
    url = demo_db.url
    pgbench = subprocess.Popen(
        [str(PGBENCH), "-n", "-c", "2", "-t", "1500", "-f", str(script),
         f"-Daccounts={accounts}", f"-Dusers={users}",
         "-h", url.query["host"], "-U", url.username, url.database],
        cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    states = []
    with demo_db.connect().execution_options(isolation_level="REPEATABLE READ") as connection:
        while pgbench.poll() is None or not states:
            # One snapshot: the counts and the scan see the same committed writes.
            states.append((table_coverage(connection), scanned_coverage(connection)))
            connection.rollback()
        states.append((table_coverage(connection), scanned_coverage(connection)))
    out, err = pgbench.communicate()
    assert pgbench.returncode == 0, err
    assert "number of failed transactions: 0" in out
    assert len(states) > 2
    assert [kept for kept, _ in states] == [scanned for _, scanned in states]
