"""How a citizen's question is read beyond its words: another office's topic, the document already in hand, what is meant.

`text` turns a question into words; these rules say what the question is about — a product's use or a hospital's hours
(not ours), the next step after our document (often another office's), a report to make (the supervision channels),
and what the citizen says it is not (不是医生). The search applies them (see knowledge/README.md, "Rules in the code").
"""

from __future__ import annotations

import re

# what a question asks about a product, a business's service or an exam, not about a procedure of ours (消毒液能喝吗, 养老院一个月
# 收费多少, 怎么考护士证): our keyword in it names the thing, not a licence to get, so it is no confident answer on its own
_OTHER_TOPIC = re.compile(
    r"(馆|店|厅|场|池|房|酒店|宾馆|会所|院|中心)(几点|什么时候|啥时候)(开门|关门|营业|开|关)|"
    # which doctor is good, a hospital's own appointments and jabs, a company's or a utility's number
    r"哪个医生|哪位医生|哪个大夫|(医生|大夫)(看得|技术|水平)(好|怎么样)|看得好|挂.{0,10}号(?!码)|专家门诊|坐诊|出诊|"
    r"\bappointment (at|with) (the|a|an) .{0,30}(hospital|doctor|specialist)|\bday pass\b|\bentry fee\b|(体检|检查|化验)(报告|结果).{0,6}(查|看|打印|取|拿)|(想|要|准备|打算)考(护士|医师|医生|执业|资格)|报名(在哪|什么时候|时间|入口|条件)|\bpharmac(y|ies)\b.{0,20}\bopen\b|\bopen 24 hours\b|请(个)?护工|找(个)?护工|\b(hire|find|arrange) (a |an )?(caregiver|carer|care worker)\b|有什么推荐|推荐一下|有推荐吗|有没有推荐|给我推荐|\bhow (do i|to|can i|should i) (cook|bake|boil|fry|make (a |some )?(dumplings|noodles|soup|cake))\b|"
    r"(医院|卫生院|卫生服务中心|接种点|门诊).{0,6}(周末|几点|什么时候|哪天)(打针|接种|开门|上班)|(公司|银行|派出所|公安局|学校)的?(电话|地址)|"
    r"(能不能|可不可以|能|可以)用来|兑(多少)?水|怎么兑|能(不能)?考|可以考|(national|qualification|licensing|licensure|entrance) exams?\b|"
    # a hospital's or a canteen's own phone, address or hours: theirs to give, not the window's
    r"(医院|住院部|食堂|饭堂|餐厅)的?(电话|地址|在哪|位置|几点|开饭|营业|开门|上班时间|门诊时间)|(食堂|饭堂|餐厅).{0,6}(几点|开饭|开门|营业)|"
    r"\b(hospital|cafeteria|canteen)'?s? (phone|number|address|opening hours|visiting hours)|"
    # which doctor, hospital or check-up is good or cheap: a recommendation, not a procedure
    r"\brecommend (a|an|me|some|any)\b|推荐(一个|一家|个|家|几家)?(好的|靠谱的|便宜的)?(医院|医生|诊所|牙医|体检)|(哪家|哪个|哪里)(医院)?(便宜|靠谱|划算)|(哪家|哪个)(医院|诊所).{0,8}(比较好|最好|好一点|厉害|强)|\b(cafeteria|canteen) (open|opens|close|closes)\b|疼不疼|痛不痛|疼吗|痛吗|(什么|哪些|哪种|哪几种)疫苗|哪里买|在哪买|哪儿买|去哪买|"
    r"能喝|能吃|能不能喝|能不能吃|可以喝|可以吃|喝了|吃了会|安全吗|安不安全|伤身体|有毒|有害|致癌|好用|哪个牌子|什么牌子|哪家好|怎么用|怎么使用|怎么稀释|"
    r"一个月(收费|多少钱|要多少|费用)|(一次|一晚|一天|一小时|一节课|一个疗程)(收费|多少钱|要多少)|多少钱一(次|晚|天|个月|小时|节)|门票|会员|办卡|退款|退钱|"
    r"考试|报考|考试报名|报名考试|成绩|分数线|怎么考|考证|难不难|好考|题库|"
    r"\b(drink|swallow|eat) (it|this|that)\b|\bis (it|this) safe\b|\b(buy|purchase)\b|\b(pass|take|sit) the exam\b|\bticket\b|\bmembership\b|\brefund\b"
)
# ... unless the question also asks for something the office does: apply, register, renew, replace, change, file, approve
_OFFICE_ACTION = re.compile(
    r"办(?!卡|会员)|申请|注册|备案|审批|许可|换证|补|变更|校验|延续|手续|登记|"
    r"\b(apply|application|register|registration|renew|replace|replacement|licen[cs]e|permit|file|filing)\b"
)


