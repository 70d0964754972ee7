"""The dialog core: message types, the engine and its turn, events, clock, working days, language, texts, masking, locks.

May import storage/ and knowledge/; never office/, delivery/, channels/, cli/ or handlers/ (the composition
root hands the engine its router).
"""
