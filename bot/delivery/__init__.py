"""Delivery: typed notices, the durable outbox, the dispatcher and what a channel must offer it.

May import core/ and storage/; never office/, channels/ or cli/ (channels register with the dispatcher).
"""
