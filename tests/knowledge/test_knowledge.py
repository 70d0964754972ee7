"""The knowledge base: validation with precise errors, safe reloads, search behaviour on real questions."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.cli.ask import analyse
from knowledge.base import KnowledgeStore
from knowledge.format import format_procedure
from knowledge.loader import load_knowledge

KNOWLEDGE = Path(__file__).resolve().parents[2] / "knowledge"
REQUIRED_IDS = {
    "health-certificate",
    "public-place-hygiene-license",
    "public-place-license-renewal",
    "medical-institution-license",
    "physician-registration",
    "nurse-registration",
    "water-supply-license",
    "radiation-license",
    "birth-certificate",
    "vaccination-certificate",
    "disinfection-product-license",
    "maternal-infant-license",
    "medical-advertising",
    "occupational-health-filing",
    "death-certificate",
    "office-hours-location",
    "complaint-hotline",
}


@pytest.fixture(scope="module")
def kb():
    return KnowledgeStore(KNOWLEDGE).current


def test_default_knowledge_base_is_valid_and_complete():
    result = load_knowledge(KNOWLEDGE)
    assert result.errors == []
    assert {p.id for p in result.procedures} >= REQUIRED_IDS
    for procedure in result.procedures:
        assert "请替换" in procedure.phone and "replace" in procedure.en.phone


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("办健康证要带什么东西", "health-certificate"),
        ("我想开个理发店，卫生许可怎么申请", "public-place-hygiene-license"),
        ("What are your opening hours?", "office-hours-location"),
        ("健康证丢了怎么补办", "health-certificate-reissue"),
        ("卫生许可证到期了怎么延续", "public-place-license-renewal"),
        ("护士执业注册需要哪些材料", "nurse-registration"),
        ("孩子出生证明怎么办", "birth-certificate"),
        ("疫苗接种证明怎么开", "vaccination-certificate"),
        ("放射诊疗许可证怎么办", "radiation-license"),
        ("死亡证明怎么开", "death-certificate"),
        ("你们在哪里办公", "office-hours-location"),
        ("投诉电话是多少", "complaint-hotline"),
        ("Where is your office?", "office-hours-location"),
        ("radiation license", "radiation-license"),
        ("oppening hours", "office-hours-location"),
        ("办健康証要帶什麼東西", "health-certificate"),
    ],
)
def test_everyday_questions_find_the_right_procedure(kb, question, expected):
    result = analyse(kb, question)
    assert (result["intent"], result["id"], result["confident"]) == ("procedure", expected, True)


@pytest.mark.parametrize("question", ["今天天气怎么样", "股票怎么买", "帮我写一首诗", "what's the weather like today", "asdfghjkl"])
def test_unrelated_questions_fall_below_the_confidence_line(kb, question):
    result = analyse(kb, question)
    assert (result["intent"], result["id"], result["confident"]) == ("unknown", None, False)


def test_vague_question_offers_two_or_three_alternatives(kb):
    result = analyse(kb, "许可证怎么办")
    assert result["intent"] == "procedure" and result["confident"] is False
    assert 1 <= len(result["alternatives"]) <= 2 and result["id"] not in result["alternatives"]


@pytest.mark.parametrize(
    ("question", "intent", "number"),
    [
        ("你好", "greeting", None),
        ("我要投诉", "complaint", None),
        ("转人工", "handoff", None),
        ("喂，听得见吗", "greeting", None),
        ("好的 那我下午过去 没其他事了", "goodbye", None),
        ("嗯 你这个机器人都能干什么", "menu", None),
        ("有什么业务可以办理，介绍一下", "menu", None),
        ("找个专业的人跟我说", "handoff", None),
        ("麻烦让客服直接给我打个电话", "handoff", None),
        ("等了一个上午还没轮到", "complaint", None),
        ("你好，打扰了", "greeting", None),
        ("is anybody there", "greeting", None),
        ("那先这样吧", "goodbye", None),
        ("我明白了", "goodbye", None),
        ("帮我联系你们的客服", "handoff", None),
        ("窗口电话老是占线", "complaint", None),
        ("我的投诉处理得怎么样了", "case_status", None),
        ("ts20261201-0007", "case_status", "TS-20261201-0007"),
        ("ZX 20261201 0001 到哪了", "case_status", "ZX-20261201-0001"),
    ],
)
def test_intents(kb, question, intent, number):
    result = analyse(kb, question)
    assert result["intent"] == intent and result.get("case_number") == number


def test_answer_lists_every_material_with_copies(kb):
    procedure = kb.get("public-place-hygiene-license")
    text = format_procedure(procedure, "zh")
    for material in procedure.materials:
        assert material.name in text
    assert "（1份" in text
    english = format_procedure(procedure, "en")
    assert procedure.en.title in english and "Required materials" in english


def _copy_kb(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE, target)
    return target


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("id: x\ntitle: [unclosed\n", "yaml:"),
        ("- just\n- a list\n", "(file): expected a mapping"),
        (None, "id: duplicate id 'health-certificate'"),
        ("EXTRA", "colour: unknown field"),
        ("MISSING", "fee: required field is missing"),
        ("MISSING_EN", "en.title: required field is missing"),
    ],
)
def test_broken_files_are_reported_as_file_field_problem(tmp_path, content, expected):
    folder = _copy_kb(tmp_path)
    source = (folder / "procedures" / "health-certificate.yaml").read_text(encoding="utf-8")
    broken = folder / "procedures" / "zz-broken.yaml"
    if content is None:
        broken.write_text(source, encoding="utf-8")
    elif content == "EXTRA":
        broken.write_text(source.replace("id: health-certificate", "id: zz-broken") + "colour: red\n", encoding="utf-8")
    elif content == "MISSING":
        lines = [line for line in source.splitlines() if not line.startswith("fee:")]
        broken.write_text("\n".join(lines).replace("id: health-certificate", "id: zz-broken"), encoding="utf-8")
    elif content == "MISSING_EN":
        lines = [line for line in source.splitlines() if not line.startswith("  title:")]
        broken.write_text("\n".join(lines).replace("id: health-certificate", "id: zz-broken"), encoding="utf-8")
    else:
        broken.write_text(content, encoding="utf-8")
    errors = load_knowledge(folder).errors
    assert any(error.startswith("knowledge/procedures/zz-broken.yaml: ") and expected in error for error in errors), errors


def test_a_broken_edit_keeps_the_last_good_knowledge_base(tmp_path, caplog):
    folder = _copy_kb(tmp_path)
    store = KnowledgeStore(folder)
    before = len(store.current)
    (folder / "procedures" / "health-certificate.yaml").write_text("id: [broken", encoding="utf-8")
    assert store.reload_if_changed() is False
    assert len(store.current) == before
    assert store.current.get("health-certificate") is not None
    assert any("keeping the last good version" in r.message for r in caplog.records)
    (folder / "procedures" / "health-certificate.yaml").write_text(
        (KNOWLEDGE / "procedures" / "health-certificate.yaml")
        .read_text(encoding="utf-8")
        .replace("从业人员健康证明办理", "健康证明办理（新）"),
        encoding="utf-8",
    )
    assert store.reload_if_changed() is True
    assert store.current.get("health-certificate").title == "健康证明办理（新）"


def test_the_load_cache_gives_the_same_answers_and_follows_edits(tmp_path):
    folder = _copy_kb(tmp_path)
    cache_file = tmp_path / "cache" / "kb.bin"
    cold = KnowledgeStore(folder, cache_file)
    assert cache_file.exists()
    warm = KnowledgeStore(folder, cache_file)
    questions = ["办健康证要带什么东西", "许可证怎么办", "What are your opening hours?", "今天天气怎么样"]
    assert [analyse(warm.current, q) for q in questions] == [analyse(cold.current, q) for q in questions]
    assert format_procedure(warm.current.get("nurse-registration"), "zh") == format_procedure(cold.current.get("nurse-registration"), "zh")
    path = folder / "procedures" / "health-certificate.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("从业人员健康证明办理", "健康证明办理（改）"), encoding="utf-8")
    edited = KnowledgeStore(folder, cache_file)
    assert edited.current.get("health-certificate").title == "健康证明办理（改）"
