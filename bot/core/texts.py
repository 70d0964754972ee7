"""Everything the bot says, in Chinese first and English; one place so wording stays consistent."""

from __future__ import annotations

STAFF_LANG = "zh"

TEXTS: dict[str, tuple[str, str]] = {
    "privacy_notice": (
        "【个人信息提示】{office}仅为办理您的咨询、投诉记录对话及您自愿提供的电话，保存{days}天；回复“删除我的数据”可随时删除。",
        '[Privacy] {office} keeps this conversation and any phone number you give only to handle your request, for {days} days; send "delete my data" to erase it.',
    ),
    "greeting": (
        "您好！欢迎来到{office}在线咨询台，请问有什么可以帮您？",
        "Hello! Welcome to the {office} online consultation desk. How can I help you?",
    ),
    "menu_prompt": (
        "您可以直接输入问题，例如“办健康证要带什么”，或选择：",
        'Type your question, for example "what do I need for a health certificate", or choose:',
    ),
    "menu_guide": ("办事指南", "Service guide"),
    "menu_complaint": ("我要投诉", "Make a complaint"),
    "menu_status": ("进度查询", "Check my case"),
    "menu_handoff": ("人工服务", "Talk to staff"),
    "goodbye": (
        "感谢您的咨询，祝您生活愉快，再见！如有需要随时联系我们。",
        "Thank you for contacting us. Goodbye, and feel free to come back any time.",
    ),
    "guide_intro": (
        "请直接输入您要办理的事项，例如“健康证”“公共场所卫生许可”“出生医学证明”。常办事项：",
        'Type the matter you need, e.g. "health certificate", "hygiene license", "birth certificate". Common ones:',
    ),
    "choose_procedure": ("您想了解的是以下哪一项？", "Which of these do you mean?"),
    "none_of_these": ("都不是", "None of these"),
    "unknown": (
        "抱歉，这个问题我暂时无法准确回答，以免误导您，我没有给出猜测的答案。您可以换个说法再问，或者选择：",
        "Sorry, I can't answer that reliably, so I won't guess. You can rephrase your question, or choose:",
    ),
    "unknown_contacts": ("也可以致电{phone}（{hours}）咨询。", "You can also call {phone} ({hours})."),
    "unsupported": (
        "抱歉，我暂时只能识别文字消息，请用文字输入您的问题。",
        "Sorry, I can only read text messages for now. Please type your question.",
    ),
    "empty": ("您好，消息似乎是空的，请输入您要咨询的问题。", "Your message seems to be empty. Please type your question."),
    "junk": (
        "抱歉，没能看懂您的消息，请用文字描述您要咨询的事项。",
        "Sorry, I couldn't understand that message. Please describe what you need in words.",
    ),
    "too_long": ("您的消息较长，我已按前{limit}字为您查询。", "Your message was long; I searched using its first {limit} characters."),
    "error": (
        "抱歉，系统处理您的消息时出现问题，已记录（编号{trace}）。请稍后再试，或回复“人工服务”。",
        'Sorry, something went wrong on our side (ref {trace}). Please try again shortly, or send "human".',
    ),
    "complaint_ask_what": (
        "很抱歉给您带来不便。请简要描述发生了什么（时间、地点、经过）：",
        "We're sorry for the trouble. Please describe what happened (when, where, what):",
    ),
    "complaint_ask_where": (
        "涉及哪个窗口或科室？不清楚可回复“跳过”。",
        'Which window or department was involved? Reply "skip" if you are not sure.',
    ),
    "complaint_ask_phone": (
        "如需我们电话回复，请留下手机号；不需要可回复“跳过”。",
        'If you would like a call back, leave a mobile number; otherwise reply "skip".',
    ),
    "complaint_bad_phone": (
        "手机号格式不正确，请输入11位手机号，例如13812345678，或回复“跳过”。",
        'That is not a valid mobile number. Please enter 11 digits, e.g. 13812345678, or reply "skip".',
    ),
    "complaint_too_long": (
        "您的描述共{total}字，超过单条{limit}字的上限；已记录前{limit}字，其余{rest}字未记录，可在提交后补充。",
        "Your description has {total} characters, above the {limit}-character limit; the first {limit} were kept and the remaining {rest} were not recorded. You can add them after submitting.",
    ),
    "complaint_empty": ("请用文字描述发生了什么，我们才能为您登记。", "Please describe in words what happened so we can register it."),
    "complaint_summary": (
        "请确认您的投诉：\n事由：{what}\n涉及窗口/科室：{where}\n回电号码：{phone}\n附件：{files}个",
        "Please confirm your complaint:\nWhat happened: {what}\nWindow/department: {where}\nCall-back number: {phone}\nAttachments: {files}",
    ),
    "not_given": ("未提供", "not given"),
    "confirm": ("确认提交", "Submit"),
    "edit": ("重新填写", "Start over"),
    "cancel": ("取消", "Cancel"),
    "complaint_cancelled": (
        "已取消，本次投诉未登记。还有什么可以帮您？",
        "Cancelled; nothing was registered. Anything else I can help with?",
    ),
    "complaint_filed": (
        "您的投诉已登记，编号 {number}。我们将在{days}个工作日内（{due}前）答复您。可随时发送编号查询进度。",
        "Your complaint is registered as {number}. We will answer within {days} working days (by {due}). Send the number at any time to check progress.",
    ),
    "attachment_saved": (
        "已收到附件（共{count}个），将作为证据随投诉一并登记。",
        "Attachment received ({count} so far); it will be kept as evidence with the complaint.",
    ),
    "attachment_limit": ("附件最多{limit}个，这个未保存。", "At most {limit} attachments; this one was not saved."),
    "handoff_open": (
        "已为您转接人工服务（编号 {number}），工作人员将尽快回复您，通常在{minutes}分钟内。",
        "You are now in the queue for a member of staff (ref {number}). Someone will reply soon, usually within {minutes} minutes.",
    ),
    "handoff_closed_hours": (
        "已为您转接人工服务（编号 {number}）。现在是非办公时间，工作人员将于{opening}上班后回复您。",
        "You are in the queue for a member of staff (ref {number}). We are closed now; staff will reply after we open at {opening}.",
    ),
    "handoff_auto": ("这个问题我没能回答，已为您转给工作人员。", "I couldn't answer this, so I've passed you to a member of staff."),
    "handoff_ack": ("已收到，已转达给工作人员，请稍候。", "Received and passed to staff; please wait a moment."),
    "status_none": (
        "您目前没有正在办理的事项。如需投诉或咨询，请直接告诉我。",
        "You have no open cases. Tell me if you want to ask something or make a complaint.",
    ),
    "status_list": ("您正在办理的事项：", "Your open cases:"),
    "status_line": ("{number}（{type}）：{status}，答复期限 {due}", "{number} ({type}): {status}, answer due {due}"),
    "status_not_found": (
        "未找到编号为 {number} 的事项，请核对编号（格式如 TS-20260318-0007）。",
        "No case {number} was found. Please check the number (format TS-20260318-0007).",
    ),
    "status_malformed": (
        "未找到该编号，请核对编号（格式如 TS-20260318-0007）。",
        "No such case was found. Please check the number (format TS-20260318-0007).",
    ),
    "status_detail": (
        "{number}（{type}）\n状态：{status}\n受理时间：{created}\n答复期限：{due}{extra}",
        "{number} ({type})\nStatus: {status}\nReceived: {created}\nAnswer due: {due}{extra}",
    ),
    "status_resolution": ("\n处理结果：{resolution}", "\nOutcome: {resolution}"),
    "delete_confirm": (
        "确认删除您的个人信息和对话记录吗？删除后无法恢复；已登记的事项将匿名保留用于统计。",
        "Delete your personal data and conversation history? This cannot be undone; registered cases are kept anonymised for statistics.",
    ),
    "delete_yes": ("确认删除", "Delete"),
    "deleted": (
        "您的个人信息和对话记录已删除。感谢您的使用。",
        "Your personal data and conversation history have been deleted. Thank you.",
    ),
    "delete_cancelled": ("已取消，未删除任何信息。", "Cancelled; nothing was deleted."),
    "staff_reply": ("【{who}】{text}", "[{who}] {text}"),
    "case_transferred": (
        "您的事项 {number} 已转交{to}办理，原因：{reason}。",
        "Your case {number} has been transferred to {to}. Reason: {reason}.",
    ),
    "case_waiting": ("您的事项 {number} 需要您补充信息：{text}", "Your case {number} needs more information from you: {text}"),
    "case_resolved": ("您的事项 {number} 已办结。处理结果：{summary}", "Your case {number} has been resolved. Outcome: {summary}"),
    "case_reopened": (
        "您的事项 {number} 已重新办理，新的答复期限为 {due}。",
        "Your case {number} has been reopened; the new answer date is {due}.",
    ),
    "type_consultation": ("咨询", "consultation"),
    "type_complaint": ("投诉", "complaint"),
    "type_rectification": ("整改", "rectification"),
    "status_new": ("待受理", "received"),
    "status_assigned": ("已受理", "assigned"),
    "status_in_progress": ("办理中", "in progress"),
    "status_waiting": ("待您补充材料", "waiting for you"),
    "status_resolved": ("已办结", "resolved"),
    "status_closed": ("已关闭", "closed"),
    # Telegram: the command menu (setMyCommands) and the staff forum group
    "cmd_start": ("开始咨询 / 主菜单", "Start / main menu"),
    "cmd_help": ("使用帮助", "Help"),
    "cmd_status": ("查询办理进度", "Check my case"),
    "cmd_delete": ("删除我的数据", "Delete my data"),
    "staff_topic_help": (
        "在本话题中直接发言即回复市民；命令：/take 受理，/note 内部备注，/transfer 姓名或部门 原因，/wait 需补充的内容，/resolve 处理结果，/reopen 原因",
        "Write here to answer the citizen; commands: /take, /note TEXT, /transfer NAME|DEPARTMENT REASON, /wait TEXT, /resolve SUMMARY, /reopen REASON",
    ),
    "staff_button_take": ("受理", "Take"),
    "staff_button_resolve": ("办结", "Resolve"),
    "staff_open_topic": ("打开 {number} 话题", "Open the {number} topic"),
    "staff_mirror_citizen": ("【市民】{text}", "[Citizen] {text}"),
    "staff_content_withheld": (
        "（内容不在此转发，请在事项记录中查看：cases show / cases reveal）",
        "(content not relayed here; read it in the case record: cases show / cases reveal)",
    ),
    "staff_mirror_files": ("（附件{count}个，原件见事项记录）", "({count} attachment(s), kept on the case)"),
    "staff_mirror_taken": ("{who} 已受理{text}", "{who} took the case{text}"),
    "staff_mirror_replied": ("【{who} 回复市民】{text}", "[{who} to the citizen] {text}"),
    "staff_mirror_note": ("【{who} 内部备注】{text}", "[{who}, internal note] {text}"),
    "staff_mirror_transferred": ("{who} 转办：{text}", "{who} transferred: {text}"),
    "staff_mirror_waiting": ("{who} 请市民补充：{text}", "{who} asked the citizen for: {text}"),
    "staff_mirror_reopened": ("{who} 重新办理：{text}", "{who} reopened: {text}"),
    "staff_mirror_resolved": ("已办结，处理结果：{text}", "Resolved: {text}"),
    "staff_done_replied": ("已转达市民（署名：{who}）", "Sent to the citizen (signed {who})"),
    "staff_done_note": ("内部备注已记录，市民不可见", "Internal note saved; the citizen does not see it"),
    "staff_done_resolved": ("{who} 已办结，已告知市民", "{who} resolved the case; the citizen was told"),
    "staff_refused": ("您不是已登记的工作人员，消息未转达，也无权办理。", "You are not registered as staff: nothing was relayed or done."),
    "staff_no_topic": ("请在事项话题内使用该命令。", "Use this command inside a case topic."),
    "staff_case_gone": ("该事项已不存在。", "This case no longer exists."),
    "staff_text_only": ("仅文字消息会转达给市民，请用文字回复。", "Only text is relayed to the citizen; please reply in words."),
    "staff_resolve_hint": ("请在话题中发送 /resolve 处理结果", "Send /resolve SUMMARY in the topic"),
    "staff_usage": (
        "命令：/take，/note 内容，/transfer 姓名或部门 原因，/wait 内容，/resolve 处理结果，/reopen 原因",
        "Commands: /take, /note TEXT, /transfer NAME|DEPARTMENT REASON, /wait TEXT, /resolve SUMMARY, /reopen REASON",
    ),
    "survey_ask": (
        "您好！您的事项 {number} 已办结，请对本次服务进行评价（好差评）：",
        "Hello! Your case {number} has been resolved. How satisfied are you with our service?",
    ),
    "survey_callback_ask": (
        "您好！针对您此前的评价，我们已完成整改（编号 {number}）：{resolution}\n请对整改结果进行评价：",
        "Hello! Following your earlier rating we have looked into it (ref {number}): {resolution}\nHow satisfied are you with the outcome?",
    ),
    "survey_reminder": (
        "温馨提示：您还没有对事项 {number} 的办理进行评价，您的意见对我们很重要，请选择：",
        "A gentle reminder: you have not yet rated how we handled case {number}. Your view matters to us; please choose:",
    ),
    "survey_very_satisfied": ("非常满意", "Very satisfied"),
    "survey_satisfied": ("满意", "Satisfied"),
    "survey_fairly_satisfied": ("基本满意", "Fairly satisfied"),
    "survey_dissatisfied": ("不满意", "Dissatisfied"),
    "survey_very_dissatisfied": ("非常不满意", "Very dissatisfied"),
    "survey_thanks": (
        "感谢您的评价（{level}）！如有意见或建议，请直接回复留言；不需要可回复“跳过”。",
        'Thank you for your rating ({level})! If you would like to add a comment, just reply; otherwise reply "skip".',
    ),
    "survey_bad_review": (
        "很抱歉让您不满意（{level}）。我们已登记整改（编号 {number}），将在{days}个工作日内（{due}前）核实整改并回访您。"
        "如愿意，请回复说明不满意的地方；不需要可回复“跳过”。",
        "We are sorry we did not satisfy you ({level}). We have opened a review (ref {number}) and will look into it and call you back "
        'within {days} working days (by {due}). If you like, reply to tell us what went wrong; otherwise reply "skip".',
    ),
    "survey_still_unhappy": (
        "很抱歉整改结果仍未让您满意（{level}），已转报负责人跟进。如愿意，请回复说明原因；不需要可回复“跳过”。",
        'We are sorry the outcome still does not satisfy you ({level}); a supervisor has been told. Reply to tell us why, or reply "skip".',
    ),
    "survey_already_rated": (
        "您已评价过该事项（{level}），每个事项只能评价一次，感谢您的反馈！",
        "You have already rated this case ({level}); each case can be rated once. Thank you for your feedback!",
    ),
    "survey_closed": (
        "该回访已结束，感谢您的关注！如有新的问题，请直接告诉我。",
        "This survey has closed. Thank you! If there is anything new, just tell me.",
    ),
    "survey_not_found": (
        "抱歉，没有找到这份回访，可能已失效。如有问题，请直接告诉我。",
        "Sorry, that survey could not be found; it may have expired. If you need anything, just tell me.",
    ),
    "survey_comment_saved": (
        "您的意见已记录，感谢您帮助我们改进工作！",
        "Your comment has been recorded. Thank you for helping us improve!",
    ),
    "survey_comment_skipped": (
        "好的，感谢您的评价！还有什么可以帮您？",
        "All right, thank you for your rating! Anything else I can help with?",
    ),
    # ---- staff-facing: casework errors (shown as "中文 / English"), alerts, cards, digest, system notes ----
    "err_no_staff_given": ("未指明工作人员", "no staff member given"),
    "err_not_staff": ("您不是已登记的工作人员，无权办理", "not a registered staff member"),
    "err_no_case": ("未找到事项 {number}", "no case {number}"),
    "err_case_closed": ("事项 {number} 已办结，请先重新打开", "case {number} is {status}: reopen it first"),
    "err_already_taken": ("事项 {number} 已由 {holder} 受理", "case {number} was already taken by {holder}"),
    "err_not_assignee": ("事项 {number} 不是由您承办", "you are not the assignee of {number}"),
    "err_held_by_other": ("事项 {number} 由 {holder} 承办，您无权办理", "case {number} is held by {holder}: you are not the assignee"),
    "err_empty_reply": ("回复内容为空", "empty reply"),
    "err_empty_note": ("备注内容为空", "empty note"),
    "err_transfer_reason": ("转办需说明原因", "a transfer needs a reason"),
    "err_transfer_target": ("转办需指明人员或科室", "a transfer needs a person or department"),
    "err_already_waiting": ("事项 {number} 已在等待补充", "case {number} is already waiting"),
    "err_not_waiting": ("事项 {number} 不在等待状态", "case {number} is not waiting"),
    "err_resolution_needed": ("办结需填写处理结果", "a resolution needs a summary"),
    "err_still_open": ("事项 {number} 尚未办结", "case {number} is still open"),
    "err_anonymised": ("事项 {number} 已匿名化，无法重新办理", "case {number} was anonymised"),
    "err_close_unresolved": ("事项 {number} 未办结，不能关闭", "only resolved cases close"),
    "err_unknown_verb": ("未知操作 {verb}", "unknown action {verb}"),
    "err_no_rating": ("事项 {number} 没有已评价的回访", "case {number} has no rating to appeal"),
    "err_appeal_type": ("申诉类型应为 {types}", "unknown appeal type: use {types}"),
    "err_appeal_reason": ("申诉需说明理由", "an appeal needs a reason"),
    "err_appeal_exists": ("事项 {number} 的评价已在申诉中或已认定", "the rating of {number} is already {status}"),
    "err_supervisors_decide": ("只有科室负责人或领导可以认定申诉", "only supervisors decide appeals"),
    "err_no_open_appeal": ("事项 {number} 没有待认定的申诉", "case {number} has no open appeal"),
    "someone_else": ("他人", "someone else"),
    "unassigned": ("未分配", "unassigned"),
    "no_department": ("未指定", "not set"),
    "alert_new_complaint": ("新投诉", "New complaint"),
    "alert_unassigned": ("人工咨询无人接待", "Handoff not taken"),
    "alert_reminder": ("提醒：明日到期", "Reminder: due tomorrow"),
    "alert_overdue": ("催办：已超期", "Overdue"),
    "alert_supervise": ("督办：严重超期", "Seriously overdue"),
    "alert_rectification": ("差评整改", "Bad review: rectification"),
    "alert_delivery_failed": ("消息未送达", "Message not delivered"),
    "alert_calendar_missing": ("节假日数据缺失", "Holiday data missing"),
    "alert_outbox_unknown": ("消息发送状态未知", "Delivery state unknown"),
    "card_number": ("编号：{value}", "Case: {value}"),
    "card_type": ("类型：{value}", "Type: {value}"),
    "card_assignee": ("承办人：{value}", "Assignee: {value}"),
    "card_department": ("部门：{value}", "Department: {value}"),
    "card_due": ("答复期限：{value}", "Due: {value}"),
    "card_summary": ("摘要：{value}", "Summary: {value}"),
    "card_place": ("地点/窗口：{value}", "Place/window: {value}"),
    "card_phone": ("回电号码：{value}", "Call-back number: {value}"),
    "card_files": ("附件：{value}个（原件见事项记录）", "Attachments: {value} (kept on the case)"),
    "card_channel": ("来源渠道：{value}", "Channel: {value}"),
    "note_undelivered": ("未送达（{channel}）：{error}\n内容：{text}", "Not delivered ({channel}): {error}\nText: {text}"),
    "note_outbox_unknown": (
        "{count} 条消息在发送中途进程中断，状态未知，请人工核实（cases/outbox 状态 unknown）。",
        "{count} message(s) were cut off mid-send by a stopped process; check them by hand (outbox unknown).",
    ),
    "note_calendar_missing": (
        "{year}年节假日数据缺失：期限暂按周一至周五估算，请在 knowledge/workdays.yaml 录入国务院通知。",
        "No holiday data for {year}: deadlines are estimated Monday to Friday; enter the State Council notice in knowledge/workdays.yaml.",
    ),
    "rectification_description": (
        "差评整改：原事项 {number}（承办：{owner}）评价为“{level}”，请核实整改并回访。",
        "Bad review: case {number} (handled by {owner}) was rated “{level}”; verify, rectify and call the citizen back.",
    ),
    "rectification_summary": ("差评整改 {number}：{level}", "Rectification {number}: {level}"),
    "rectification_alert": (
        "原事项 {number}（承办人 {owner}）收到差评：{level}",
        "Case {number} (handled by {owner}) got a bad review: {level}",
    ),
    "rectification_still_bad": (
        "整改回访仍不满意：{level}（原事项见关联编号）",
        "Still dissatisfied after rectification: {level} (see the linked case)",
    ),
    "closed_by_rating": ("好差评：{level}", "Rated: {level}"),
    "closed_unrated": ("回访未评价，按未评价关闭", "Survey not answered: closed unrated"),
    "digest_title": ("【每日服务简报】{day}", "[Daily service digest] {day}"),
    "digest_yesterday": (
        "昨日（{day}）：受理 {opened} 件，办结 {resolved} 件，按时办结率 {on_time}",
        "Yesterday ({day}): {opened} received, {resolved} resolved, {on_time} on time",
    ),
    "digest_surveys": (
        "回访 {sent} 条，响应率 {response}，满意率 {satisfaction}",
        "{sent} surveys, {response} answered, {satisfaction} satisfied",
    ),
    "digest_bad": (
        "差评 {bad} 条，整改按时率 {rectified}，差评回访率 {callbacks}",
        "{bad} bad reviews, {rectified} rectified on time, {callbacks} called back",
    ),
    "digest_escalations": (
        "升级：提醒 {reminder}，催办 {overdue}，督办 {supervise}",
        "Escalations: {reminder} reminders, {overdue} overdue, {supervise} supervised",
    ),
    "digest_now": (
        "当前：未办结 {open} 件，其中超期 {overdue} 件；待评价回访 {awaiting} 条",
        "Now: {open} open, {overdue} overdue; {awaiting} surveys awaiting a rating",
    ),
    "digest_unknown": (
        "注意：{count} 条消息发送状态未知，请核实（python -m bot outbox unknown）",
        "Note: {count} message(s) in unknown delivery state (python -m bot outbox unknown)",
    ),
    "numbered_hint": ("（回复数字选择）", "(reply with a number)"),
    "menu_more": ("更多服务", "More"),
    "console_banner": ("咨询台 Consult Desk — 输入问题开始咨询，Ctrl-D 退出", "Consult Desk — type a question, Ctrl-D to quit"),
    "console_alert": ("[提醒 → {recipient}] {text}", "[Alert → {recipient}] {text}"),
    "anonymised": ("（已应申请删除个人信息）", "(personal data deleted on request)"),
    "report_title": ("服务质量报告 {start} – {end}（截至 {as_of}）", "Service report {start} – {end} (as of {as_of})"),
    "report_overall": ("总体", "Overall"),
    "report_departments": ("科室", "Departments"),
    "report_staff": ("工作人员", "Staff"),
    "report_opened": ("受理", "opened"),
    "report_resolved": ("办结", "resolved"),
    "report_on_time_rate": ("按时办结率", "on-time"),
    "report_median_first_response_hours": ("首次响应中位数(工作小时)", "first response (working hours)"),
    "report_median_resolution_hours": ("办结时长中位数(工作小时)", "resolution (working hours)"),
    "report_response_rate": ("回访响应率", "survey response"),
    "report_satisfaction_rate": ("满意率", "satisfaction"),
    "report_bad_reviews": ("差评", "bad reviews"),
    "report_rectification_on_time_rate": ("差评整改按时率", "rectification on-time"),
    "report_callback_rate": ("差评回访率(须100%)", "call-back (must be 100%)"),
    "report_appeals_upheld": ("申诉成立(不计入)", "appeals upheld (excluded)"),
    "report_escalations": ("升级(提醒/催办/督办)", "escalations (reminder/overdue/supervise)"),
    "report_unknown": (
        "{count} 条消息发送状态未知，请核实：python -m bot outbox unknown",
        "{count} message(s) in unknown delivery state: python -m bot outbox unknown",
    ),
    "handoff_summary": ("转人工", "handoff"),
    # knowledge answers
    "faq_answer": (
        "【{title}】\n问：{q}\n答：{a}\n\n完整办事指南请回复 1。",
        "[{title}]\nQ: {q}\nA: {a}\n\nFor the complete guide, reply 1.",
    ),
    "full_guide": ("完整办事指南", "Complete guide"),
    "best_guesses": (
        "抱歉，我不太确定您问的是哪一项。您是不是想问：",
        "Sorry, I'm not sure which procedure you mean. Did you mean:",
    ),
    "ask_again_label": ("重新提问", "Ask again"),
    "ask_again_prompt": (
        "好的，请换个说法再问一次，比如说明要办的事项名称（如“健康证”“卫生许可证”）。",
        'All right, please ask again in other words, naming the procedure if you can (e.g. "health certificate").',
    ),
    # knowledge gaps
    "gaps_none": ("没有未能确定回答的问题", "No questions left unanswered"),
    "gaps_header": ("编号  次数  最近提问时间  问题（机器人的猜测）", "id  count  last asked  question (the bot's guess)"),
}


def t(key: str, lang: str, **values: object) -> str:
    """The text for `key` in `lang` (zh or en), with values filled in."""
    zh, en = TEXTS[key]
    template = en if lang == "en" else zh
    return template.format(**values) if values else template


def both(key: str, **values: object) -> str:
    """The text in Chinese and English, as staff-facing errors show it: "中文 / English"."""
    return f"{t(key, 'zh', **values)} / {t(key, 'en', **values)}"


def staff_text(key: str, **values: object) -> str:
    """A staff-facing text in the staff's working language (Chinese)."""
    return t(key, STAFF_LANG, **values)
