"""Inspecting a unit, as use cases with facts: take a unit off an RMA line under a fresh
LPN, save the inspection in progress (`drafts`), finalize it with the rule set in force
(`finalize`, `rule_sets`), and the held refunds a supervisor approves (`approvals`).
"""
