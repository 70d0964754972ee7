"""Transcripts of the knowledge answers: the issue's misses, a FAQ item then the full guide, best guesses when unsure."""

from __future__ import annotations

import pytest

from tests.conftest import Citizen


@pytest.mark.parametrize(
    ("question", "title"),
    [
        ("我在火锅店当服务员，店长叫我去办健康证明，要去哪里办", "【从业人员健康证明办理】一次性告知"),
        ("想开一家桑拿洗浴中心，要办什么证", "【公共场所卫生许可证新办（首次申请）】一次性告知"),
        ("宝宝出生证明上的出生日期写错了", "【《出生医学证明》首次签发、补发、换发】一次性告知"),
        ("我们诊所要在电梯里贴广告，要审批吗", "【医疗广告审查证明】一次性告知"),
        ("营业时间", "【办公时间、地址与联系电话（卫生健康服务窗口）】一次性告知"),
        ("护士证注销怎么办", "【护士执业注册（首次、延续、变更注册）】一次性告知"),
    ],
)
async def test_questions_with_context_get_the_whole_checklist(citizen, question, title):
    await citizen.say("你好")
    [answer] = await citizen.say(question)
    assert answer.startswith(title) and "所需材料" in answer


async def test_english_clinic_question_gets_the_change_procedure_in_english(app):
    citizen = Citizen(app, user="bob", lang="en")
    answer = (await citizen.say("my clinic wants to add a dermatology department"))[-1]
    assert app.services.knowledge.current.get("medical-institution-change").en.title in answer and "Required materials" in answer


async def test_a_detail_question_gets_the_faq_item_and_1_gives_the_full_guide(citizen):
    await citizen.say("你好")
    [reply] = await citizen.replies("健康证有效期多久")
    assert "一般为一年" in reply.text and reply.text.endswith("完整办事指南请回复 1。")
    assert "所需材料" not in reply.text
    assert [(c.label, c.value) for c in reply.choices] == [("完整办事指南", "p:health-certificate")]
    [guide] = await citizen.say("1")
    assert guide.startswith("【从业人员健康证明办理】一次性告知") and "所需材料" in guide


@pytest.mark.parametrize(
    ("question", "line", "procedure"),
    [
        ("健康证多少钱", "收费标准：", "health-certificate"),
        ("办出生证明要几天", "办理时限：", "birth-certificate"),
        ("健康證要多久才能拿到", "办理时限：", "health-certificate"),
    ],
)
async def test_a_fee_or_time_question_gets_that_line_and_1_gives_the_full_guide(app, citizen, question, line, procedure):
    await citizen.say("你好")
    [reply] = await citizen.replies(question)
    text = app.services.knowledge.current.get(procedure).text("zh")
    value = text.fee if line.startswith("收费") else text.time_limit
    assert f"{line}{value}" in reply.text and reply.text.endswith("完整办事指南请回复 1。")
    assert "所需材料" not in reply.text
    assert [c.value for c in reply.choices] == [f"p:{procedure}"]
    [guide] = await citizen.say("1")
    assert "所需材料" in guide


async def test_english_fee_question_gets_the_fee_in_english(app):
    citizen = Citizen(app, user="bob", lang="en")
    answer = (await citizen.say("how much does the health certificate cost"))[-1]
    assert f"Fee: {app.services.knowledge.current.get('health-certificate').en.fee}" in answer and "reply 1" in answer


async def test_a_question_about_both_fee_and_time_gets_the_whole_guide(citizen):
    await citizen.say("你好")
    [answer] = await citizen.say("办健康证收费吗，要多久")
    assert answer.startswith("【从业人员健康证明办理】一次性告知") and "所需材料" in answer


async def test_fasting_question_is_answered_from_the_faq(citizen):
    await citizen.say("你好")
    [reply] = await citizen.say("办健康证要不要空腹")
    assert "空腹" in reply and "完整办事指南请回复 1" in reply and "所需材料" not in reply


async def test_unsure_question_offers_best_guesses_then_staff_complaint_and_ask_again(citizen):
    await citizen.say("你好")
    [reply] = await citizen.replies("养老院的老人能打疫苗吗")
    values = [c.value for c in reply.choices]
    assert reply.text.startswith("抱歉，我不太确定您问的是哪一项。您是不是想问")
    assert values[0].startswith("p:") and values[-3:] == ["m:handoff", "m:complaint", "m:again"]
    [prompt] = await citizen.tap("m:again")
    assert "换个说法" in prompt


async def test_licence_cancellation_is_not_data_deletion(citizen):
    await citizen.say("你好")
    [answer] = await citizen.say("护士证注销怎么办")
    assert "删除" not in answer and "护士执业注册" in answer


async def test_handoff_in_other_words_opens_a_case(citizen):
    await citizen.say("你好")
    replies = await citizen.say("请问可以帮我找个工作人员吗")
    assert any("ZX-" in text for text in replies)


async def test_a_mistyped_report_word_still_gets_the_channels_not_a_complaint_case(citizen):
    # 投素 is a pinyin typo of 投诉 listed in synonyms.yaml: the router reads it right before telling a grievance from a question
    await citizen.say("你好")
    answer = (await citizen.say("想投素一家理发店毛巾从来不消毒，找哪个部门"))[-1]
    assert answer.startswith("【卫生健康监督投诉举报渠道")
