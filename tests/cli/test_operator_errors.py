"""What an operator meets on day one: every configuration mistake is one clear line and a non-zero exit, never a traceback."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.cli.test_cli import ROOT, db_env, run


@pytest.mark.parametrize(
    ("setting", "says"),
    [
        ({"CONSULT_TIMEZONE": "Mars/Base"}, "environment: CONSULT_TIMEZONE: unknown time zone"),
        ({"CONSULT_DATABASE_URL": "garbage"}, "environment: CONSULT_DATABASE_URL: not a database URL"),
        ({"CONSULT_DATABASE_URL": "postgresql://u@127.0.0.1/x"}, "write postgresql+asyncpg://"),
        ({"CONSULT_DATABASE_URL": "sqlite:///x.db"}, "write sqlite+aiosqlite://"),
        ({"CONSULT_DATABASE_URL": "sqlite+aiosqlite:////nonexistent-consult/dir/x.db"}, "does not exist"),
        ({"CONSULT_DATABASE_URL": "postgresql+asyncpg://u@127.0.0.1:9/x"}, "database: cannot use postgresql+asyncpg://u@127.0.0.1:9/x"),
    ],
)
def test_a_bad_setting_is_one_clear_line(setting, says):
    result = run(["cases", "list"], env=setting)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and says in lines[0], result.stderr


def test_db_upgrade_says_what_it_did(db_env):
    first = run(["db", "upgrade"], env=db_env)
    second = run(["db", "upgrade"], env=db_env)
    assert first.stdout.startswith("created the schema at revision ")
    assert second.stdout.startswith("database already at revision ")


def test_a_reader_that_leaves_early_is_no_traceback(db_env):
    environment = {**db_env, "PATH": "/usr/bin:/bin"}
    pipeline = f"'{sys.executable}' -m bot report --json | head -c 10"
    result = subprocess.run(["bash", "-c", pipeline], capture_output=True, text=True, env=environment, cwd=ROOT, timeout=120)
    assert result.stdout.startswith("{")
    assert "Traceback" not in result.stderr and "BrokenPipe" not in result.stderr


def test_ask_json_prints_one_line_for_every_input_line_blank_ones_included():
    result = run(["ask", "-", "--json"], stdin="办健康证要带什么\n\n今天天气怎么样\n")
    assert len(result.stdout.splitlines()) == 3
