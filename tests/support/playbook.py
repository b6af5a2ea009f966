"""The playbook's SQL, read from the seed document itself."""

import re

from sqlalchemy import Connection, text

from lib.db.settings import PROJECT_ROOT
from lib.registry import MIGRATED_TABLES

SEED_DIR = PROJECT_ROOT.parent / "shared" / "seed"
PLAYBOOKS = ("owner-fk-playbook.ru.md", "owner-fk-playbook.en.md")


def playbook_sql_blocks(name: str = PLAYBOOKS[0]) -> list[str]:
    """Every ```sql block of the playbook, verbatim. The Russian original is the reference."""
    path = SEED_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"the playbook is expected at {path}, with shared/ beside the project")
    return re.findall(r"```sql\n(.*?)```", path.read_text(encoding="utf-8"), flags=re.DOTALL)


def playbook_coverage(connection: Connection, table: str) -> tuple:
    """(total_legacy, resolved_fk, resolved_pct) of `table` by the playbook's step-3 query."""
    # Step 3 is written for crm_accounts and "repeated for crm_opportunities".
    step3 = next(block for block in playbook_sql_blocks() if "resolved_pct" in block)
    return tuple(connection.execute(text(step3.replace("FROM crm_accounts", f"FROM {table}"))).one())


def coverage_by_the_playbook(engine) -> dict[str, str]:
    """Each table's resolved_pct as the playbook's step-3 SQL gives it, as the pages print it."""
    with engine.connect() as connection:
        return {table: f"{playbook_coverage(connection, table)[2]}%" for table in MIGRATED_TABLES}
