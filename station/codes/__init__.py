"""What a scanned or typed code is: scan classification (`scans`), GS1 element strings,
check digits, carrier tracking numbers, badges, licence-plate numbers, and telling a
keyboard-wedge scanner from a person by timing. Pure functions; no SQLAlchemy (an
import-linter contract).
"""
