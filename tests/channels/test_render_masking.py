"""Rendering (numbered choices, splits that never cut a line) and masking of personal data."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.channels.render import escape_html, numbered, split_text
from bot.core.masking import mask_phone, mask_text, parse_mobile
from bot.core.messages import Choice, Reply


def test_choices_become_numbered_lines_for_channels_without_buttons():
    text = numbered(Reply("请选择：", (Choice("办事指南", "m:guide"), Choice("我要投诉", "m:complaint"))))
    assert text.splitlines() == ["请选择：", "1. 办事指南", "2. 我要投诉", "（回复数字选择）"]


@given(st.lists(st.text(alphabet="材料复印件abc 1234", min_size=0, max_size=60), min_size=1, max_size=200), st.integers(80, 400))
def test_split_keeps_every_line_whole_and_within_the_limit(lines, limit):
    text = "\n".join(lines)
    parts = split_text(text, limit)
    assert all(len(part) <= limit for part in parts)
    assert "\n".join(parts) == text


def test_split_cuts_inside_a_line_only_when_the_line_alone_is_too_long():
    parts = split_text("短行\n" + "长" * 250 + "\n尾", 100)
    assert parts[0] == "短行" and parts[-1].endswith("尾") and all(len(p) <= 100 for p in parts)


def test_html_escaping_of_user_text():
    assert escape_html("<b>a & b</b>") == "&lt;b&gt;a &amp; b&lt;/b&gt;"


def test_masking_phone_and_id_numbers():
    assert mask_phone("13812341234") == "138****1234"
    text = mask_text("电话13812341234，身份证110105199001011234，另一个+86 139-0000-1111")
    assert "138****1234" in text and "110105********1234" in text and "139****1111" in text
    assert "13812341234" not in text and "19900101" not in text
    assert mask_text("编号TS-20261201-0001，时间2026-12-01") == "编号TS-20261201-0001，时间2026-12-01"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))
def test_any_mobile_number_is_masked_in_free_text(phone):
    masked = mask_text(f"请回电{phone}谢谢")
    assert phone not in masked and f"{phone[:3]}****{phone[-4:]}" in masked
    assert parse_mobile(phone) == phone


def test_invalid_mobiles_are_rejected():
    for bad in ("12345", "23812345678", "1381234567", "138123456789", "电话"):
        assert parse_mobile(bad) is None


def test_log_records_are_masked_whoever_writes_them(caplog):
    import logging

    from bot.logs import MaskingFilter

    logger = logging.getLogger("tests.masking")
    caplog.handler.addFilter(MaskingFilter())
    with caplog.at_level(logging.INFO):
        logger.info("call back %s about %s", "13812345678", "ID 110105199001011234")
    assert caplog.messages == ["call back 138****5678 about ID 110105********1234"]
