"""Grading knowledge, pure (no database, no clock): the per-category checklists and their
engine, the unit in progress while a grader walks it, and item verification (is the
thing on the bench the thing the customer returned?). The use cases that save and
finalize an inspection are in station.inspection.
"""
