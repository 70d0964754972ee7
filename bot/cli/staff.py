"""Operator and staff commands: `staff add|list|password|disable|enable`, `cases list|show` and the staff actions on a case (incl. `callback`)."""

from __future__ import annotations

import getpass
import json
import sys

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.cli.output import case_record, case_table
from bot.core.printable import printable
from bot.core.texts import both, staff_text
from bot.office import accounts, casework, staff_verbs
from bot.storage.models import Case, Staff

ROLES = ("staff", "supervisor", "leader")
FIELD_HELP = {
    "text": "the words that go with the action (what the citizen is told, or the internal note)",
    "target": "a staff member's name (they become the assignee) or a department (the case returns to its queue)",
    "reason": "why (internal: staff see it, the citizen does not)",
}
STATUSES = ("new", "assigned", "in_progress", "waiting", "resolved", "closed")


async def _staff_add(app, args) -> int:
    args.name = args.name.strip()
    if not args.name:
        print("staff add: --name: must not be empty", file=sys.stderr)
        return 2
    async with app.sessions() as session:
        try:
            async with session.begin():
                session.add(
                    Staff(
                        name=args.name,
                        role=args.role,
                        department=args.department,
                        title=args.title,
                        telegram_id=args.telegram_id,
                        wechat_openid=args.wechat_openid,
                        active=True,
                        created_at=app.clock.now(),
                    )
                )
        except IntegrityError:
            print("staff add: a staff member with that name, Telegram id or WeChat openid exists already", file=sys.stderr)
            return 1
    print(f"registered {args.name} as {args.role}" + (f" ({args.department})" if args.department else ""))
    return 0


async def _staff_list(app, args) -> int:
    async with app.sessions() as session:
        for staff in await session.scalars(select(Staff).order_by(Staff.id)):
            reach = (
                ", ".join(x for x in (staff.telegram_id and f"telegram {staff.telegram_id}", staff.wechat_openid and "wechat") if x)
                or "log only"
            )
            print(f"{staff.name}\t{staff.role}\t{staff.department or '-'}\t{reach}\t{'active' if staff.active else 'inactive'}")
    return 0


def read_new_password(stdin=None) -> str | None:
    """The new password: asked twice (hidden) on a terminal, one line when piped; None when the two differ."""
    stdin = stdin or sys.stdin
    if stdin.isatty():
        first = getpass.getpass(both("prompt_new_password") + ": ")
        second = getpass.getpass(both("prompt_password_again") + ": ")
        return first if first == second else None
    return stdin.readline().rstrip("\r\n")


async def _staff_password(app, args) -> int:
    password = read_new_password()
    if password is None:
        print("staff password: the two entries differ; nothing changed", file=sys.stderr)
        return 1
    try:
        accounts.check_password_rules(password)
    except accounts.AccountError as exc:
        print(f"staff password: {exc}", file=sys.stderr)
        return 1
    async with app.sessions() as session, session.begin():
        staff = await accounts.find_staff(session, args.name)
        if staff is None:
            print(f"staff password: no staff member named {args.name!r}", file=sys.stderr)
            return 1
        await accounts.set_password(session, staff, password, app.clock.now(), actor="cli")
    print(f"password set for {staff.name}")
    return 0


async def _staff_switch(app, args) -> int:
    async with app.sessions() as session, session.begin():
        staff = await accounts.find_staff(session, args.name)
        if staff is None:
            print(f"staff {args.staff_command}: no staff member named {args.name!r}", file=sys.stderr)
            return 1
        if args.staff_command == "enable":
            await accounts.enable(session, staff, app.clock.now(), actor="cli")
            print(f"{staff.name} enabled")
            return 0
        flagged = await accounts.disable(session, staff, app.clock.now(), actor="cli")
    print(f"{staff.name} disabled; sessions ended" + (f"; open cases flagged for reassignment: {', '.join(flagged)}" if flagged else ""))
    return 0


async def _cases_list(app, args) -> int:
    async with app.sessions() as session:
        query = select(Case).order_by(Case.created_at.desc(), Case.id.desc()).limit(args.limit)
        if args.status:
            query = query.where(Case.status == args.status)
        records = [await case_record(session, c, app.settings.tz) for c in await session.scalars(query)]
    print(json.dumps(records, ensure_ascii=False, indent=2) if args.json else printable(case_table(records)))
    return 0


async def _cases_show(app, args) -> int:
    async with app.sessions() as session:
        case = await session.scalar(select(Case).where(Case.number == args.number.strip().upper()))
        if case is None:
            print(f"cases show: no case {args.number}", file=sys.stderr)
            return 1
        record = await case_record(session, case, app.settings.tz, history=True)
    if args.json:
        print(json.dumps(record, ensure_ascii=False, indent=2))
    else:
        for key, value in record.items():
            if key not in ("history", "messages"):
                print(printable(f"{key}: {value if value is not None else '-'}"))
        print("history:")
        for event in record["history"]:
            print(printable(f"  {event['at']}  {event['actor']}  {event['action']}  {event['detail']}"))
        print("messages:")
        for line in record["messages"]:
            marker = staff_text("internal_note_marker") if line["from"] == "note" else ""
            print(printable(f"  {line['at']}  [{line['from']}] {line['author']}{marker}: {line['text']}"))
    return 0


