"""`python -m bot kb check [--knowledge DIR]` and `kb gaps [--since DATE] [--all] [--json]`: the knowledge base and what it misses."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

from bot.core.texts import both
from bot.office import knowledge_gaps
from bot.storage.gap_models import KnowledgeGap
from knowledge.canned import load_canned
from knowledge.loader import load_knowledge


def check(settings: Any) -> int:
    """Validate the knowledge base; exit 1 with `file: field: problem` lines on any error (warnings are printed, exit 0)."""
    result = load_knowledge(settings.knowledge_dir)
    errors = result.errors + load_canned(settings.knowledge_dir)[1]  # the desk's canned replies live beside the procedures
    if errors:
        print("\n".join(errors + result.warnings))
        print(f"{len(errors)} problem(s) found", file=sys.stderr)
        return 1
    warned = f" ({len(result.warnings)} warning(s) below)" if result.warnings else ""
    print("\n".join([f"ok: {len(result.procedures)} procedures in {settings.knowledge_dir}{warned}", *result.warnings]))
    return 0


def as_json(gap: KnowledgeGap) -> dict[str, Any]:
    """One gap as `kb gaps --json` prints it (the text is masked when stored)."""
    return {
        "id": gap.id,
        "text": gap.text,
        "lang": gap.lang,
        "count": gap.count,
        "first_seen": gap.first_seen.isoformat(),
        "last_seen": gap.last_seen.isoformat(),
        "guess": gap.guess,
        "status": gap.status,
        "procedure_id": gap.procedure_id,
    }


async def _gaps(app, args) -> int:
    since = None
    if args.since:
        try:
            day = date.fromisoformat(args.since)
        except ValueError:
            print(f"kb gaps: --since: not an ISO date (YYYY-MM-DD): {args.since!r}", file=sys.stderr)
            return 2
        since = datetime.combine(day, time.min, tzinfo=app.settings.tz)
    async with app.sessions() as session:
        gaps = await knowledge_gaps.listing(session, since, include_resolved=args.all)
    if args.json:
        print(json.dumps([as_json(g) for g in gaps], ensure_ascii=False, indent=2))
        return 0
    if not gaps:
        print(both("gaps_none"))
        return 0
    print(both("gaps_header"))
    for gap in gaps:
        seen = gap.last_seen.astimezone(app.settings.tz).strftime("%Y-%m-%d %H:%M")
        extra = f"  [{gap.status}{' ' + gap.procedure_id if gap.procedure_id else ''}]" if gap.status != "open" else ""
        guess = f"  ({gap.guess})" if gap.guess else ""
        print(f"{gap.id:>5}  {gap.count:>5}  {seen}  {gap.text}{guess}{extra}")
    return 0


def register(sub, command, settings: Callable[..., Any]) -> None:
    """Add `kb check` and `kb gaps` to the main parser."""
    kb = sub.add_parser("kb", help="knowledge base tools").add_subparsers(dest="kb_command", required=True)
    checker = kb.add_parser("check", help="validate the knowledge base")
    checker.add_argument("--knowledge", type=Path, help="knowledge base folder to check instead of CONSULT_KNOWLEDGE_DIR")
    checker.set_defaults(func=lambda args: check(settings(knowledge_dir=args.knowledge)))
    gaps = kb.add_parser("gaps", help="questions the bot could not answer confidently, grouped and counted, personal data masked")
    gaps.add_argument("--since", metavar="DATE", help="only those asked on or after this day (YYYY-MM-DD)")
    gaps.add_argument("--all", action="store_true", help="include those already attached to a procedure or marked out of scope")
    gaps.add_argument("--json", action="store_true", help="print a JSON array instead of a table")
    gaps.set_defaults(func=command(_gaps))