_COMPARISON = re.compile(r"区别|差别|不同|不一样|异同|difference|differ|versus|\bvs\b|compare|instead of|rather than")


def compares(text: str) -> bool:
    """True when the normalised question asks how two things differ (校验和延续有什么区别)."""
    return bool(_COMPARISON.search(text))


# an animal's health is the agriculture office's, whatever licence is asked for (a pet hospital's x-ray is no 放射诊疗 of ours)
_ANIMAL_CARE = re.compile(
    r"宠物|兽医|兽药|动物(医院|诊所|防疫)|畜牧|(狗|猫)的?(疫苗|打针|接种|免疫证)|\bvet(s|erinary)?\b|\bpet (clinic|hospital|shop|store|grooming)s?\b|\banimal (clinic|hospital)s?\b|"
    r"\b(pet|dog|cat|puppy|kitten)'?s? (vaccin\w*|rabies|shots?|jabs?|immuni[sz]ation)|\bfor (my|our|a|the) (dog|cat|pet|puppy|kitten)s?\b"
)


def other_topic(text: str, *, reporting: bool = False) -> str:
    """What in the normalised question is another office's: animal care, or a product's use, a business's price or hours, an exam asked for nothing we do ("" if nothing).

    `reporting`: the question asks where to report someone, so a doctor's or a shop's doings in it (冒充医生坐诊) are what is
    reported, not another topic; only animal care stays another office's.
    """
    animal = _ANIMAL_CARE.search(text)
    if animal:
        return animal.group(0)
    if reporting:
        return ""
    found = _OTHER_TOPIC.search(text)
    return found.group(0) if found and not _OFFICE_ACTION.search(text) else ""


# our document already in hand, then a question about what comes next (出生证已经拿到了，户口去哪上): the next step is often
# another office's, and the part after the marker says which
_DONE = re.compile(
    r"(已经|早就|都|刚|刚刚)(拿到|领到|开好|开出来|办好|办下来|办完|拿了|领了|开了|做了|做完|做好)了?|(拿到|领到|开好|开出来|办好|办下来)了|"
    r"\b(is|are|was|were) (done|ready|issued|sorted)\b|\b(already|now) (got|have|received)\b|\bi(?:'ve| have) (got|received)\b"
)


# ... and the weaker "after getting it" (开了死亡证明以后, I got my …): only another office's topic after it makes it theirs
_AFTER = re.compile(
    r"(开了|拿了|领了|办了|拿到|领到|开好|办好)[^,，。;；?？]{0,10}(以后|之后)|\b(i|we) (just )?(got|received|obtained|picked up) (my|our|the)\b.{0,60}?[.,;]"
)


_CLAUSE_END = re.compile(r"[,，.。;；!！?？]")


def next_step(text: str) -> tuple[str, bool]:
    """The part of the normalised question after "already obtained" (出生证已经拿到了，…; "" if none), and whether it said so plainly."""
    found = _DONE.search(text)
    if found:
        rest = text[found.end() :]
        boundary = _CLAUSE_END.search(rest[:12])  # 刚领了营业执照，… : the object named right after the verb is the thing in hand
        return (rest[boundary.end() :] if boundary else rest), True
    found = _AFTER.search(text)
    return (text[found.end() :], False) if found else ("", False)


