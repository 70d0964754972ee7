"""Many citizens at once: turns written together (SQLite group commit) stay as separate as turns written alone."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from bot.storage.models import Citizen as CitizenRow
from bot.storage.models import ConversationMessage
from tests.conftest import Citizen

QUESTIONS = {"办健康证要带什么东西": "健康证", "出生医学证明怎么办理": "出生医学证明"}


async def _history_sizes(app, users: list[str]) -> dict[str, int]:
    async with app.sessions() as session:
        rows = await session.execute(
            select(CitizenRow.external_id, func.count(ConversationMessage.id))
            .join(ConversationMessage, ConversationMessage.citizen_id == CitizenRow.id)
            .where(CitizenRow.external_id.in_(users))
            .group_by(CitizenRow.external_id)
        )
        return dict(rows.all())


async def test_many_citizens_at_once_each_get_their_own_answer_and_keep_their_place(app):
    people = [Citizen(app, user=f"crowd-{i}") for i in range(40)]
    questions = [list(QUESTIONS)[i % 2] for i in range(40)]
    first = await asyncio.gather(*(person.say(question) for person, question in zip(people, questions)))
    for replies, question in zip(first, questions):
        assert "隐私" in replies[0] or "个人信息" in replies[0], "first contact starts with the privacy notice"
        assert QUESTIONS[question] in replies[-1] and "一次性告知" in replies[-1]
    # each citizen's state was saved with their own turn: the notice is not repeated, a vague question offers choices
    second = await asyncio.gather(*(person.replies("许可证怎么办") for person in people))
    for replies in second:
        assert len(replies) == 1 and len(replies[0].choices) >= 2
    third = await asyncio.gather(*(person.say("1") for person in people))
    assert all("一次性告知" in replies[-1] for replies in third), "the numbered choice was remembered per citizen"
    sizes = await _history_sizes(app, [p.user for p in people])
    assert sizes == {p.user: 7 for p in people}  # 3 questions, 3 answers, 1 privacy notice


async def test_one_failing_turn_among_many_spoils_only_its_own_answer(app, monkeypatch):
    index = app.services.knowledge.current.index
    search = index.search

    def search_breaking_on_one_question(question):
        if "坏掉" in question:
            raise RuntimeError("index corrupted")
        return search(question)

    monkeypatch.setattr(index, "search", search_breaking_on_one_question)
    people = [Citizen(app, user=f"mixed-{i}") for i in range(20)]
    texts = ["办健康证坏掉了怎么办" if i == 7 else "办健康证要带什么东西" for i in range(20)]
    answers = await asyncio.gather(*(person.say(text) for person, text in zip(people, texts)))
    for i, replies in enumerate(answers):
        if i == 7:
            assert "出现问题" in replies[-1] and "index corrupted" not in replies[-1]
        else:
            assert "一次性告知" in replies[-1], f"citizen {i} lost their answer to a neighbour's failure"
    sizes = await _history_sizes(app, [p.user for p in people])
    assert "mixed-7" not in sizes and all(sizes[p.user] == 3 for i, p in enumerate(people) if i != 7)
    monkeypatch.setattr(index, "search", search)
    assert "一次性告知" in (await people[7].say("办健康证要带什么东西"))[-1]


async def test_a_platform_retry_arriving_with_other_citizens_gets_the_stored_reply_only(app):
    alice = Citizen(app, user="retry-alice", channel="wechat")
    original = await alice.say("办健康证要带什么东西", message_id="msg-1")
    others = [Citizen(app, user=f"retry-{i}", channel="wechat") for i in range(10)]
    results = await asyncio.gather(
        alice.say("办健康证要带什么东西", message_id="msg-1"),
        *(person.say("出生医学证明怎么办理", message_id=f"msg-other-{i}") for i, person in enumerate(others)),
    )
    assert results[0] == original
    assert all("出生医学证明" in replies[-1] for replies in results[1:])
    sizes = await _history_sizes(app, ["retry-alice"])
    assert sizes == {"retry-alice": 3}, "the retry added nothing to the history"
