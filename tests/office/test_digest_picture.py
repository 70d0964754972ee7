"""The daily digest's picture: a PNG of the right size (CJK font or not), sent as a Telegram photo with caption, a WeChat image, or left out."""

from __future__ import annotations

import base64
import io

import matplotlib.image
from sqlalchemy import select

from bot.office import digest, digest_chart
from bot.storage.models import OutboxMessage
from tests.conftest import local
from tests.fakes.telegram_world import TelegramWorld, telegram_settings
from tests.helpers import add_staff
from tests.telegram_fixtures import api
from tests.wechat_desk import fake_api, open_desk, wechat_settings

SUPERVISOR_TG = 5550001
SUPERVISOR_WX = "o-supervisor"
YESTERDAY = {"opened": 7, "resolved": 5, "on_time_rate": 0.8, "satisfaction_rate": 0.9, "bad_reviews": 1, "callback_rate": 1.0}


def _trend(days: int = 30) -> list[dict]:
    return [
        {"day": f"2026-11-{n:02d}", "consultation": n % 5, "complaint": n % 3, "rectification": n % 7 == 0, "on_time": 3, "deadlines": 4}
        for n in range(1, days + 1)
    ]


def _decode(png: bytes):
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return matplotlib.image.imread(io.BytesIO(png), format="png")


def test_picture_is_an_800_by_500_png_with_ink_on_it():
    pixels = _decode(digest_chart.render("2026-12-02", YESTERDAY, _trend()))
    assert pixels.shape[:2] == (500, 800)
    assert (pixels[..., :3] < 0.5).any() and (pixels[..., :3] > 0.9).any(), "neither blank nor black"


def test_without_a_cjk_font_it_is_drawn_in_english_rather_than_boxes(caplog):
    chinese = digest_chart.render("2026-12-02", YESTERDAY, _trend(), font="Noto Sans CJK SC")
    english = digest_chart.render("2026-12-02", YESTERDAY, _trend(), font="")
    assert _decode(english).shape[:2] == (500, 800) and chinese != english
    assert not [r for r in caplog.records if "missing from font" in r.getMessage()]


async def _queue_with_activity(app) -> None:
    await add_staff(app, "王主任", role="supervisor", telegram_id=SUPERVISOR_TG, wechat_openid=SUPERVISOR_WX)
    app.clock.set(local(2026, 12, 2, 8, 30))


async def test_digest_goes_to_telegram_as_a_photo_with_the_figures_as_caption(settings_factory, clock, api):
    world = await TelegramWorld.start(telegram_settings(settings_factory, api), clock, api)
    try:
        await _queue_with_activity(world.app)
        assert await digest.tick(world.app) == 1
        await api.wait_for(lambda: [c for c in api.calls if c.method == "sendPhoto"], what="a sendPhoto")
        [photo] = [c for c in api.calls if c.method == "sendPhoto"]
        assert photo.params["chat_id"] == SUPERVISOR_TG
        assert "每日服务简报" in photo.params["caption"] and "2026-12-01" in photo.params["caption"]
        assert _decode(photo.files["photo"]).shape[:2] == (500, 800)
        assert not [c for c in api.calls if c.method == "sendMessage" and c.params.get("chat_id") == SUPERVISOR_TG]
    finally:
        await world.close()


async def test_refused_photo_falls_back_to_the_text(settings_factory, clock, api):
    world = await TelegramWorld.start(telegram_settings(settings_factory, api), clock, api)
    try:
        await _queue_with_activity(world.app)
        api.fail_next("sendPhoto", 400, "Bad Request: IMAGE_PROCESS_FAILED")
        assert await digest.tick(world.app) == 1
        texts = await api.wait_texts(SUPERVISOR_TG, 1)
        assert "每日服务简报" in texts[0]
    finally:
        await world.close()


async def test_digest_goes_to_wechat_as_an_uploaded_image_then_the_text(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(), clock, fake_api) as desk:
        await _queue_with_activity(desk.app)
        await desk.wechat().text(SUPERVISOR_WX, "你好")  # the supervisor wrote to the account: the 48-hour window is open
        assert await digest.tick(desk.app) == 1
        [image] = fake_api.images(SUPERVISOR_WX)
        assert _decode(image).shape[:2] == (500, 800)
        sends = [c for c in fake_api.to("message/custom/send") if c.body.get("touser") == SUPERVISOR_WX and c.accepted]
        assert [c.body["msgtype"] for c in sends][-2:] == ["image", "text"]
        assert "每日服务简报" in sends[-1].body["text"]["content"]


async def test_outside_the_wechat_window_the_text_goes_alone_by_template(wechat_settings, clock, fake_api):
    async with open_desk(wechat_settings(wechat_template_alert="TPL-ALERT"), clock, fake_api) as desk:
        await _queue_with_activity(desk.app)
        assert await digest.tick(desk.app) == 1
        assert fake_api.images() == [] and fake_api.to("media/upload") == []
        [template] = fake_api.templates(SUPERVISOR_WX)
        assert template["template_id"] == "TPL-ALERT"
        async with desk.app.sessions() as session:
            row = await session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
        assert row.status == "sent" and base64.b64decode(row.payload["image_png"])[:4] == b"\x89PNG"
