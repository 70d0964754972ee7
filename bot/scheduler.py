"""APScheduler ticks: dispatch due outbox rows, sweep SLAs, reload the knowledge base, purge expired data and WeChat nonces, digests and the monthly report."""

from __future__ import annotations

import logging

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.office import digest, monthly, surveys

log = logging.getLogger(__name__)


def _guarded(name: str, job):
    async def run() -> None:
        try:
            await job()
        except Exception:  # one failed tick must not stop the next
            log.exception("scheduled job %s failed", name)

    return run


def create_scheduler(app) -> AsyncIOScheduler:
    """A scheduler that only ticks; all durable state lives in the database, nothing is pickled here."""
    scheduler = AsyncIOScheduler(timezone=app.settings.tz)
    jobs = {
        "outbox": (app.tick_outbox, 5),
        "sla": (app.sweep, 60),
        "knowledge": (app.reload_knowledge, 30),
        # a row orphaned mid-send is found (unknown, staff alerted) within about one lease
        "orphans": (app.recover_orphans, min(300, app.settings.outbox_lease_seconds)),
        "retention": (app.purge, 3600),
        "wechat_nonces": (app.forget_wechat_nonces, 300),
        "digest": (lambda: digest.tick(app), 60),
        "monthly": (lambda: monthly.tick(app), 300),
        "surveys": (lambda: surveys.tick(app), 300),
    }
    for name, (job, seconds) in jobs.items():
        scheduler.add_job(_guarded(name, job), "interval", seconds=seconds, id=name, max_instances=1, coalesce=True)
    return scheduler
