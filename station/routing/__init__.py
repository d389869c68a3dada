"""Routing rules as data: which dispositions a unit may get and which one recovers the most.

Pure, so the station's context can carry the rule set in force. Publishing a rule set and
approving held refunds are use cases of station.inspection (`rule_sets`, `approvals`),
where a finalized unit meets them.
"""
