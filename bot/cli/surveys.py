"""`python -m bot surveys list|appeal|decide`: follow-up surveys and appeals against ratings, for staff."""

from __future__ import annotations

import json
import sys

from sqlalchemy import select

from bot.core.masking import mask_text
from bot.office import appeals as survey_appeals
from bot.office import casework
from bot.office.surveys import level_name
from bot.storage.models import Case
from bot.storage.survey_models import Survey

STATUSES = ("pending", "sent", "reminded", "answered", "unrated", "cancelled")


def _iso(moment, tz) -> str | None:
    return moment.astimezone(tz).isoformat() if moment else None


async def _list(app, args) -> int:
    tz = app.settings.tz
    async with app.sessions() as session:
        query = select(Survey, Case.number).join(Case, Case.id == Survey.case_id).order_by(Survey.id.desc()).limit(args.limit)
        if args.status:
            query = query.where(Survey.status == args.status)
        records = [
            {
                "case": number,
                "kind": s.kind,
                "status": s.status,
                "rating": s.rating,
                "rating_zh": level_name(s.rating, "zh") if s.rating else None,
                "comment": mask_text(s.comment) if s.comment else None,
                "due_at": _iso(s.due_at, tz),
                "sent_at": _iso(s.sent_at, tz),
                "answered_at": _iso(s.answered_at, tz),
                "appeal": s.appeal_status,
                "appeal_reason": s.appeal_reason,
            }
            for s, number in (await session.execute(query)).all()
        ]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    for r in records:
        print(f"{r['case']}\t{r['kind']}\t{r['status']}\t{r['rating_zh'] or '-'}\tappeal={r['appeal'] or '-'}\tdue {r['due_at']}")
    return 0


async def _appeal(app, args) -> int:
    now = app.clock.now()
    try:
        async with app.sessions() as session, session.begin():
            staff = await casework.require_staff(session, name=args.as_name)
            if args.surveys_command == "appeal":
                survey = await survey_appeals.appeal(session, args.number, staff, args.type, args.reason, now)
            else:
                survey = await survey_appeals.decide(session, args.number, staff, args.uphold, args.note or "", now)
    except casework.CaseActionError as exc:
        print(f"surveys {args.surveys_command}: {exc}", file=sys.stderr)
        return 1
    print(f"{args.number.upper()}: appeal {survey.appeal_status}")
    return 0


def register(sub, command) -> None:
    """Add the `surveys` subcommands to the main parser."""

    surveys = sub.add_parser("surveys", help="follow-up surveys (好差评) and appeals").add_subparsers(dest="surveys_command", required=True)
    listing = surveys.add_parser("list", help="list surveys, newest first")
    listing.add_argument("--status", choices=STATUSES, help="only surveys in this status")
    listing.add_argument("--limit", type=int, default=200, help="at most this many surveys (default 200)")
    listing.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    listing.set_defaults(func=command(_list))
    appeal = surveys.add_parser("appeal", help="appeal a case's rating as mistaken or malicious")
    appeal.add_argument("number", help="the rated case number")
    appeal.add_argument("type", choices=survey_appeals.APPEAL_TYPES, help="why the rating should not count")
    appeal.add_argument("reason", help="what staff found (kept in the audit trail)")
    appeal.add_argument("--as", dest="as_name", required=True, metavar="STAFF_NAME", help="who appeals (audited)")
    appeal.set_defaults(func=command(_appeal))
    decide = surveys.add_parser("decide", help="uphold or reject an appeal (supervisors)")
    decide.add_argument("number", help="the rated case number")
    verdict = decide.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--uphold", action="store_true", help="the appeal stands: the rating is left out of the figures")
    verdict.add_argument("--reject", action="store_true", help="the rating counts")
    decide.add_argument("--note", help="the supervisor's note (audited)")
    decide.add_argument("--as", dest="as_name", required=True, metavar="STAFF_NAME")
    decide.set_defaults(func=command(_appeal))
