"""The audit trail: one hash-chained, signed event per fact and per security event
(`chain`), the station's signing key (`signing`), its anchoring in the central database
(`anchors`) and `audit verify` (`verification`).
"""
