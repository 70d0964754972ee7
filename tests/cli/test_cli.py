"""The command line as operators and scripts use it: chat with piped input, ask --json, kb check, calendar, staff, cases."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run(args: list[str], *, stdin: str = "", env: dict | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("CONSULT_")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, capture_output=True, text=True, env=environment, cwd=cwd or ROOT, timeout=120
    )


@pytest.fixture
def db_env(tmp_path) -> dict:
    return {"CONSULT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"}


def test_chat_with_piped_input_answers_each_line_and_numbers_pick_choices(db_env):
    result = run(["chat"], stdin="你好\n办健康证要带什么东西\n许可证怎么办\n1\n", env=db_env)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "1. 办事指南" in out and "（回复数字选择）" in out
    assert "【从业人员健康证明办理】一次性告知" in out
    assert out.count("】一次性告知") == 2, "the number picked the first offered procedure"


def test_ask_json_batch_one_object_a_line():
    result = run(["ask", "-", "--json"], stdin="办健康证要带什么东西\n今天天气怎么样\n转人工\n")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(x["intent"], x["id"], x["confident"]) for x in lines] == [
        ("procedure", "health-certificate", True),
        ("unknown", None, False),
        ("handoff", None, False),
    ]
    assert all(set(x) >= {"intent", "id", "score", "confident", "alternatives"} for x in lines)


def test_kb_check_reports_file_field_problem_and_exits_1(tmp_path):
    (tmp_path / "procedures").mkdir()
    (tmp_path / "procedures" / "bad.yaml").write_text("id: bad\ntitle: 坏文件\nkeywords: []\n", encoding="utf-8")
    result = run(["kb", "check", "--knowledge", str(tmp_path)])
    assert result.returncode == 1
    assert f"{tmp_path.name}/procedures/bad.yaml: department: required field is missing" in result.stdout
    good = run(["kb", "check"])
    assert good.returncode == 0 and good.stdout.startswith("ok: ")


def test_calendar_due_honours_holidays_and_flags_unknown_years():
    assert run(["calendar", "due", "2026-09-30", "--days", "1"]).stdout.strip() == "2026-10-08"
    assert run(["calendar", "due", "2026-02-13", "--days", "1"]).stdout.strip() == "2026-02-14"
    unknown = run(["calendar", "due", "2027-03-01", "--days", "3"])
    assert unknown.returncode == 1 and "2027" in unknown.stderr and "workdays.yaml" in unknown.stderr


def test_staff_add_then_cases_list_and_show_json_with_masked_data(db_env):
    assert run(["staff", "add", "--name", "李明", "--role", "staff", "--department", "投诉科"], env=db_env).returncode == 0
    duplicate = run(["staff", "add", "--name", "李明", "--role", "staff"], env=db_env)
    assert duplicate.returncode == 1 and "exists already" in duplicate.stderr
    chat = run(["chat"], stdin="我要投诉\n窗口人员态度恶劣，还骂人\n跳过\n13812345678\n确认\n", env=db_env)
    assert "TS-" in chat.stdout
    listing = json.loads(run(["cases", "list", "--json"], env=db_env).stdout)
    assert len(listing) == 1
    case = listing[0]
    assert case["type"] == "complaint" and case["status"] == "new" and case["phone"] == "138****5678"
    assert case["due_at"].endswith("+08:00") and case["created_at"].endswith("+08:00")
    taken = run(["cases", "take", case["number"], "--as", "李明"], env=db_env)
    assert taken.returncode == 0, taken.stderr
    shown = json.loads(run(["cases", "show", case["number"].lower(), "--json"], env=db_env).stdout)
    assert shown["owner"] == "李明" and [h["action"] for h in shown["history"]] == ["opened", "taken"]
    assert "13812345678" not in json.dumps(shown, ensure_ascii=False)
    refused = run(["cases", "take", case["number"], "--as", "路人"], env=db_env)
    assert refused.returncode == 1 and "不是已登记的工作人员" in refused.stderr


def test_kb_gaps_lists_what_chat_could_not_answer_and_ask_records_nothing(db_env):
    run(["ask", "医院门头能写专治吗"], env=db_env)
    empty = run(["kb", "gaps", "--json"], env=db_env)
    assert empty.returncode == 0, empty.stderr
    assert json.loads(empty.stdout) == []
    run(["chat"], stdin="你好\n医院门头能写专治吗 13812345678\n医院门头能写专治吗？13812345678\n", env=db_env)
    [gap] = json.loads(run(["kb", "gaps", "--json", "--since", "2000-01-01"], env=db_env).stdout)
    assert gap["count"] == 2 and "138****5678" in gap["text"] and gap["status"] == "open"
    assert set(gap) >= {"id", "text", "count", "first_seen", "last_seen"}
    assert json.loads(run(["kb", "gaps", "--json", "--since", "2999-01-01"], env=db_env).stdout) == []
    text = run(["kb", "gaps"], env=db_env).stdout
    assert "医院门头能写专治吗" in text and "13812345678" not in text
