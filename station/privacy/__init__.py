"""Privacy retention: clearing customer names and deleting photo files past the retention
period (`retention`), run for a whole station (`sweep`).
"""
