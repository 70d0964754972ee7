"""Replies as WeChat texts: numbered choices across replies, every part within WeChat's 2,048-byte limit, nothing lost."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.channels.wechat.sender import TEXT_LIMIT_BYTES, wechat_texts
from bot.core.messages import Choice, Reply


def test_choices_are_numbered_across_replies_as_the_engine_counts_them():
    replies = [Reply("请选择：", (Choice("甲", "a"), Choice("乙", "b"))), Reply("或者：", (Choice("丙", "c"),))]
    [text] = wechat_texts(replies)
    assert "1. 甲" in text and "2. 乙" in text and "3. 丙" in text
    assert text.count("（回复数字选择）") == 2


def test_a_long_answer_is_split_between_sections():
    checklist = "\n".join(f"第{i}项材料：居民身份证原件及复印件" for i in range(40))
    faq = "常见问题：\n" + "\n".join(f"Q: 问题{i}？\nA: 回答{i}。" for i in range(30))
    first, second = wechat_texts([Reply(f"{checklist}\n\n{faq}")])
    assert first == checklist and second == faq


lines = st.lists(st.text(alphabet=st.sampled_from("办证a1 。😀\t"), max_size=900), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(lines, min_size=1, max_size=4))
def test_every_part_fits_and_no_visible_character_is_lost(blocks):
    replies = [Reply("\n".join(block)) for block in blocks]
    parts = wechat_texts(replies)
    assert all(len(part.encode()) <= TEXT_LIMIT_BYTES for part in parts)

    def visible(text):
        return "".join(text.split())

    assert visible("".join(parts)) == visible("".join("".join(block) for block in blocks))