# "a nurse, not a doctor" (我是护士不是医生): the word after the negation is what the question is not about
_NEGATED = re.compile(
    r"(?<!是)(?<!要)不是(一个|个|一名|名|位)?[\u4e00-\u9fff]{1,5}?(?=[,，.。;；!！?？\s]|也|而是|$)|除了[^,，。]{1,12}?(之外|以外)|(还|都|并)?没(有)?(过期|到期)|还有[^,，。]{1,6}?才?(到期|过期)|,\s*not an? [a-z]+(?=[,.;!?]|$)"
)


# the office's own names (去卫健局办什么证): where the citizen asks, never what they ask about
_OFFICE_NAMES = re.compile(r"卫健委|卫健局|卫生局|卫计委|卫生健康委员会|卫生健康委|卫生健康局|卫健部门|卫生部门|(?<=去)卫健(?!委|局)")


# "anxious to death" is no death (急死了, 烦死了), and a certificate that is 没了 is lost, not deceased
_INTENSIFIER = re.compile(r"(急|烦|累|气|热|冷|吓|笑|忙|饿|困|愁|怕|担心|着急)死(了|我了|人了|啦)")
_THING_GONE = re.compile(r"(证|证明|本|卡|包|钱包|手机|材料|被偷|被抢)(了)?(也|都|就|全|一起)?(弄|搞|整|给弄)?没了")
_LEAVING = re.compile(r"(我|我们|那我)(就|先|得)?走了|(?<=[调搬转开跑飞拿借带送接取偷])走了")  # I'm off now, moved away: nobody died
_MISHEARD = re.compile(r"(?<=[哪里儿谁])反应")  # 去哪反应: voice input's 反映 (to report), not a reaction
# a specialty before the place is the kind of place (开一间儿科诊所, 西医全科诊所) or a person's post (中医科主任), not a department
# added to a registration (诊疗科目)
_SPECIALTY = (
    r"(内|外|儿|妇|眼|骨|皮肤|口腔|牙|精神|耳鼻喉|妇产|产|全|中医|中西医结合|康复|医美|麻醉|急诊|肛肠|男|泌尿|心理|疼痛|美容|整形外)科"
)
_KIND_OR_POST = re.compile(rf"{_SPECIALTY}(?=诊所|门诊部|门诊|医院|诊室|医馆)|{_SPECIALTY}(副)?(主任|护士长)")


def _kind_or_post(found: re.Match[str]) -> str:
    """What stays of a specialty before a place or a post: a TCM post says the citizen is a TCM doctor; the others nothing."""
    return "中医医生" if found.group(0) in ("中医科主任", "中医科副主任") else " "


def what_is_meant(text: str) -> str:
    """The normalised question as meant: without what it says it is not (我是护士不是医生 → 我是护士), the office's own
    name, or "to death" as an intensifier (急死了 → 急了); a certificate that is 没了 is lost (健康证也没了 → 健康证也丢了); a
    specialty naming the kind of clinic or someone's post (儿科诊所 → 诊所)."""
    text = _THING_GONE.sub(lambda m: m.group(0)[:-2] + "丢了", _INTENSIFIER.sub(r"\1了", text))
    text = _KIND_OR_POST.sub(_kind_or_post, _MISHEARD.sub("反映", _LEAVING.sub(" ", text)))
    return _OFFICE_NAMES.sub(" ", _NEGATED.sub(" ", text))


def as_materials(text: str, scope_words: list[str]) -> bool:
    """Every out-of-scope thing is only something to bring along (要带户口本吗): a material of our procedure, not the topic."""
    return bool(scope_words) and all(re.search(f"(带|带上|携带|提供|准备|复印)(个|一下|好)?{re.escape(w)}", text) for w in scope_words)


