"""The aiohttp networking backend under PTB: uploads, downloads and the errors the sender's retries depend on."""

from __future__ import annotations

import socket

import pytest
from telegram import Bot
from telegram.error import NetworkError, TimedOut

from bot.channels.telegram.http import AiohttpRequest
from tests.fakes.telegram_api import TOKEN


def _bot(base_url: str, **options) -> Bot:
    return Bot(
        TOKEN,
        base_url=base_url,
        base_file_url=base_url.replace("/bot", "/file/bot"),
        request=AiohttpRequest(2, **options),
        get_updates_request=AiohttpRequest(1, **options),
    )


async def test_a_document_is_uploaded_with_its_bytes_and_caption(api):
    async with _bot(api.base_url) as bot:
        await bot.send_document(chat_id=42, document=b"receipt scan", filename="receipt.txt", caption="材料清单")
    [call] = api.calls_of("sendDocument")
    assert call.content_type == "multipart/form-data"
    assert call.files["document"] == b"receipt scan" and call.params["caption"] == "材料清单"


async def test_a_message_with_buttons_goes_as_json_and_comes_back_parsed(api):
    from telegram import InlineKeyboardButton, InlineKeyboardMarkup

    markup = InlineKeyboardMarkup([[InlineKeyboardButton("办事指南", callback_data="m:guide")]])
    async with _bot(api.base_url) as bot:
        sent = await bot.send_message(chat_id=42, text="请选择：<b>办事</b>", parse_mode="HTML", reply_markup=markup)
    [call] = api.calls_of("sendMessage")
    assert call.content_type == "application/json"
    assert call.params["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "m:guide"
    assert sent.chat.id == 42 and sent.text


async def test_a_file_downloads(api):
    async with _bot(api.base_url) as bot:
        file = await bot.get_file("photo-file-1")
        assert bytes(await file.download_as_bytearray()) == b"jpg"


async def test_an_unreachable_api_is_a_network_error_which_the_sender_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once the probe is closed
    with pytest.raises(NetworkError) as raised:
        async with _bot(f"http://127.0.0.1:{port}/bot"):
            pass
    assert not isinstance(raised.value, TimedOut)


async def test_an_api_that_does_not_answer_in_time_is_a_timeout():
    with socket.socket() as silent:  # accepts the connection (backlog) but never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        port = silent.getsockname()[1]
        with pytest.raises(TimedOut):
            async with _bot(f"http://127.0.0.1:{port}/bot", read_timeout=0.2):
                pass
