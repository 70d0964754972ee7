"""`cases show NUMBER [--json]` carries the case's conversation: citizen, bot, staff and internal notes, masked."""

from __future__ import annotations

import json

from tests.cli.test_cli import db_env, run


def test_cases_show_lists_the_conversation_with_notes_marked_internal(db_env):
    assert run(["staff", "add", "--name", "李明", "--role", "staff"], env=db_env).returncode == 0
    run(["chat"], stdin="人工服务\n", env=db_env)
    number = json.loads(run(["cases", "list", "--json"], env=db_env).stdout)[0]["number"]
    assert run(["cases", "reply", number, "请留下电话", "--as", "李明"], env=db_env).returncode == 0
    assert run(["cases", "note", number, "市民电话 13812345678", "--as", "李明"], env=db_env).returncode == 0
    shown = json.loads(run(["cases", "show", number, "--json"], env=db_env).stdout)
    sources = [m["from"] for m in shown["messages"]]
    assert {"citizen", "bot", "staff", "note", "system"} <= set(sources)
    assert set(shown["messages"][0]) == {"at", "from", "author", "text"}
    assert "13812345678" not in json.dumps(shown, ensure_ascii=False)
    text = run(["cases", "show", number], env=db_env).stdout
    assert "messages:" in text and "[note] 李明（内部备注）: 市民电话 138****5678" in text
