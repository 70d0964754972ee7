"""The Official Account's default custom menu, its CLICK keys, and `python -m bot wechat menu` to install it."""

from __future__ import annotations

import sys
from typing import Any

from bot.core.texts import t

# CLICK keys → the menu choices the router knows
MENU_KEYS = {
    "CONSULT_GUIDE": "m:guide",
    "CONSULT_COMPLAINT": "m:complaint",
    "CONSULT_STATUS": "m:status",
    "CONSULT_HANDOFF": "m:handoff",
}

# WeChat allows three top-level buttons, so 进度查询 and 人工服务 share the third
DEFAULT_MENU: dict[str, Any] = {
    "button": [
        {"type": "click", "name": t("menu_guide", "zh"), "key": "CONSULT_GUIDE"},
        {"type": "click", "name": t("menu_complaint", "zh"), "key": "CONSULT_COMPLAINT"},
        {
            "name": t("menu_more", "zh"),
            "sub_button": [
                {"type": "click", "name": t("menu_status", "zh"), "key": "CONSULT_STATUS"},
                {"type": "click", "name": t("menu_handoff", "zh"), "key": "CONSULT_HANDOFF"},
            ],
        },
    ]
}


def choice_for_key(key: str) -> str | None:
    """The router choice a menu CLICK key stands for (keys may also be the choice values themselves)."""
    key = (key or "").strip()
    if key in MENU_KEYS:
        return MENU_KEYS[key]
    return key if key in MENU_KEYS.values() else None


async def install_menu(app) -> None:
    """Create the default menu through the WeChat API configured in the app's settings."""
    from bot.channels.wechat.api import WeChatAPI

    api = WeChatAPI(app.settings, app.sessions, app.clock)
    try:
        await api.create_menu(DEFAULT_MENU)
    finally:
        await api.aclose()


async def _menu_command(app, args) -> int:
    from bot.channels.wechat.api import WeChatAPIError

    settings = app.settings
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        print("wechat menu: set CONSULT_WECHAT_APP_ID and CONSULT_WECHAT_APP_SECRET first", file=sys.stderr)
        return 2
    try:
        await install_menu(app)
    except WeChatAPIError as exc:
        print(f"wechat menu: WeChat refused the menu: {exc}", file=sys.stderr)
        return 1
    names = [b["name"] for b in DEFAULT_MENU["button"]]
    print(f"menu installed: {' | '.join(names)}")
    return 0


def register(sub, command) -> None:
    """Add `wechat menu` to the main parser."""
    wechat = sub.add_parser("wechat", help="WeChat Official Account tools").add_subparsers(dest="wechat_command", required=True)
    menu = wechat.add_parser("menu", help="install the default menu through the WeChat API")
    menu.set_defaults(func=command(_menu_command))
