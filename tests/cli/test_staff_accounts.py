"""Desk accounts from the command line: `staff password` (piped and on a terminal), `staff disable|enable`, no nameless staff."""

from __future__ import annotations

import io
import sqlite3

from argon2 import PasswordHasher

from bot.cli import staff as staff_cli
from tests.cli.test_cli import db_env, run


def _db(env: dict) -> str:
    return env["CONSULT_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")


def test_staff_add_refuses_an_empty_name(db_env):
    for name in ("", "   "):
        refused = run(["staff", "add", "--name", name, "--role", "staff"], env=db_env)
        assert refused.returncode == 2 and "--name: must not be empty" in refused.stderr


def test_staff_password_piped_sets_an_argon2_hash_and_is_audited_without_the_password(db_env):
    assert run(["staff", "add", "--name", "李明", "--role", "staff"], env=db_env).returncode == 0
    result = run(["staff", "password", "李明"], stdin="correct horse 42\n", env=db_env)
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(_db(db_env)) as db:
        (stored,) = db.execute("SELECT hash FROM desk_passwords").fetchone()
        details = " ".join(row[0] for row in db.execute("SELECT detail FROM audit_events"))
    assert stored.startswith("$argon2") and PasswordHasher().verify(stored, "correct horse 42")
    assert "correct horse" not in details and "correct horse" not in result.stdout + result.stderr


def test_staff_password_refuses_short_passwords_and_unknown_names(db_env):
    assert run(["staff", "add", "--name", "李明", "--role", "staff"], env=db_env).returncode == 0
    short = run(["staff", "password", "李明"], stdin="abc\n", env=db_env)
    assert short.returncode == 1 and "8" in short.stderr
    unknown = run(["staff", "password", "路人"], stdin="long enough pass\n", env=db_env)
    assert unknown.returncode == 1 and "路人" in unknown.stderr


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_password_is_asked_twice_and_must_match(monkeypatch):
    answers = iter(["first-password", "first-password", "one-thing", "another"])
    monkeypatch.setattr(staff_cli.getpass, "getpass", lambda prompt: next(answers))
    assert staff_cli.read_new_password(_Terminal()) == "first-password"
    assert staff_cli.read_new_password(_Terminal()) is None
    assert staff_cli.read_new_password(io.StringIO("piped-password\nignored\n")) == "piped-password"


def test_disable_ends_sessions_and_flags_open_cases_enable_restores(db_env):
    assert run(["staff", "add", "--name", "李明", "--role", "staff"], env=db_env).returncode == 0
    run(["chat"], stdin="我要投诉\n窗口人员态度恶劣\n跳过\n跳过\n确认\n", env=db_env)
    with sqlite3.connect(_db(db_env)) as db:
        (number,) = db.execute("SELECT number FROM cases").fetchone()
    assert run(["cases", "take", number, "--as", "李明"], env=db_env).returncode == 0
    assert run(["staff", "password", "李明"], stdin="correct horse 42\n", env=db_env).returncode == 0
    with sqlite3.connect(_db(db_env)) as db:
        db.execute(
            "INSERT INTO desk_sessions (id, staff_id, csrf, created_at, last_seen_at, expires_at) "
            "VALUES ('s1', 1, 'c', '2026-01-01', '2026-01-01', '2099-01-01')"
        )
    disabled = run(["staff", "disable", "李明"], env=db_env)
    assert disabled.returncode == 0 and number in disabled.stdout
    with sqlite3.connect(_db(db_env)) as db:
        assert db.execute("SELECT active FROM staff").fetchone() == (0,)
        assert db.execute("SELECT count(*) FROM desk_sessions").fetchone() == (0,)
        assert db.execute("SELECT reason FROM desk_case_flags").fetchall() == [("assignee_disabled",)]
    refused = run(["cases", "reply", number, "hello", "--as", "李明"], env=db_env)
    assert refused.returncode == 1
    assert run(["staff", "enable", "李明"], env=db_env).returncode == 0
    with sqlite3.connect(_db(db_env)) as db:
        assert db.execute("SELECT active FROM staff").fetchone() == (1,)
