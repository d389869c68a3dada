"""The station's settings: its TOML configuration and data files, where its resources and
private files live, its secrets (keyring, secrets folder, PIN pepper) and its logs.

Read once at start-up and validated with messages that name the file, line and key. No
SQLAlchemy here (an import-linter contract): settings are known before any database opens.
"""
