"""The office's rules: cases, staff verbs, SLA ladder, alerts, surveys and appeals, rectification, report, digest, privacy, audit.

May import core/, storage/, delivery/ and knowledge/; never channels/, cli/ or handlers/.
"""
