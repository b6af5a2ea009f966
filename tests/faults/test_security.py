"""The security review's claims, each tested (docs/RELIABILITY.md lists them):

- no password of a connection string is ever shown, printed or logged;
- SQL text in the product is never formatted with values: names written into DDL are quoted;
- the audit log is append-only, even for the console's own role and for the table's owner;
- Streamlit's XSRF protection stays on;
- no secret is committed.
"""

import ast
import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from lib.db.settings import PROJECT_ROOT
from tests.support.cli import cli
from tests.support.faults import record
from tests.support.pages import PAGES

PASSWORD = "S3cret-pa55word"
PRODUCT_CODE = [
    *sorted((PROJECT_ROOT / "lib").rglob("*.py")),
    *sorted((PROJECT_ROOT / "app_pages").glob("*.py")),
    *sorted((PROJECT_ROOT / "ui").glob("*.py")),
    PROJECT_ROOT / "app.py",
]
AUDIT_ENTRY = (
    "INSERT INTO migration_ops.audit_log (actor, actor_source, role, action, outcome) "
    "VALUES ('ops.lead', 'proxy', 'operator', 'backfill', 'started')"
)
SQL_WORDS = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|ANALYZE|TRUNCATE|GRANT|LOCK|SET|WHERE)\b"
)
# The one way to write a name into SQL text from Python.
QUOTING = "identifier"