# a business or its people: reporting one of them (举报那家饭店) asks for the supervision channels
_THIRD_PARTY = (
    r"(饭馆|饭店|餐馆|餐厅|食堂|后厨|美容院|美容店|理发店|发廊|诊所|黑诊所|医院|宾馆|酒店|旅馆|民宿|足浴店?|浴室|澡堂|洗浴|游泳池|游泳馆|"
    r"健身房|网吧|ktv|商家|超市|药店|工厂|厂家|物业|幼儿园|托儿所|养老院|他们|她们|这家|那家|一家|这个店|那个店)"
)


# where or how to report someone (想举报物业，打哪个电话): the channels are the answer, whatever the report is about
_REPORTS = re.compile(
    r"(举报|投诉|反映|检举)(?!你们).{0,16}(打哪个|打什么|哪个电话|什么电话|电话多少|电话是多少|热线|找谁|找哪|哪个部门|去哪|到哪|可以匿名|能匿名|匿名吗|归你们管|你们管吗)|"
    r"(去哪|到哪|在哪|往哪|向哪|上哪|哪里|哪儿|找谁|向谁|哪个部门|打哪个电话|打什么电话|哪个电话|怎么|如何)(儿|里)?(可以|能)?(举报|投诉|反映|检举)|"
    r"(举报|投诉|反映|检举).{0,16}(怕|担心|害怕)(被)?(人)?(知道|发现|报复|认出)|(怕|担心|害怕)(被)?(人)?(知道|发现|报复|认出).{0,16}(举报|投诉)|"
    r"(举报|投诉).{0,12}(不留名|不留姓名|不用留名|不留名字|不写名字|不署名|不实名)|(举报|投诉|反映)(?!你们).{0,30}(电话(是)?多少|哪个电话|什么电话)|(举报|投诉|反映|检举)人的?(个人)?(信息|身份).{0,8}(泄露|泄漏|保密|曝光)|"
    r"(举报|投诉|反映|检举)的?(流程|程序|步骤)|"
    rf"(举报|投诉|反映|检举).{{0,8}}{_THIRD_PARTY}|{_THIRD_PARTY}.{{0,40}}(想|要|我要|我想|去|向.{{0,6}})(举报|投诉|反映|检举)|"
    r"(能不能|可不可以|能|可以)(举报|投诉|反映|检举)(吗|么|不)|(举报|投诉|反映|检举)(他们|她们|这家|那家|一家|一个|商家)|"
    r"\b(where|how|who) (can|do|should|could) i (report|complain)\b|\b(file|make|lodge|submit) a (report|complaint) (with|to)\b|\breport (it|this|them|him|her) to\b|"
    r"\b(where|how) (can|do|should|could) i (send|submit|file|lodge|make|address|email) (a |my )?(written |formal )?(report|complaint)|"
    r"\b(which|what) (department|office|agency|authority|bureau)\b.{0,60}\b(report|complain)|\b(department|office|agency|authority|bureau) (handles|deals with|takes|receives|is responsible for) (reports|complaints)"
)


_REPORT_WORDS = ("举报", "投诉", "反映", "检举")


_REPORT_WORD = re.compile("|".join([*_REPORT_WORDS, "report", "complain"]))  # in every branch of _REPORTS: a cheap first look


def reports(text: str) -> str:
    """The report word of a normalised question asking where or how to report someone (举报), or ""."""
    found = _REPORTS.search(text) if _REPORT_WORD.search(text) else None
    if not found:
        return ""
    said = next((g for g in found.groups() if g and g in _REPORT_WORDS), "")
    return said or "complaint"  # in English the channels' title says complaint, whatever verb the citizen used


def owned_scope(text: str, scope_words: list[str]) -> bool:
    """An out-of-scope thing is what the question asks about, owned by something of ours (诊所的营业执照)."""
    return any("的" + word in text for word in scope_words)
