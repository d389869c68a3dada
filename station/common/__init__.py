"""The shared vocabulary and pure building blocks every other package uses.

The enums of DESIGN.md's vocabulary (roles, grades, dispositions, refunds, photo kinds),
who may do what (`permissions`), money in minor units, UUIDv7 ids, the refusal every
user-facing error derives from, text hygiene for printing and drawing, and bounded, strict
reading of files handed to the station. Imports nothing else of the station and no
SQLAlchemy (an import-linter contract).
"""
