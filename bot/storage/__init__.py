"""Storage: database set-up, the tables, migrations, SQLite specifics, group commit and upserts.

The bottom layer: imports nothing else of the bot but `bot.config`.
"""
