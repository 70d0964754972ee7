"""`python -m bot outbox unknown|resolve`: messages orphaned mid-send, listed for staff to verify by hand."""

from __future__ import annotations

import json
import sys

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.masking import mask_text
from bot.delivery.outbox import unknown_rows
from bot.storage.models import Case, OutboxMessage
from bot.storage.results import affected


async def _record(session: AsyncSession, row: OutboxMessage, tz) -> dict:
    case = await session.get(Case, row.case_id) if row.case_id else None
    text = " / ".join(r.get("text", "") for r in row.payload.get("replies", []))
    return {
        "id": row.id,
        "kind": row.kind,
        "case": case.number if case else None,
        "channel": row.channel,
        "recipient": mask_text(row.recipient),
        "claimed_at": row.claimed_at.astimezone(tz).isoformat() if row.claimed_at else None,
        "claimed_by": row.claimed_by,
        "text": mask_text(text)[:200],
    }


async def _list_unknown(app, args) -> int:
    async with app.sessions() as session:
        records = [await _record(session, row, app.settings.tz) for row in await unknown_rows(session)]
    if args.json:
        print(json.dumps(records, ensure_ascii=False, indent=2))
        return 0
    if not records:
        print("no messages with unknown delivery")
    for r in records:
        print(
            f"#{r['id']}\t{r['kind']}\t{r['case'] or '-'}\t{r['channel']}:{r['recipient']}\tclaimed {r['claimed_at']} by {r['claimed_by']}\t{r['text']}"
        )
    return 0


async def _resolve(app, args) -> int:
    status = "pending" if args.resend else "sent"
    values = {"status": status, "error": f"checked by staff: {'resend' if args.resend else 'was delivered'}"}
    if args.resend:
        values["due_at"] = app.clock.now()
    async with app.sessions() as session, session.begin():
        result = await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == args.id, OutboxMessage.status == "unknown").values(**values)
        )
    if not affected(result):
        print(f"outbox resolve: no unknown message #{args.id}", file=sys.stderr)
        return 1
    # queued again: the running bot sends it within seconds (this process has no messaging channel)
    print(f"#{args.id}: {status}")
    return 0


def register(sub, command) -> None:
    """Add `outbox unknown` and `outbox resolve` to the main parser."""

    outbox = sub.add_parser("outbox", help="proactive message queue").add_subparsers(dest="outbox_command", required=True)
    listing = outbox.add_parser("unknown", help="list messages orphaned mid-send (delivery unknown) for staff to verify")
    listing.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    listing.set_defaults(func=command(_list_unknown))
    resolve = outbox.add_parser("resolve", help="after checking with the recipient: mark an unknown message delivered, or resend it")
    resolve.add_argument("id", type=int, help="the outbox row id from `outbox unknown`")
    choice = resolve.add_mutually_exclusive_group(required=True)
    choice.add_argument("--delivered", action="store_true", help="staff checked: the recipient got it; mark it sent")
    choice.add_argument("--resend", action="store_true", help="staff checked: it did not arrive; queue it again for the running bot")
    resolve.set_defaults(func=command(_resolve))
