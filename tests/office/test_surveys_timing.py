"""When surveys go out, with a fake clock: the delay, quiet hours, and WeChat's 48-hour customer-service window."""

from __future__ import annotations

import pytest

from bot.app import App
from tests.conftest import Citizen, local
from tests.fakes.recording import RecordingChannel
from tests.survey_helpers import add_staff, file_complaint, resolve, survey_messages


async def _console_app(settings_factory, clock, **overrides):
    app = App(settings_factory(**overrides), clock)
    console = RecordingChannel("console")
    app.add_channel(console)
    await add_staff(app, "李明")
    return app, console


async def test_resolved_at_half_past_eight_pm_with_one_hour_delay_is_sent_at_eight_next_morning(settings_factory, clock):
    clock.set(local(2026, 12, 1, 20, 0))
    app, console = await _console_app(settings_factory, clock, survey_delay_seconds=3600)
    try:
        alice = Citizen(app)
        await alice.say("我要投诉")
        number = await file_complaint(alice)
        clock.set(local(2026, 12, 1, 20, 30))
        await resolve(app, number, "李明")
        clock.set(local(2026, 12, 1, 21, 30))
        await app.tick_outbox()
        clock.set(local(2026, 12, 2, 7, 59))
        await app.tick_outbox()
        assert not survey_messages(console), "nothing inside quiet hours (21:00-08:00)"
        clock.set(local(2026, 12, 2, 8, 0))
        await app.tick_outbox()
        [sent] = survey_messages(console)
        assert number in sent.texts[0]
    finally:
        await app.close()


async def test_no_quiet_hours_means_exactly_the_delay(settings_factory, clock):
    clock.set(local(2026, 12, 1, 20, 30))
    app, console = await _console_app(settings_factory, clock, survey_delay_seconds=3600, quiet_hours="")
    try:
        alice = Citizen(app)
        await alice.say("我要投诉")
        number = await file_complaint(alice)
        await resolve(app, number, "李明")
        clock.set(local(2026, 12, 1, 21, 29))
        await app.tick_outbox()
        assert not survey_messages(console)
        clock.set(local(2026, 12, 1, 21, 30))
        await app.tick_outbox()
        assert len(survey_messages(console)) == 1
    finally:
        await app.close()


async def _wechat_app(settings_factory, clock):
    app = App(settings_factory(), clock)
    wechat = RecordingChannel("wechat")
    app.add_channel(wechat)
    app.add_channel(RecordingChannel("console"))
    await add_staff(app, "李明")
    return app, wechat


async def test_wechat_survey_goes_out_just_before_the_48_hour_window_closes(settings_factory, clock):
    app, wechat = await _wechat_app(settings_factory, clock)
    try:
        carol = Citizen(app, "oCarol", channel="wechat")
        await carol.say("我要投诉")
        number = await file_complaint(carol)  # her last message: Tue 10:00, so the window closes Thu 10:00
        clock.set(local(2026, 12, 2, 15, 0))
        await resolve(app, number, "李明")  # the one-day delay would be Thu 15:00, after the window
        clock.set(local(2026, 12, 3, 9, 29))
        await app.tick_outbox()
        assert not survey_messages(wechat, "oCarol")
        clock.set(local(2026, 12, 3, 9, 30))
        await app.tick_outbox()
        [sent] = survey_messages(wechat, "oCarol")
        assert number in sent.texts[0]
        [thanks] = await carol.say("1")
        assert "非常满意" in thanks
    finally:
        await app.close()


@pytest.mark.parametrize(
    ("filed", "resolved", "not_yet", "sent"),
    [
        pytest.param(
            local(2026, 12, 1, 10, 0),
            local(2026, 12, 1, 11, 0),
            local(2026, 12, 2, 10, 59),
            local(2026, 12, 2, 11, 0),
            id="inside-the-window-the-normal-delay",
        ),
        # the window closes Thu 22:30, inside quiet hours: the survey goes just before they begin
        pytest.param(
            local(2026, 12, 1, 22, 30),
            local(2026, 12, 3, 9, 0),
            local(2026, 12, 3, 20, 58),
            local(2026, 12, 3, 20, 59),
            id="window-ending-in-quiet-hours",
        ),
    ],
)
async def test_wechat_survey_timing(settings_factory, clock, filed, resolved, not_yet, sent):
    app, wechat = await _wechat_app(settings_factory, clock)
    try:
        carol = Citizen(app, "oCarol", channel="wechat")
        clock.set(filed)
        await carol.say("我要投诉")
        number = await file_complaint(carol)
        clock.set(resolved)
        await resolve(app, number, "李明")
        clock.set(not_yet)
        await app.tick_outbox()
        assert not survey_messages(wechat, "oCarol")
        clock.set(sent)
        await app.tick_outbox()
        assert len(survey_messages(wechat, "oCarol")) == 1
    finally:
        await app.close()


async def test_wechat_window_already_closed_is_still_scheduled_for_the_adapter(settings_factory, clock):
    app, wechat = await _wechat_app(settings_factory, clock)
    try:
        carol = Citizen(app, "oCarol", channel="wechat")
        await carol.say("我要投诉")
        number = await file_complaint(carol)
        clock.set(local(2026, 12, 7, 10, 0))
        await resolve(app, number, "李明")
        clock.set(local(2026, 12, 8, 10, 0))
        await app.tick_outbox()
        [sent] = survey_messages(wechat, "oCarol")
        assert sent.payload["template"] == "survey", "the adapter may fall back to a template message"
    finally:
        await app.close()
