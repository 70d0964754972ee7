"""The staff and supervisor web desk at /desk/: login and sessions, inbox, case page, staff administration.

May import bot.office, bot.delivery, bot.core, bot.storage and knowledge; never bot.cli or handlers. Staff act only
through bot.office.staff_verbs, like the CLI and the Telegram staff topics.
"""
