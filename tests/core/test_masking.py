"""Masking of kept questions: names after cues and long digit runs, on top of phone and ID numbers."""

from __future__ import annotations

import pytest

from bot.core.masking import mask_question, mask_text

CASES = [
    # (question, masked)
    ("我叫李雷，请问狗狗走丢了怎么办", "我叫***，请问狗狗走丢了怎么办"),
    ("我叫王小明想问健康证怎么办", "我叫***想问健康证怎么办"),
    ("姓名：欧阳娜娜 电话13812345678", "姓名：*** 电话138****5678"),
    ("姓名:张伟，要办健康证", "姓名:***，要办健康证"),
    ("我的名字是张三丰，在哪办", "我的名字是***，在哪办"),
    ("名字叫刘洋身份证110105199001011234", "名字叫***身份证110105********1234"),
    ("My name is John Smith and I need a permit", "My name is *** and I need a permit"),
    ("卡号6222 0212 3456 7890 123退费", "卡号****0123退费"),
    ("退款打到6222021234567890123", "退款打到****0123"),
    ("账号 1234567890", "账号 ****7890"),
    # kept: not a name, short numbers, dates and case numbers
    ("出生证明上的姓名写错了怎么改", "出生证明上的姓名写错了怎么改"),
    ("护士证上名字叫什么要核对吗", "护士证上名字叫什么要核对吗"),
    ("我住在人民路128号3单元502", "我住在人民路128号3单元502"),
    ("编号TS-20261201-0001，时间2026-12-01", "编号TS-20261201-0001，时间2026-12-01"),
    ("诊所有3个医生，面积120平米", "诊所有3个医生，面积120平米"),
    ("what is your phone number", "what is your phone number"),
]


@pytest.mark.parametrize(("question", "masked"), CASES)
def test_kept_questions_are_masked(question, masked):
    assert mask_question(question) == masked


def test_everyday_masking_is_unchanged():
    assert mask_text("我叫李雷，电话13812341234") == "我叫李雷，电话138****1234"
    assert mask_question(None) == "" and mask_question("") == ""
