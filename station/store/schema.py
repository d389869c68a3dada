"""Schema migrations (Alembic) and the start-up check of a database's schema version.

A database written by a newer version of the app is refused rather than guessed at: its
facts may carry columns this version would silently drop when it writes or syncs.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Final

from sqlalchemy import Engine, inspect, text

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
#: The newest migration's revision. Every start of the app or a command checks its
#: databases against it; with it written here, a database already at the head is checked
#: by reading one row, without loading Alembic (0.2-0.4 s and about 10 MB at every start).
#: tests/station/store/test_schema.py checks it against the migrations folder.
HEAD: Final = "0016"


class SchemaError(RuntimeError):
    """The database's schema cannot be used by this version of the app."""


def _config(engine: Engine | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    return HEAD


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        revision: str | None = connection.execute(
            text("SELECT version_num FROM alembic_version")).scalar()
        return revision


def describe(engine: Engine) -> str:
    url = engine.url
    return url.render_as_string(hide_password=True)


def check_schema(engine: Engine, *, label: str) -> str | None:
    """Return the revision if this app understands it; raise SchemaError if it is newer."""
    revision = current_revision(engine)
    if revision is None or revision == head_revision():
        return revision
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_config())
    known = {script.revision for script in scripts.walk_revisions()}
    if revision not in known:
        raise SchemaError(
            f"The {label} database ({describe(engine)}) has schema revision {revision}, which is "
            f"newer than this version of Returns Station understands (latest {head_revision()}). "
            "Install the newer version of Returns Station that wrote it; nothing was changed."
        )
    return revision


def upgrade(engine: Engine, *, label: str) -> tuple[str | None, str]:
    """Bring the database to the head revision; returns (before, after). A database already
    at the head is only read: every start of the app or a command comes here, and a
    migration transaction holds SQLite's write lock while Alembic loads its scripts."""
    before = check_schema(engine, label=label)
    if before == head_revision():
        return before, before
    from alembic import command

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":  # a migration may take long on a big table
            connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
        config = _config(engine)
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    return before, head_revision()


def is_current(engine: Engine) -> bool:
    return current_revision(engine) == head_revision()