async def _staff_action(app, args) -> int:
    now = app.clock.now()
    services = app.services
    try:
        async with app.sessions() as session, session.begin():
            staff = await casework.require_staff(session, name=args.as_name)
            act = staff_verbs.Act(args.action, args.number, text=args.text, target=getattr(args, "target", "") or "")
            if args.action == "transfer":
                act = staff_verbs.Act("transfer", args.number, text=args.reason, target=args.target)
            if args.action == "callback":
                act = staff_verbs.Act("callback", args.number, text=args.note or "", outcome=args.outcome, satisfied=args.satisfied or "")
            outcome = await staff_verbs.perform(session, services, staff, act, now)
            if args.action == "reveal":
                print(json.dumps(outcome, ensure_ascii=False, indent=2))
                return 0
            case = outcome
    except casework.CaseActionError as exc:
        print(f"cases {args.action}: {exc}", file=sys.stderr)
        return 1
    print(f"{case.number}: {case.status}")
    return 0


def register(sub, command) -> None:
    """Add the staff and cases subcommands to the main parser."""

    staff = sub.add_parser("staff", help="staff registry").add_subparsers(dest="staff_command", required=True)
    add = staff.add_parser("add", help="register a staff member")
    add.add_argument("--name", required=True, help="the name staff log in with and are shown by in the audit trail")
    add.add_argument(
        "--role",
        required=True,
        choices=ROLES,
        help="staff work cases; supervisors also see all cases and get 催办 alerts; leaders get 督办 alerts",
    )
    add.add_argument("--telegram-id", type=int, help="their Telegram user id, for the staff group and alerts")
    add.add_argument("--wechat-openid", help="their openid on the Official Account, for alerts on WeChat")
    add.add_argument("--department", help="their department (科室), for the 本科室 queue and transfers")
    add.add_argument("--title", help="how replies are signed to citizens, e.g. 窗口工作人员")
    add.set_defaults(func=command(_staff_add))
    staff.add_parser("list", help="list staff").set_defaults(func=command(_staff_list))
    password = staff.add_parser("password", help="set a desk login password (asked twice on a terminal; one line from stdin when piped)")
    password.add_argument("name", help="the staff member's name")
    password.set_defaults(func=command(_staff_password))
    for verb, help_text in (
        ("disable", "stop a member logging in; their sessions end, their open cases are flagged"),
        ("enable", "let a disabled member log in again"),
    ):
        switch = staff.add_parser(verb, help=help_text)
        switch.add_argument("name", help="the staff member's name")
        switch.set_defaults(func=command(_staff_switch))

    cases = sub.add_parser("cases", help="tracked cases").add_subparsers(dest="cases_command", required=True)
    listing = cases.add_parser("list", help="list cases (personal data masked)")
    listing.add_argument("--status", choices=STATUSES, help="only cases in this status")
    listing.add_argument("--limit", type=int, default=200, help="at most this many cases, newest first (default 200)")
    listing.add_argument("--json", action="store_true", help="print a JSON array (see shared/CONTRACT.md)")
    listing.set_defaults(func=command(_cases_list))
    show = cases.add_parser("show", help="show one case with its history (personal data masked)")
    show.add_argument("number", help="the case number, e.g. TS-20261201-0001 (dashes and case optional)")
    show.add_argument("--json", action="store_true", help="print one JSON object with history and messages")
    show.set_defaults(func=command(_cases_show))

    def action(name: str, help_text: str, *fields: str) -> None:
        parser = cases.add_parser(name, help=help_text)
        parser.add_argument("number", help="the case number, e.g. TS-20261201-0001")
        for field in fields:
            parser.add_argument(field, help=FIELD_HELP.get(field))
        parser.add_argument("--as", dest="as_name", required=True, metavar="STAFF_NAME", help="who acts (audited)")
        parser.set_defaults(func=command(_staff_action), action=name, text="")

    action("take", "take a case (first taker becomes owner of record)")
    action("reply", "reply to the citizen", "text")
    action("note", "add an internal note", "text")
    action("transfer", "transfer to a staff member or department", "target", "reason")
    action("wait", "ask the citizen for more and pause the clock", "text")
    action("resume", "restart a paused case's clock")
    action("resolve", "resolve with a summary", "text")
    action("reopen", "reopen a resolved case", "text")
    action("close", "close a resolved case")
    action("reveal", "show the case's personal data (audited)")
    callback = cases.add_parser("callback", help="record a 回访: a staff member contacted (or tried to contact) the citizen")
    callback.add_argument("number", help="the case number of the rated case or its ZG case")
    callback.add_argument("--outcome", required=True, choices=("reached", "unreached"), help="whether the citizen was reached")
    callback.add_argument("--satisfied", choices=("yes", "no"), help="the citizen's verdict after the rectification (when reached)")
    callback.add_argument("--note", default="", help="what was said, how they were contacted")
    callback.add_argument("--as", dest="as_name", required=True, metavar="STAFF_NAME", help="who called (audited)")
    callback.set_defaults(func=command(_staff_action), action="callback", text="")
