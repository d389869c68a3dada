"""The demo station: its own data folder, one user per role and deterministic, realistic
RMAs. An entry point: nothing else in the core imports it.
"""
