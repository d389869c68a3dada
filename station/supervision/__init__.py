"""The supervisor's work: the held-refund and exception queues, a unit's whole history,
and the evidence sheet that explains a grade.
"""
