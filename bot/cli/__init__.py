"""The command line: one module per command group; only `bot.__main__` imports it.

May import everything below it (office/, delivery/, core/, storage/, knowledge/); channels/ only for channel set-up commands.
"""
