"""A third migrated table is one registry line and one revision: in a copy of the repository,
crm_leads is added to lib/registry.MIGRATED_TABLES and tests/support/third_table/crm_leads_revision.py
to the revisions, on top of head; then the backfill, verify, the export, the metrics, readiness and
every page cover it (tests/support/third_table/check.py, run in the copy)."""

import re
import shutil
import subprocess
import sys

import pytest

from lib.db.schema import head_revision
from lib.db.settings import PROJECT_ROOT
from tests.support.cli import url_of

REGISTRY_LINE = 'MIGRATED_TABLES = ("crm_accounts", "crm_opportunities")'
REVISION = PROJECT_ROOT / "tests" / "support" / "third_table" / "crm_leads_revision.py"


def copy_of_the_repository(folder):
    tracked = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, tracked):
        source = PROJECT_ROOT / name
        if source.is_file():
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, folder / name)
    return folder


@pytest.mark.slow
def test_a_third_table_is_one_registry_line_and_one_revision_and_every_part_covers_it(empty_db, tmp_path):
    copy = copy_of_the_repository(tmp_path / "repository")
    registry = copy / "lib" / "registry.py"
    source = registry.read_text()
    assert source.count(REGISTRY_LINE) == 1, "the registry's line of migrated tables has changed"
    registry.write_text(source.replace(REGISTRY_LINE, REGISTRY_LINE[:-1] + ', "crm_leads")'))
    revision = re.sub(
        r"^down_revision = .*$", f'down_revision = "{head_revision()}"', REVISION.read_text(), flags=re.M
    )
    (copy / "migrations" / "versions" / "0062_crm_leads.py").write_text(revision)

    checked = subprocess.run(
        [sys.executable, "-m", "tests.support.third_table.check", url_of(empty_db)],
        cwd=copy,
        capture_output=True,
        text=True,
        timeout=540,
    )
    print(checked.stdout)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "page finish renders" in checked.stdout
