"""Command line: `python -m bot run|chat|ask|kb check|kb gaps|db upgrade|calendar due|staff|cases` (see shared/CONTRACT.md)."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import date
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError


def _settings(**overrides):
    from bot.config import Settings

    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            field = ".".join(str(p) for p in error["loc"])
            message = str(error["msg"]).removeprefix("Value error, ")
            print(f"environment: CONSULT_{field.upper()}: {message}", file=sys.stderr)
        raise SystemExit(2) from None


def _database_problem(exc: BaseException) -> str:
    """One line for an operator: what failed reaching the database, without the driver's traceback."""
    from sqlalchemy.engine import make_url

    try:
        where = make_url(_settings().database_url).render_as_string(hide_password=True)
    except SystemExit:
        where = "the configured database"
    cause = getattr(exc, "orig", None) or exc
    return f"cannot use {where}: {type(cause).__name__}: {str(cause).splitlines()[0] if str(cause) else ''}".rstrip(": ")


def _logging(level: str = "INFO") -> None:
    from bot.logs import setup_logging

    setup_logging(level)


def cmd_ask(args) -> int:
    """One question (or one a line from stdin) through intent detection and knowledge search."""
    from bot.cli.ask import analyse
    from knowledge.base import KnowledgeStore

    settings = _settings(knowledge_dir=args.knowledge)
    store = KnowledgeStore(settings.knowledge_dir, settings.knowledge_cache())
    questions = sys.stdin.read().splitlines() if args.question == "-" else [args.question]
    for question in questions:
        if args.question == "-" and not question.strip() and not args.json:
            continue  # as text, a blank line asks nothing; as JSON every input line gets its line, so outputs pair up
        result = analyse(store.current, question, explain=args.explain)
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            alternatives = ", ".join(result["alternatives"]) or "-"
            print(
                f"{question}\n  intent={result['intent']} id={result['id']} score={result['score']:.2f} confident={result['confident']} alternatives={alternatives}"
            )
            for line in result.get("explanation", []):
                print(f"  {line}")
    return 0


def cmd_db_upgrade(args) -> int:
    """Apply migrations."""
    from bot.storage.migrate import upgrade

    settings = _settings()
    before, after = upgrade(settings.database_url)
    if before == after:
        print(f"database already at revision {after}")
    elif before is None:
        print(f"created the schema at revision {after}")
    else:
        print(f"upgraded from revision {before} to {after}")
    return 0


def cmd_calendar_due(args) -> int:
    """Print the N-th working day strictly after START."""
    from bot.core.workdays import UnknownYearError, WorkCalendar, WorkdaysFileError

    settings = _settings()
    try:
        start = date.fromisoformat(args.start)
    except ValueError:
        print(f"calendar due: START: not an ISO date: {args.start!r}", file=sys.stderr)
        return 2
    if args.days < 0:
        print("calendar due: --days: must be 0 or more", file=sys.stderr)
        return 2
    try:
        calendar = WorkCalendar.from_file(settings.workdays_file or settings.knowledge_dir / "workdays.yaml")
        print(calendar.add_workdays(start, args.days).isoformat())
    except (UnknownYearError, WorkdaysFileError) as exc:
        print(f"calendar due: {exc}", file=sys.stderr)
        return 1
    return 0


async def _with_app(coro_factory, *, echo_alerts: bool = False):
    from bot.app import App
    from bot.storage.migrate import upgrade_async

    settings = _settings()
    await upgrade_async(settings.database_url)
    app = App(settings, echo_alerts=echo_alerts)
    try:
        return await coro_factory(app)
    finally:
        await app.close()


def _app_command(handler):
    """An argparse action that runs `handler(app, args)` on a migrated, wired App."""
    return lambda args: asyncio.run(_with_app(lambda app: handler(app, args)))


def cmd_chat(args) -> int:
    """Talk to the bot as a citizen in the terminal."""
    from bot.channels.console import chat

    _logging("WARNING")

    async def chat_as_citizen(app) -> None:
        app.dispatcher.serve_only(set(), console_user=args.user, staff=False)  # this terminal shows only its citizen's messages
        await chat(app, args.user, args.lang)

    return asyncio.run(_with_app(chat_as_citizen, echo_alerts=True)) or 0


def cmd_run(args) -> int:
    """Serve every configured channel, the web endpoints and the scheduler."""
    from bot.runner import configured_channels, run

    settings = _settings()
    # a console chat shares the terminal with the logs: only warnings and errors there
    _logging(settings.log_level if configured_channels(settings) else "WARNING")
    return asyncio.run(run(settings)) or 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m bot` and `consult-desk`."""
    from bot.channels.wechat import menu as wechat_menu
    from bot.cli import kb as kb_cli
    from bot.cli import outbox as outbox_cli
    from bot.cli import report as report_cli
    from bot.cli import staff as staff_cli
    from bot.cli import surveys as survey_cli

    parser = argparse.ArgumentParser(prog="consult-desk", description="Consult Desk (咨询台) — online consultation window bot")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("run", help="serve all configured channels, web endpoints and the scheduler").set_defaults(func=cmd_run)

    chat = sub.add_parser("chat", help="talk to the bot as a citizen in the terminal")
    chat.add_argument(
        "--user", default="console-user", help="whom you chat as (each user has their own conversation and cases); default console-user"
    )
    chat.add_argument("--lang", choices=("zh", "en"), help="start in this language (the bot follows the language you write in)")
    chat.set_defaults(func=cmd_chat)

    ask = sub.add_parser("ask", help="run one question through intent detection and search")
    ask.add_argument("question", help="the question, or - to read one a line from stdin")
    ask.add_argument("--knowledge", type=Path, help="knowledge base folder to use instead of CONSULT_KNOWLEDGE_DIR")
    ask.add_argument("--json", action="store_true", help="print one JSON object per question (see shared/CONTRACT.md)")
    ask.add_argument("--explain", action="store_true", help="show which words matched which fields, the scores and the verdict")
    ask.set_defaults(func=cmd_ask)

    kb_cli.register(sub, _app_command, _settings)

    db = sub.add_parser("db", help="database tools").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)

    cal = sub.add_parser("calendar", help="working-day calendar").add_subparsers(dest="calendar_command", required=True)
    due = cal.add_parser("due", help="the N-th working day strictly after START")
    due.add_argument("start", help="the start date, YYYY-MM-DD")
    due.add_argument("--days", type=int, required=True, help="how many working days after START")
    due.set_defaults(func=cmd_calendar_due)

    staff_cli.register(sub, _app_command)
    report_cli.register(sub, _app_command)
    survey_cli.register(sub, _app_command)
    outbox_cli.register(sub, _app_command)
    wechat_menu.register(sub, _app_command)

    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `report --json | head`: the reader left; say nothing more
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except (OSError, SQLAlchemyError) as exc:
        print(f"database: {_database_problem(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
