"""Everything the bot says, in Chinese first and English; one place so wording stays consistent."""
from __future__ import annotations

TEXTS: dict[str, tuple[str, str]] = {
    "privacy_notice": (
        "【个人信息提示】本服务由{office}提供。为办理您的咨询和投诉，我们仅记录对话内容及您自愿提供的联系电话，"
        "保存不超过{days}天，仅用于办理和回访；回复“删除我的数据”可随时删除。",
        "[Privacy] This service is run by {office}. To handle your questions and complaints we keep only the "
        "conversation and any phone number you choose to give, for at most {days} days, used only to handle and "
        'follow up your matter. Send "delete my data" at any time to erase it.',
    ),
    "greeting": ("您好！欢迎来到{office}在线咨询台，请问有什么可以帮您？", "Hello! Welcome to the {office} online consultation desk. How can I help you?"),
    "menu_prompt": ("您可以直接输入问题，例如“办健康证要带什么”，或选择：", 'Type your question, for example "what do I need for a health certificate", or choose:'),
    "menu_guide": ("办事指南", "Service guide"),
    "menu_complaint": ("我要投诉", "Make a complaint"),
    "menu_status": ("进度查询", "Check my case"),
    "menu_handoff": ("人工服务", "Talk to staff"),
    "goodbye": ("感谢您的咨询，祝您生活愉快，再见！如有需要随时联系我们。", "Thank you for contacting us. Goodbye, and feel free to come back any time."),
    "guide_intro": ("请直接输入您要办理的事项，例如“健康证”“公共场所卫生许可”“出生医学证明”。常办事项：", 'Type the matter you need, e.g. "health certificate", "hygiene license", "birth certificate". Common ones:'),
    "choose_procedure": ("您想了解的是以下哪一项？", "Which of these do you mean?"),
    "none_of_these": ("都不是", "None of these"),
    "unknown": (
        "抱歉，这个问题我暂时无法准确回答，以免误导您，我没有给出猜测的答案。您可以换个说法再问，或者选择：",
        "Sorry, I can't answer that reliably, so I won't guess. You can rephrase your question, or choose:",
    ),
    "unknown_contacts": ("也可以致电{phone}（{hours}）咨询。", "You can also call {phone} ({hours})."),
    "unsupported": ("抱歉，我暂时只能识别文字消息，请用文字输入您的问题。", "Sorry, I can only read text messages for now. Please type your question."),
    "empty": ("您好，消息似乎是空的，请输入您要咨询的问题。", "Your message seems to be empty. Please type your question."),
    "junk": ("抱歉，没能看懂您的消息，请用文字描述您要咨询的事项。", "Sorry, I couldn't understand that message. Please describe what you need in words."),
    "too_long": ("您的消息较长，我已按前{limit}字为您查询。", "Your message was long; I searched using its first {limit} characters."),
    "error": ("抱歉，系统处理您的消息时出现问题，已记录（编号{trace}）。请稍后再试，或回复“人工服务”。", 'Sorry, something went wrong on our side (ref {trace}). Please try again shortly, or send "human".'),
    "complaint_ask_what": ("很抱歉给您带来不便。请简要描述发生了什么（时间、地点、经过）：", "We're sorry for the trouble. Please describe what happened (when, where, what):"),
    "complaint_ask_where": ("涉及哪个窗口或科室？不清楚可回复“跳过”。", 'Which window or department was involved? Reply "skip" if you are not sure.'),
    "complaint_ask_phone": ("如需我们电话回复，请留下手机号；不需要可回复“跳过”。", 'If you would like a call back, leave a mobile number; otherwise reply "skip".'),
    "complaint_bad_phone": ("手机号格式不正确，请输入11位手机号，例如13812345678，或回复“跳过”。", 'That is not a valid mobile number. Please enter 11 digits, e.g. 13812345678, or reply "skip".'),
    "complaint_too_long": (
        "您的描述共{total}字，超过单条{limit}字的上限；已记录前{limit}字，其余{rest}字未记录，可在提交后补充。",
        "Your description has {total} characters, above the {limit}-character limit; the first {limit} were kept and the remaining {rest} were not recorded. You can add them after submitting.",
    ),
    "complaint_empty": ("请用文字描述发生了什么，我们才能为您登记。", "Please describe in words what happened so we can register it."),
    "complaint_summary": ("请确认您的投诉：\n事由：{what}\n涉及窗口/科室：{where}\n回电号码：{phone}\n附件：{files}个", "Please confirm your complaint:\nWhat happened: {what}\nWindow/department: {where}\nCall-back number: {phone}\nAttachments: {files}"),
    "not_given": ("未提供", "not given"),
    "confirm": ("确认提交", "Submit"),
    "edit": ("重新填写", "Start over"),
    "cancel": ("取消", "Cancel"),
    "complaint_cancelled": ("已取消，本次投诉未登记。还有什么可以帮您？", "Cancelled; nothing was registered. Anything else I can help with?"),
    "complaint_filed": (
        "您的投诉已登记，编号 {number}。我们将在{days}个工作日内（{due}前）答复您。可随时发送编号查询进度。",
        "Your complaint is registered as {number}. We will answer within {days} working days (by {due}). Send the number at any time to check progress.",
    ),
    "attachment_saved": ("已收到附件（共{count}个），将作为证据随投诉一并登记。", "Attachment received ({count} so far); it will be kept as evidence with the complaint."),
    "attachment_limit": ("附件最多{limit}个，这个未保存。", "At most {limit} attachments; this one was not saved."),
    "handoff_open": ("已为您转接人工服务（编号 {number}），工作人员将尽快回复您，通常在{minutes}分钟内。", "You are now in the queue for a member of staff (ref {number}). Someone will reply soon, usually within {minutes} minutes."),
    "handoff_closed_hours": ("已为您转接人工服务（编号 {number}）。现在是非办公时间，工作人员将于{opening}上班后回复您。", "You are in the queue for a member of staff (ref {number}). We are closed now; staff will reply after we open at {opening}."),
    "handoff_auto": ("这个问题我没能回答，已为您转给工作人员。", "I couldn't answer this, so I've passed you to a member of staff."),
    "handoff_ack": ("已收到，已转达给工作人员，请稍候。", "Received and passed to staff; please wait a moment."),
    "status_none": ("您目前没有正在办理的事项。如需投诉或咨询，请直接告诉我。", "You have no open cases. Tell me if you want to ask something or make a complaint."),
    "status_list": ("您正在办理的事项：", "Your open cases:"),
    "status_line": ("{number}（{type}）：{status}，答复期限 {due}", "{number} ({type}): {status}, answer due {due}"),
    "status_not_found": ("未找到编号为 {number} 的事项，请核对编号（格式如 TS-20261201-0001）。", "No case {number} was found. Please check the number (format TS-20261201-0001)."),
    "status_malformed": ("未找到该编号，请核对编号（格式如 TS-20261201-0001）。", "No such case was found. Please check the number (format TS-20261201-0001)."),
    "status_detail": ("{number}（{type}）\n状态：{status}\n受理时间：{created}\n答复期限：{due}{extra}", "{number} ({type})\nStatus: {status}\nReceived: {created}\nAnswer due: {due}{extra}"),
    "status_resolution": ("\n处理结果：{resolution}", "\nOutcome: {resolution}"),
    "delete_confirm": (
        "确认删除您的个人信息和对话记录吗？删除后无法恢复；已登记的事项将匿名保留用于统计。",
        "Delete your personal data and conversation history? This cannot be undone; registered cases are kept anonymised for statistics.",
    ),
    "delete_yes": ("确认删除", "Delete"),
    "deleted": ("您的个人信息和对话记录已删除。感谢您的使用。", "Your personal data and conversation history have been deleted. Thank you."),
    "delete_cancelled": ("已取消，未删除任何信息。", "Cancelled; nothing was deleted."),
    "staff_reply": ("【{who}】{text}", "[{who}] {text}"),
    "case_transferred": ("您的事项 {number} 已转交{to}办理，原因：{reason}。", "Your case {number} has been transferred to {to}. Reason: {reason}."),
    "case_waiting": ("您的事项 {number} 需要您补充信息：{text}", "Your case {number} needs more information from you: {text}"),
    "case_resolved": ("您的事项 {number} 已办结。处理结果：{summary}", "Your case {number} has been resolved. Outcome: {summary}"),
    "case_reopened": ("您的事项 {number} 已重新办理，新的答复期限为 {due}。", "Your case {number} has been reopened; the new answer date is {due}."),
    "type_consultation": ("咨询", "consultation"),
    "type_complaint": ("投诉", "complaint"),
    "type_rectification": ("整改", "rectification"),
    "status_new": ("待受理", "received"),
    "status_assigned": ("已受理", "assigned"),
    "status_in_progress": ("办理中", "in progress"),
    "status_waiting": ("待您补充材料", "waiting for you"),
    "status_resolved": ("已办结", "resolved"),
    "status_closed": ("已关闭", "closed"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (zh or en), with values filled in."""
    zh, en = TEXTS[key]
    template = en if lang == "en" else zh
    return template.format(**values) if values else template
