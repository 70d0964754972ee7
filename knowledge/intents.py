"""Intent detection: greeting, goodbye, complaint, handoff, case status, privacy, menu, chit-chat, or a procedure question."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from knowledge.reading import what_is_meant
from knowledge.text import normalize

if TYPE_CHECKING:
    from knowledge.synonyms import Synonyms

CASE_NUMBER = re.compile(r"(?<![a-z0-9])(zx|ts|zg)[\s\-_]*(\d{8})[\s\-_]*(\d{4})(?![0-9])", re.IGNORECASE)
CASE_NUMBER_ATTEMPT = re.compile(r"(?<![a-z])(zx|ts|zg)[\s\-_]*\d{4,}", re.IGNORECASE)

_ADDRESS = r"(同志|老师|师傅|小姐姐|小哥哥|美女|帅哥|亲|领导|工作人员|客服)"  # how citizens address the clerk
_HELLO = r"(请问|早晨|你好|您好|你们好|嗨|哈喽|哈啰|哈罗|喂|在吗|在不在|有人吗|有人在吗|有人没|听得到(吗|不|么|没)?|听得见(吗|不|么|没)?|能听到(吗|不|么)?|能听见(吗|不|么)?|早上好|上午好|中午好|下午好|晚上好|早|早安|打扰(一下|了|啦)?|hi|hello|hey|hi there|hello there|good (morning|afternoon|evening)|(is )?any(one|body) (there|here|around))"
# "may I ask something": the opener of a conversation, not yet a question
_ASK_VERB = r"(咨询|问|问问|请教|打听)"
_ASK_THING = r"(一下|一点|点|个|些|几个|一些)?(问题|事|事情|事儿)?"
_MAY_I_ASK = (
    rf"((请问|我)?(现在)?(可以|能|能不能|可不可以)(跟你|向你|和你)?{_ASK_VERB}{_ASK_THING}(吗|么|不)?|"
    rf"(我)?(想|要|来)(跟你们?|向你们?)?{_ASK_VERB}{_ASK_THING}|(我)?有(个|几个|些|一些|点)?(问题|事|事情)(想|要)?{_ASK_VERB}?(一下)?|"
    r"(你|您)?(能|可以|会)(回答|帮我|帮个忙|帮帮我)(问题)?(吗|么|不|嘛)?|"
    r"(can|may|could) i ask (you )?(something|a question|some questions)|i have (a|some) questions?)"
)
_GREETING = re.compile(rf"^(({_HELLO}|{_MAY_I_ASK}|{_ADDRESS})[\s!！,，.。~～呀啊吗?？]*)+$")
_BYE_ZH = (
    r"再见|再会|回见|下次见|改天见|拜拜|拜|"
    r"(谢谢|感谢|多谢)(你|您)?(们)?(的)?(帮助|帮忙|解答|回答|耐心|服务)?|谢了|谢啦|辛苦(了|啦|你了|您了|你们了)|"
    r"好的?|好嘞|好滴|行|嗯+|哦+|ok|(我|那我)?(知道了|明白了|懂了|清楚了|了解了)|收到|可以了|"
    r"没有了|没事了|没别的了|没有?(别的|其他|其它)(问题|事|事情|事儿)?了|没(其他|其它|别的)?问题了|"
    r"那?我?(明天|今天|下午|上午|改天|回头|过两天|这就|马上|现在)(就|再)?(去|来|过去|过来)(一趟|看看)?(吧)?|(那)?(就这些|就这样|先这样)(吧)?|我走了|(那)?(我)?先(走|撤|下)了|(先)?不打扰(了|你了|您了)|回头有事再(问|说|来|联系|找你)|(那)?(我)?先忙(了|去了)?|(那)?(我)?先去(准备|办|弄|交)(一下)?(材料)?(了|啦)?|回头再(问|说|来|联系)"
)
_BYE_EN = (
    r"88+|886|bye|goodbye|bye bye|thanks? (you )?for (your|the|all (your|the)) help|that'?s all i need(ed)?|that'?s all( for (now|today))?|that is all i need(ed)?|see you( later| soon)?|thanks?( you)?( (very|so) much| a lot)?|many thanks|cheers|thx|ty|okay|got it|great|"
    r"that'?s all|that is all|no more questions|have a (nice|good) day"
)
_GOODBYE = re.compile(rf"^(({_BYE_ZH}|{_BYE_EN}|{_ADDRESS})[\s!！,，.。~～了啦呀啊哈吧]*)+$")
_MENU = re.compile(r"^((给|发)我)?(个|一个)?(菜单|帮助|主菜单|menu|help|start|开始)((发|给)(我)?)?(看看|看一下|一下)?$")
# "what can you do": asking for the menu in words (the bot, the desk or "here" is who is asked, so no procedure question matches)
_WHO = r"((那个|请问|嗯|就是)[\s,，]*)?(这个|你们这个|你们的|你这个|你们|你)?(你|你们|您|你们这|你们窗口|窗口|这里|这儿|这边|在这|在这里|在这儿|咨询台|机器人|小助手|助手|本平台|平台|公众号|小程序|这个号)"
_SHOW = r"([\s,，]*(给我)?(列一下|列出来|列个清单|说一下|介绍一下|讲一下)(给我)?(看看|听听)?(吧)?)?"  # "... list them for me"
_MENU_ASK = re.compile(
    rf"^{_WHO}?(都|一般|主要|还)?(能|可以|会|能够)(帮我|帮忙|帮)?(做|干|办|办理|问|咨询|查|提供|回答)(些|点)?(什么|啥|哪些)(服务|业务|事|事情|事儿|问题|功能|事项)?(呢|呀|啊|吗)?{_SHOW}$|"
    rf"^{_WHO}?(都)?(有|提供)(哪些|什么|啥)(服务|业务|功能|事项)(可以)?(咨询|办理?|问)?(呢|呀|啊|吗)?{_SHOW}$|^{_WHO}(都)?(能|可以)(办|办理|咨询|问)(哪些|什么|啥)(业务|事|事情|事儿|问题)|"
    r"^(有)?(哪些|什么)(事情|事|事项|问题)可以(在这|在这里)?(咨询|问)(的)?(你|您)?$|^.{0,20}[,，\s?？](发|给)(我)?(个|一个)?(菜单|功能列表|业务清单|清单)(看看|看一下)?$|^有(没有)?(菜单|功能列表|业务清单)(吗|么)?[,，\s?？]|^(有没有|有)?(功能|服务|业务)(列表|菜单|清单|目录)(吗)?[\s,，]*((发|给)(我)?)?(看看|看一下|一下)?$|^(有)?(哪些|什么)(功能|服务|业务)(可以用|可以办|可以咨询|可以查询?|能查)?(的)?[\s,，]*(列个清单|列一下)?$|"
    rf"^(你|您)是(干嘛|干什么|做什么)的$|^{_WHO}?(都)?(能|可以|会)(帮我)?干嘛$|^{_WHO}(都)?(办|办理)(哪些|什么|啥)(业务|事|事项)(呢|呀|啊)?{_SHOW}$|^(show|give|send) me (the |a )?list of (your |all )?(services|procedures)|"
    r"^what (can|do) you (do|help( me)?( with)?|offer)(?! with (my|our|the|this|that|these|those|all)\b)|^how can you help|^(what|which) (kind of )?services|^(a )?list of (all )?(your )?(procedures|services)|^what kind of (questions|things) can i ask|^what can i ask"
)
_STAFF = r"(工作人员|客服|人工|真人|活人|窗口人员|办事人员|接待人员)"
_HANDOFF = re.compile(
    r"^(人工|人工服务|人工客服|客服|真人)$|转人工|直接问(人|真人|工作人员)|(有没有|有)(工作人员|客服|人工|真人)在线|(有没有|有)(工作人员|客服|人工|真人)(在吗|吗|呀|啊)?[?？.。!！]*$|(有没有|有无|有)(人工|真人|客服)(服务|客服)?(吗|么|没有?)?$|人工服务|人工客服|找人工|要人工|真人|活人|接个人|换个人(?!当|做|来当|来做|担任|负责)|"
    r"(找|叫|转|接|让)(个|一个|一位)?(懂行的?|专业的?|明白的?|懂的|管事的?|负责的?)?(工作人员|客服|人)(小姐姐|小哥哥|美女|老师)?(直接|亲自)?(来|跟我|和我|接|回|处理|聊|说)|"
    rf"(找|叫|联系|转接?)(个|一个|一位|你们的?)?{_STAFF}|(让|叫|请)(窗口的?人|(窗口的?)?(老师|同志|工作人员|客服))(直接|亲自)?(给我)?(回|打)(个|一个)?电话|{_STAFF}(直接|亲自)?(联系|回复|处理|打电话给|回电话给|给我(打|回)(个|一个)?电话|打给)|"
    rf"(跟|和|同|与)(你们的?)?{_STAFF}(直接)?(聊|说|谈|沟通|通话|联系)|别(是)?机器人|不要机器人|不想(跟|和)机器人|"
    r"\bconnect me (to|with)\b|\bhuman\b|\breal person\b|\bagent\b|\boperator\b|(?<!legal )\brepresentative\b|"
    r"\b(speak|talk|chat) (to|with) (a |an |some|your |someone|somebody)?(person|one|body|staff|officer|member of staff)?"
)
_COMPLAINT_INFO = re.compile(
    r"(投诉|举报|监督|反映)的?(电[话化画]|热线|方式|渠道|邮箱|信箱|途径|号码|地址|窗口|部门)|(能不能|能否|可不可以|可以|能)(打.{0,8})?(投诉|举报|反映)(?!你们)|12345|12320|(去哪|到哪|在哪|往哪|向哪|上哪|哪里|哪儿|怎么|如何|找谁|找哪|向谁|哪个部门|有什么渠道|有没有).{0,8}(投诉|举报|反映|检举)|意见箱|举报箱|投诉箱|(举报|投诉)信|(举报|投诉).{0,16}(怕|担心|害怕)(被)?(人)?(知道|发现|报复|认出)|(怕|担心|害怕)(被)?(人)?(知道|发现|报复|认出).{0,16}(举报|投诉)|(举报|投诉).{0,12}(不留名|不留姓名|不用留名|不留名字|不写名字|不署名|不实名)|(举报|投诉|反映)(?!你们).{0,30}(电话(是)?多少|哪个电话|什么电话|号码(是)?多少)|(找|是找)(卫生)?监督所|"
    r"(投诉|举报|反映).{0,16}(去哪|到哪|在哪|哪里|找谁|找哪|哪个部门|打哪个|哪个号|渠道|管道|途径|方式|电话|邮箱|信箱|怎么(办|弄|做)?[?？.。!！]*$|吗[?？.。!！]*$|流程|程序|步骤)|"
    r"(打哪个电话|打什么电话|哪个电话|找哪个部门)(可以)?(投诉|举报|反映)|(投诉|举报|反映|投述)(他们|她们|这家|那家|一家|商家)|匿名(投诉|举报)|(投诉|举报|反映)(?!你们).{0,24}(可以匿名|能匿名|匿名吗|归你们管|你们管吗|你们管不管|归谁管)|(归你们管|你们管吗|你们管不管|归谁管).{0,12}(投诉|举报|反映)|(投诉|举报)人?的?(信息|身份|个人信息)?.{0,6}(保密|泄露|泄漏|曝光)|"
    r"(complaint|report|supervision) (hotline|number|phone|line|channel|email|box|mailbox|form)|\bcomplaint anonymously\b|\banonymous (complaint|report)|\b(file|make|lodge|submit) a (report|complaint) (with|to)\b|\b(box|e-?mail|mailbox) for .{0,30}(violation|complaint|report)|(phone|telephone|number|hotline|e-?mail|mailbox|address|website|channel)s? (for|to|where)\b.{0,40}(complain|complaint|report)|"
    r"(where|how) (can|do|should|could) i (send|submit|address|email|file|lodge) (a |my )?(written |formal )?complaint|(number|phone|hotline|e-?mail|address) (do|should|can|could) i (call|ring|dial|use|write to|email|send)\b.{0,20}(complain|complaint|report)|hotline|where (can|do|should) i (report|complain)|how (can|do) i (report|complain)|report (anonymously|a |an )|"
    r"\b(which|what) (department|office|agency|authority|bureau)\b.{0,20}\b(do|should|can|could) i (contact|call|go to|turn to|report|complain)|\b(which|what) (department|office|agency|authority|bureau) (handles|deals with|takes|receives|is responsible for) (reports|complaints)|\bwho (do|should|can|could) i (contact|call|turn to) about\b"
)
# the way to complain asked for by name (the number to file a complaint): the hotline, though "file a complaint" is written
_COMPLAINT_CONTACT = re.compile(
    r"\b(where|how) (can|do|should|could) i (file|make|lodge|submit|send) (a |my )?(written |formal )?complaint|\bcomplain(t)? anonymously|\banonymous (complaint|report)|(phone|telephone|number|hotline|e-?mail|mailbox|address|website|channel)s?\b.{0,30}\b(for|to) (file|make|lodge|submit|send) (a |my )?complaint"
)
# the number or place to report asked for outright (我要举报，打什么电话), about someone other than the office itself
_CHANNEL_ASK = re.compile(
    r"打什么电[话化画]|打哪个电[话化画]|哪个电[话化画]|电[话化画]多少|电[话化画]是多少|电[话化画]几号|号码多少|号码是多少|(去|到)(哪里|哪儿|哪)(投诉|举报|反映)"
)
_AT_US = re.compile(r"(投诉|举报)你们|你们(的)?(工作人员|窗口|态度|服务)|窗口(的)?(工作)?人员|(at|about) (your|the) (office|staff|window)")
_COMPLAINT_SELF = re.compile(
    r"我要(投诉|举报)(?!他们|她们|这家|那家|一家|商家)|我想(投诉|举报)你们|投诉你们|举报你们|(file|make|lodge) a complaint|i want to complain"
)
# how staff behaved: a complaint about the service, whatever procedure words come with it
_CONDUCT = (
    r"态度(很|太|非常|特别|极其|真)?(差|恶劣|不好|冷淡|冷漠|蛮横|嚣张|恶心)|服务(态度)?(很|太|真|特别)?(差|烂)|"
    r"(太|很|好|特别|非常|真|超|那么)凶|凶巴巴|凶我|骂人|骂我|吼我|冲我(吼|喊|发火)|训斥|不耐烦|爱答不理|爱理不理|不理人|不理我|冷着脸|"
    r"脏得要命|脏死了|太脏了?|很脏|脏兮兮|脏乎乎|黑乎乎|恶心死了|太恶心|真恶心|吃坏(了)?肚子|吃完.{0,4}拉肚子|吃了.{0,6}(拉肚子|中毒)|食物中毒|(根本|都|也|从来|完全|压根)(就)?(没|不)(有)?消毒|多收了|宰客|"
    r"脏得很|染上(了)?|(太|很|真|也太)不负责(任)?|打针打错|差点(扎到|伤到|烫伤|出事)|(头皮|皮肤|脸|脚|手)(上)?(都)?(起疹子|起了疹子|过敏|红肿|感染|发炎)了?|(被|让)(你们)?(给)?弄丢了?|太离谱|没(有)?消毒.{0,12}(感染|过敏|起疹子?|红肿|发炎)|没(有)?人负责|输错(了)?药|打错(了)?针|开错(了)?药|误诊|不认账|赖账|耍赖|推卸责任|不给退(钱|款)?|不肯退(钱|款)?|(排|等)了(好|大半|半|一|两|三|四|五|几)(个)?(多)?(小时|钟头)|窗口(都|也|全)?没(有)?人|太过分了|(就|只)开(了)?(一|两|1|2)个窗口|每次说的?(都)?不一样|说法(都)?不一|到底怎么办事|怎么办事的|退回(了)?(好几|三|两|几|多)次|(交|跑)了(好几|三|四|五|几)(次|趟)|敷衍|推诿|推脱|踢皮球|推来推去|扯皮|刁难|为难我|故意为难|不作为|乱收费|多收(钱|费)|收红包|红包|回扣|索贿|受贿|吃拿卡要|走后门|"
    r"(办事|效率|速度)(也|都|实在|真是)?(太|很|特别|真)?(慢|低)|(排|等)了(好|大半|半|一|两|三|四|五|几)?(个)?(多)?(小时|钟头|上午|下午|天)(多)?的?队?(还没|都没|也没|没人)|拖(了|延|拖拉拉)|一拖再拖|跑了.{0,3}趟|来回跑|让我跑|没人管|没人理|不满意|(一直|老是|总是|整天)占线|电话.{0,10}(都|也|还是|一直|总是|老是|根本|从来)(就)?没人接|(一直|总是|老是|根本|从来)(就)?没人接(电话)?|(电话)?(根本|总是|老是|一直)?(打不进去?|打不通)"
)
_BEHAVIOUR = re.compile(_CONDUCT)
# a line that never answers, with another number asked for (打不通，还有别的号码吗): the window's contacts, not a complaint
_ANOTHER_NUMBER = re.compile(
    r"(别的|其他|其它|另外的?|备用的?)(的)?(联系)?(号码|电话|方式)|换个(号码|电话)|\b(another|other|alternative) (number|phone)|"
    r"(电话|号码)(是)?多少.{0,6}(打不通|没人接|占线)|(打不通|没人接|占线).{0,10}(电话|号码)(是)?多少"
)
_REPORT_WORD = re.compile(r"投诉|举报|complain")
_COMPLAINT = re.compile(
    rf"投诉|举报|{_CONDUCT}|\bcomplain|\bcomplaint|\b(nobody|no one|no-one) (ever )?(picks up|answers)|\blaughed at me\b|\blaughed when\b|\bfilthy\b|\bcharged me for .{{0,30}}(never|didn'?t)\b|\bhung up on me\b|\bignored me\b|\b(dirty|filthy|unwashed|unsterili[sz]ed) (towels?|sheets|tools|instruments|needles|razors?|combs?|scissors|equipment|clippers)\b|\b(i'?m|i am) (furious|outraged|so angry|really angry)\b|\b(sheets?|towels?|room|bathroom|toilet|bed|floor|pillows?) (was|were|is|are) (so |very |really |absolutely |totally )?(dirty|filthy|stained|disgusting)\b|\bbed ?bugs\b|\bunacceptable\b|\brude\b|\bdisgusting\b|hadn'?t been (changed|cleaned|washed)|charged me (twice|double|too much)|didn'?t (even )?wash (his|her|their) hands|your staff (told|gave|sent) me the wrong|had to come back (twice|again|three times)|wasted my (time|day)|unfriendly|unprofessional|yell(ed|ing)? at|shout(ed|ing)? at|unfair|bribe|kickback|terrible service"
)
_STATUS = re.compile(
    r"进度|进展|处理得?怎么样|处理(结果|到哪)|办到哪|审(批|核)(得)?(怎么样|到哪|结果|好了没|通过了没)|(怎么样了|到哪一?步了|到哪了)$|有结果了?吗|(还没|还没有)(出来|下来)|(审核|审批)(通过|下来|完|好|过)(了)?(没有?|吗|么)|(办|弄|批|审)(好|完|下来)了(没有?|吗|么|没)|(能|可以)(去)?(拿|取|领)了(吗|么|没)|什么时候(答复|回复|处理)|查询?(我的)?(投诉|工单|案件|事项)|我的(投诉|工单|案件)|"
    r"(投诉|举报|反映|申请|材料|件|事情?|提交|递交|交上去).{0,12}(有|有没有|还没|还没有|(一直|还是|都)没(有)?)(回复|答复|结果|消息|回音|下文|人处理|动静)|"
    r"(申请|投诉|举报|材料|件|事情?).{0,8}(现在|目前)?(是)?(什么|啥)状态|"
    r"status|progress|my (case|complaint)|track|\bany (updates?|news)\b|\b(been approved|approved yet|been processed)\b|\bheard (back|nothing)\b"
)
# how long a reply takes in general (举报后多久会有回复) is the channels' time limit, not the status of one's own case
_HOW_LONG = re.compile(r"(多久|多长时间|几个?工作日|几天)(会|能|才能?|可以)?(有|给)?(回复|答复|结果|处理|回音)|how long (does|will|until)")
_MINE = re.compile(r"我的|我们的|我(上|前|昨|今)|我(提交|反映|投诉|举报|申请)的|\bmy\b|\bi (filed|sent|submitted|reported)\b")
_DATA = r"(数据|信息|资料|记录|隐私|账号|账户|聊天记录|对话记录|手机号码?|电话号码?|身份证号?|身份证照片|照片)"
_MY = r"(我的?|本人的?|我们的?|我(发|提供|上传|填|填写|留|给你们?)的)"
_DELETE = re.compile(
    rf"(删除|删掉|删了|清除|清空|抹掉|销毁|注销)(掉)?(我|我的|本人的?|个人的?)?(全部|所有|的)*(个人)?{_DATA}|"
    rf"(删除|删掉|清除|清空|注销)(掉)?(我|本人)(在)?(这里|这儿|这边|你们这里?|平台上?|系统里?)(留|填|提供)?的?(全部|所有)?(个人)?{_DATA}|"
    # what is kept about me: the privacy notice comes with the deletion offer
    rf"(会|是否|有没有|会不会)(保存|保留|存储|存|留存|记录|收集)(下)?{_MY}(个人)?{_DATA}|"
    rf"{_DATA}.{{0,12}}(会不会|会|是否|有没有|不会)(被)?(泄露|泄漏|外泄|泄密|流出|卖给|给别人|被别人|被人)|"
    rf"(会不会|会|是否|能不能|不会)(把|将)(我的?|本人的?){_DATA}.{{0,6}}(泄露|泄漏|外泄|卖|给别人|公开)|"
    rf"{_DATA}.{{0,10}}(你们)?(会|会不会|是否|有没有)(一直|永久|长期)?(保存|保留|存储|存|留存|记录)(吗|么|下来)?|"
    rf"{_DATA}.{{0,8}}(你们)?(拿去|拿来|用来)(干嘛|干什么|做什么)|{_DATA}.{{0,10}}(给|卖给|提供给|交给)(第三方|别人|其他人|其他单位)|{_DATA}.{{0,12}}(安全吗|安不安全|安全不)|{_DATA}.{{0,6}}(你们)?(存|保存|保留)(了)?(多久|多长时间|几年)|"
    rf"(收集|保存|要|存|记录)(我的?|本人的?){_DATA}.{{0,6}}(用来|干嘛|干什么|做什么|有什么用|用途)|"
    r"who (can|will|could) see (my|the) .{0,30}(i sent|i gave|i provided|data|information|details)|"
    r"(will|would|could) (my|the) (personal )?(data|information|info|details|id|passport|phone)( number)? .{0,20}(leak|be leaked|be shared|be sold)|"
    rf"(保存|保留|存储|收集|记录|掌握)了(我|本人)(哪些|什么|多少)(个人)?{_DATA}|"
    rf"(我|本人)的?(个人)?{_DATA}(你们)?(都)?(保存|保留|存储|存|收集|记录)了(哪些|什么|多少)|"
    r"(what|which) (personal )?(data|information|info|details) (do|did|will) you (keep|store|save|collect|have|hold)|"
    r"do you (keep|store|save|collect|record) (my|our|personal) (data|information|info|chats?|conversations?|messages)|"
    r"how long (do|will|would) you (keep|store|hold|retain|save) (my|our|the|personal)\b|"
    rf"(我|本人|个人).{{0,20}}{_DATA}.{{0,16}}(删除|删掉|删了|清除|清空|抹掉|销毁)|"
    rf"(不想|不要|别|不希望|不愿意|不同意)(让|被)?(你们|贵单位|系统|平台)?(再)?(保存|保留|存储|存着|存|留着|记录|收集|使用)(我的?|本人的?){_DATA}|"
    r"撤回(授权|同意)|撤销(授权|同意)|"
    r"(delete|erase|remove|wipe) (all )?(of )?(my (personal )?(data|information|info|account|details|records)|everything (you have )?(about|on|of) me)|"
    r"(delete|erase|remove|wipe) my (chat( history)?|messages|phone( number)?|number|id( number)?|passport( number)?|address|name)\b|forget me|erase my|withdraw (my )?consent|"
    r"what (do|will|would|did) you do with (my|our) (personal )?(data|information|info|details|phone|number|id|passport|messages)"
)
# whether the one who reports is protected (举报人信息会不会泄露): the supervision channels answer it, not the privacy notice
_REPORTER = re.compile(r"(举报|投诉|反映)人的?(个人)?(信息|身份|资料|隐私)|(举报|投诉).{0,20}(泄露|泄漏|曝光|报复|被知道|被发现)")
_CHITCHAT = re.compile(
    r"^(你是谁|你叫什么(名字)?|你是(不是)?(机器人|真人|ai|人工智能)|你几岁|你好笨|讲个笑话|说个笑话|唱首歌|tell me a joke|who are you|what is your name|are you a (bot|robot|human))[\s!！?？.。吗呀啊]*$"
)


@dataclass(frozen=True)
class Intent:
    """What the citizen wants, and the case number if they typed one (canonical form)."""

    name: str
    case_number: str | None = None
    malformed_number: bool = False


def canonical_case_number(text: str) -> str | None:
    """`ts20261201 0007` → `TS-20261201-0007`; None when the text holds no case number."""
    match = CASE_NUMBER.search(text)
    if not match:
        return None
    prefix, day, seq = match.groups()
    return f"{prefix.upper()}-{day}-{seq}"


def detect(text: str, synonyms: Synonyms | None = None) -> Intent:
    """Classify a citizen's message; anything not recognised here is a procedure question.

    With the knowledge base's `synonyms`, the typos it lists are put right first (投素 → 投诉, 电化 → 电话).
    """
    clean = normalize(text)
    if synonyms is not None:
        clean = synonyms.correct(clean)
    number = canonical_case_number(clean)
    if number:
        return Intent("case_status", number)
    if CASE_NUMBER_ATTEMPT.search(clean):
        return Intent("case_status", None, malformed_number=True)
    bare = clean.strip(" ?？!！.。,，~～")
    if _GREETING.match(bare):
        return Intent("greeting")
    if _GOODBYE.match(bare):
        return Intent("goodbye")
    if _MENU.match(bare) or _MENU_ASK.match(bare):
        return Intent("menu")
    if _CHITCHAT.match(bare):
        return Intent("unknown")
    if _DELETE.search(clean) and not _REPORTER.search(clean):
        return Intent("privacy")
    if _HANDOFF.search(clean):
        return Intent("handoff")
    general = bool(_HOW_LONG.search(clean)) and not _MINE.search(clean)
    if _STATUS.search(clean) and not general:
        return Intent("case_status")
    if general and not _BEHAVIOUR.search(clean):
        return Intent("procedure")
    meant = what_is_meant(clean)  # 不是投诉你们，是投诉一家诊所: what the complaint is not about is no target
    channel = _COMPLAINT_CONTACT.search(clean) or (_CHANNEL_ASK.search(clean) and not _AT_US.search(meant))
    if _COMPLAINT_INFO.search(meant) and (not _COMPLAINT_SELF.search(meant) or channel):
        return Intent("procedure")
    if _ANOTHER_NUMBER.search(clean) and not _REPORT_WORD.search(clean):
        return Intent("procedure")
    if _COMPLAINT.search(clean):
        return Intent("complaint")
    return Intent("procedure")
