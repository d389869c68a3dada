"""People at the bench: users and their roles (managed centrally, `directory` pulls them),
PIN hashing and rules, signing in by name and PIN or by badge, and when an idle bench
locks.
"""
