"""Start the WeChat channel inside `python -m bot run`: the /wechat callback and the "wechat" outbox adapter."""

from __future__ import annotations

import logging

from bot.channels.wechat.api import WeChatAPI
from bot.channels.wechat.callback import WeChatCallback
from bot.channels.wechat.sender import WeChatSender

log = logging.getLogger(__name__)


class WeChatRuntime:
    """What `attach` started; `stop` lets answers still in flight reach the outbox."""

    def __init__(self, callback: WeChatCallback, sender: WeChatSender | None) -> None:
        self.callback = callback
        self.sender = sender

    async def stop(self) -> None:
        """Finish background deliveries (bounded), then close the API's connections."""
        await self.callback.drain()
        if self.sender is not None:
            await self.sender.api.aclose()


async def attach(app, routes: list) -> WeChatRuntime:
    """Register the "wechat" adapter with the app and append the /wechat route to `routes`."""
    settings = app.settings
    sender = None
    if settings.wechat_app_secret:
        sender = WeChatSender(WeChatAPI(settings, app.sessions, app.clock), app.sessions, app.clock, settings)
        app.add_channel(sender)
    else:
        log.warning("wechat: CONSULT_WECHAT_APP_SECRET is not set; passive replies only, no customer-service or template messages")
    callback = WeChatCallback(app)
    routes.extend(callback.routes())
    if not settings.wechat_aes_key:
        log.info("wechat: no CONSULT_WECHAT_AES_KEY; plaintext mode only")
    return WeChatRuntime(callback, sender)