def formatted_sql(source: str) -> list[str]:
    """SQL text built by formatting, each as 'line: snippet'. An f-string may interpolate only
    names quoted by identifier(); %-formatting, .format() and + are never used on SQL text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.JoinedStr):
            literal = "".join(part.value for part in node.values if isinstance(part, ast.Constant))
            unquoted = [
                part
                for part in node.values
                if isinstance(part, ast.FormattedValue)
                and not (isinstance(part.value, ast.Call) and getattr(part.value.func, "id", None) == QUOTING)
            ]
            if SQL_WORDS.search(literal) and unquoted:
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Mod, ast.Add)):
            sides = (node.left, node.right)
            if any(isinstance(side, ast.Constant) and SQL_WORDS.search(str(side.value)) for side in sides):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "format":
            target = node.func.value
            if isinstance(target, ast.Constant) and SQL_WORDS.search(str(target.value)):
                found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_sql_in_the_product_is_formatted_with_values():
    offenders = {
        str(path.relative_to(PROJECT_ROOT)): found
        for path in PRODUCT_CODE
        if (found := formatted_sql(path.read_text(encoding="utf-8")))
    }
    assert offenders == {}
    record("Security: product files checked for formatted SQL", len(PRODUCT_CODE))


@pytest.mark.parametrize(
    "snippet",
    [
        "connection.execute(text(f\"SELECT * FROM crm_accounts WHERE owner_username = '{name}'\"))",
        "connection.exec_driver_sql(f'ALTER TABLE {table} DISABLE TRIGGER {name}')",
        'connection.execute(text("SELECT * FROM app_users WHERE id = %s" % user_id))',
        'connection.execute(text("DELETE FROM app_users WHERE id = {}".format(user_id)))',
        'connection.execute(text("SELECT * FROM app_users WHERE username = \'" + name + "\'"))',
    ],
)
def test_the_check_catches_each_way_of_formatting_sql(snippet):
    assert formatted_sql(snippet)


def test_a_quoted_name_and_a_bound_parameter_pass_the_check():
    assert not formatted_sql("connection.exec_driver_sql(f'ANALYZE {identifier(table)}')")
    assert not formatted_sql("connection.execute(text('SELECT 1 WHERE :a = 1'), {'a': value})")


def with_password(engine) -> str:
    # The embedded server trusts its local socket: the password is carried, never checked.
    return engine.url.set(password=PASSWORD).render_as_string(hide_password=False)


def test_no_password_appears_in_the_cli_output_or_alembics_log(demo_db):
    outputs = [cli(command, database_url=with_password(demo_db)) for command in ("status", "preflight")]
    unreachable = "postgresql://app:" + PASSWORD + "@127.0.0.1:1/crm"
    outputs.append(cli("status", database_url=unreachable))
    outputs.append(
        subprocess.run(
            [sys.executable, "-m", "alembic", "current"],
            cwd=PROJECT_ROOT,
            env={"DATABASE_URL": with_password(demo_db), "PATH": "/usr/bin:/bin"},
            capture_output=True,
            text=True,
            check=False,
        )
    )
    assert outputs[0].returncode == 0 and "Cannot connect to crm on 127.0.0.1:1" in outputs[2].stderr
    for result in outputs:
        assert PASSWORD not in result.stdout + result.stderr


@pytest.mark.parametrize("page", PAGES)
def test_no_password_appears_on_any_page(console, demo_db, page):
    app = console(with_password(demo_db), page)
    assert not app.exception
    assert "Database" in every_text(app.sidebar)
    assert PASSWORD not in every_text(app._tree)
    assert PASSWORD not in every_text(
        console("postgresql://app:" + PASSWORD + "@127.0.0.1:1/crm", page)._tree
    )


def every_text(node) -> str:
    """Everything an AppTest page holds, as the protobuf text of each element."""
    own = str(getattr(node, "proto", ""))
    return own + "".join(every_text(child) for child in getattr(node, "children", {}).values())


def test_the_audit_log_is_append_only_for_the_consoles_role_and_for_its_owner(demo_db):
    role = f"console_{uuid.uuid4().hex[:8]}"
    with demo_db.connect() as connection:
        connection.execute(text(AUDIT_ENTRY))
        connection.exec_driver_sql(f"CREATE ROLE {role}")
        connection.exec_driver_sql(f"GRANT USAGE ON SCHEMA migration_ops TO {role}")
        connection.exec_driver_sql(f"GRANT ALL ON ALL TABLES IN SCHEMA migration_ops TO {role}")
        connection.commit()
        try:
            refused = []
            for owner in (False, True):
                if owner:
                    connection.exec_driver_sql(f"ALTER TABLE migration_ops.audit_log OWNER TO {role}")
                connection.exec_driver_sql(f"SET ROLE {role}")
                for statement in (
                    "UPDATE migration_ops.audit_log SET actor = 'someone else'",
                    "DELETE FROM migration_ops.audit_log",
                    "TRUNCATE migration_ops.audit_log",
                ):
                    with pytest.raises(DBAPIError, match="append-only"), connection.begin_nested():
                        connection.exec_driver_sql(statement)
                    refused.append(statement)
                connection.execute(text(AUDIT_ENTRY))  # appending stays allowed
                connection.exec_driver_sql("RESET ROLE")
                connection.rollback()
            assert connection.execute(text("SELECT count(*) FROM migration_ops.audit_log")).scalar_one() == 1
        finally:
            connection.rollback()
            connection.exec_driver_sql(f"DROP OWNED BY {role}")
            connection.exec_driver_sql(f"DROP ROLE {role}")
            connection.commit()
    record("Security: audit log changes refused (console role, then owner)", len(refused))


def test_streamlits_xsrf_protection_stays_on():
    effective = subprocess.run(
        [sys.executable, "-c", "from streamlit import config; "
         "print(config.get_option('server.enableXsrfProtection'), config.get_option('server.enableCORS'))"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert effective == ["True", "True"]
    launchers = [PROJECT_ROOT / "scripts" / "console", PROJECT_ROOT / "tests" / "support" / "console.py"]
    assert not [path for path in launchers if "enableXsrfProtection" in path.read_text()]


# A connection string with a real-looking password: user:secret@host.
PASSWORD_URL = re.compile(r"postgres(?:ql)?(?:\+\w+)?://[^:/@\s\"']+:([^@\s\"']+)@")
# The placeholders that documentation and tests use on purpose.
PLACEHOLDER_PASSWORDS = {"password", "pw", "s3cret"}


def test_no_secret_is_committed():
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    ).stdout.split("\0")
    names = [Path(path).name for path in tracked if path]
    assert not [name for name in names if name in ("secrets.toml", ".env") or name.endswith((".pem", ".key"))]
    passwords = {
        (path, match)
        for path in tracked
        if path and (PROJECT_ROOT / path).is_file() and not path.endswith(".png")
        for match in PASSWORD_URL.findall((PROJECT_ROOT / path).read_text(encoding="utf-8", errors="replace"))
    }
    assert {(path, match) for path, match in passwords if match not in PLACEHOLDER_PASSWORDS} == set()
    ignored = (PROJECT_ROOT / ".gitignore").read_text()
    assert ".streamlit/secrets.toml" in ignored and ".env" in ignored and ".data/" in ignored
    record("Security: tracked files checked for secrets", len(names))
