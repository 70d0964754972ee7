"""Deleting one's data on request (删除我的数据 / delete my data): confirm, then forget."""

from __future__ import annotations

from bot.core.messages import Reply
from bot.core.turn import Turn
from bot.office.privacy import forget_citizen
from handlers.words import is_cancel, is_skip, is_yes


async def ask(turn: Turn) -> list[Reply]:
    """Ask the citizen to confirm deletion."""
    turn.state = {"flow": "delete"}
    return [turn.reply("delete_confirm", turn.choice("delete_yes", "d:yes"), turn.choice("cancel", "d:no"))]


async def confirm(turn: Turn) -> list[Reply]:
    """Delete on a yes, keep everything on a no; anything else asks again (deletion is never guessed)."""
    if turn.inbound.choice == "d:yes" or (turn.inbound.choice is None and is_yes(turn.text)):
        await forget_citizen(turn.session, turn.citizen, turn.now, reason="citizen request")
        turn.forgotten = True
        return [turn.reply("deleted")]
    if turn.inbound.choice == "d:no" or is_cancel(turn.text) or is_skip(turn.text):
        turn.state = {}
        return [turn.reply("delete_cancelled")]
    return [turn.reply("delete_still_pending", turn.choice("delete_yes", "d:yes"), turn.choice("cancel", "d:no"))]


async def unsubscribe(turn: Turn) -> list[Reply]:
    """The citizen unfollowed: delete their data at once, with nothing to reply."""
    await forget_citizen(turn.session, turn.citizen, turn.now, reason="unsubscribed")
    turn.forgotten = True
    return []
