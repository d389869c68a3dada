"""The station's TOML configuration: where it is, what it holds, and its validation.

Every key is checked before anything starts, and an error names the file, the key and
what to write instead, so a station never starts half-configured. Unknown keys are errors
too: a misspelt key silently falling back to its default is how a bench ends up printing
to the wrong printer.

Kept whole: every key's validation and its typed result live side by side, so a key is
added, documented and checked in one place; it is only just over the size at which a module
says why it is not split.
"""

from __future__ import annotations

import os
import re
import socket
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from station.common.bounded_files import MAX_TEXT_FILE_BYTES, FileReadError, read_bounded
from station.common.vocabulary import Disposition
from station.settings.printer_uri import PrinterUriError, parse_printer_uri
from station.settings.regex_vetting import backtracking_problem
from station.settings.toml_text import parse_toml

APP_NAME = "returns-station"
HOME_ENV = "RETURNS_STATION_HOME"
CONFIG_FILE_NAME = "config.toml"
# The name of the variable that holds the password, never the password itself.
CENTRAL_PASSWORD_ENV = "RETURNS_STATION_CENTRAL_PASSWORD"  # noqa: S105

DEFAULT_RMA_PATTERN = "RMA-[0-9]{6}"
DEFAULT_DESTINATIONS: dict[str, str] = {
    Disposition.RESTOCK: "STOCK-A",
    Disposition.REFURBISH: "REFURB-1",
    Disposition.OPEN_BOX: "OPENBOX-B",
    Disposition.LIQUIDATE: "LIQ-CAGE",
    Disposition.RTV: "RTV-BAY",
    Disposition.DONATE: "DONATE-1",
    Disposition.RECYCLE: "RECYCLE",
    Disposition.DESTROY: "DESTROY",
    Disposition.HOLD: "HOLD-SUP",
}


class ConfigError(ValueError):
    """A configuration problem, phrased for the person who edits the file."""

    def __init__(self, file: Path | None, key: str, problem: str) -> None:
        where = str(file) if file else "configuration"
        super().__init__(f"{where}: {key}: {problem}")
        self.file = file
        self.key = key
        self.problem = problem


@dataclass(frozen=True)
class ScannerConfig:
    max_key_interval_ms: int = 35
    min_length: int = 4
    prefix: str = ""
    suffix: str = ""
    serial_port: str = ""
    serial_baud: int = 9600
    serial_terminator: str = "\r"


@dataclass(frozen=True)
class SecurityConfig:
    max_failed_pins: int = 5
    lockout_minutes: int = 15
    idle_lock_minutes: int = 5


@dataclass(frozen=True)
class FeedbackConfig:
    volume: int = 80  # percent
    mute: bool = False


@dataclass(frozen=True)
class PrivacyConfig:
    retention_days: int = 0  # 0: keep customer fields and photos until deleted by hand


@dataclass(frozen=True)
class PhotosConfig:
    """Where unit photos are kept and how: a clean JPEG no larger than `max_edge` pixels."""

    folder: str = ""  # empty: "photos" in the data folder; may be a shared mount
    jpeg_quality: int = 85
    max_edge: int = 2048


@dataclass(frozen=True)
class CentralConfig:
    url: str = ""  # empty: the embedded SQLite file in the data folder
    sslmode: str = ""
    sslrootcert: str = ""
    password_env: str = CENTRAL_PASSWORD_ENV
    sync_interval_s: int = 15  # how often the app pushes and pulls
    isolation: str = ""  # "": the server's default; SERIALIZABLE as on distributed SQL
    # Client timeouts of a PostgreSQL central (station/store/central_connection.py): a server that
    # never answers, a statement, a silent connection, one whole sync.
    connect_timeout_s: int = 10
    statement_timeout_s: int = 60
    keepalive_s: int = 15
    sync_deadline_s: int = 300


@dataclass(frozen=True)
class StationConfig:
    """The whole configuration, with defaults that run a single bench with no server."""

    station_code: str
    site: str = "Main warehouse"
    lpn_prefix: str = ""
    locale: str = "en_GB"
    rma_pattern: str = DEFAULT_RMA_PATTERN
    printer_uri: str = ""
    camera_source: int | str = 0
    high_value_threshold_major: int = 500
    scanner: ScannerConfig = field(default_factory=ScannerConfig)
    security: SecurityConfig = field(default_factory=SecurityConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    feedback: FeedbackConfig = field(default_factory=FeedbackConfig)
    central: CentralConfig = field(default_factory=CentralConfig)
    photos: PhotosConfig = field(default_factory=PhotosConfig)
    rules_file: str = ""  # empty: the shipped resources/rules/default.toml
    destinations: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DESTINATIONS))
    source: Path | None = None
    #: False when no `[station] code` was configured and the host name stands in for it.
    station_code_given: bool = field(default=True, compare=False)

    @property
    def rma_regex(self) -> re.Pattern[str]:
        return re.compile(self.rma_pattern, re.ASCII)

    @property
    def effective_lpn_prefix(self) -> str:
        return self.lpn_prefix or default_lpn_prefix(self.station_code)


def default_lpn_prefix(station_code: str) -> str:
    """Two to four characters from the station code; an LPN never starts with a digit, so
    it can never be mistaken for a GTIN."""
    letters = re.sub(r"[^0-9A-Z]", "", station_code.upper())
    prefix = (letters[:2] + letters[-2:]) if len(letters) > 4 else letters
    if not prefix or not prefix[0].isalpha():
        prefix = ("L" + prefix)[:4]
    return prefix if len(prefix) >= 2 else prefix + "S"


@dataclass(frozen=True)
class Locations:
    """Where this station keeps its data and configuration."""

    data_dir: Path
    config_file: Path

    @property
    def local_db(self) -> Path:
        return self.data_dir / "station.db"

    @property
    def embedded_central_db(self) -> Path:
        return self.data_dir / "central.db"

    @property
    def photos_dir(self) -> Path:
        return self.data_dir / "photos"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    def photos_folder(self, config: StationConfig) -> Path:
        """`photos.folder` when set (e.g. a shared mount), else `photos_dir`."""
        return Path(config.photos.folder).expanduser() if config.photos.folder else self.photos_dir


def resolve_locations(
    *, data_dir: str | None = None, config_file: str | None = None,
    env: Mapping[str, str] | None = None,
) -> Locations:
    """--data-dir beats RETURNS_STATION_HOME beats the platform folder; --config beats all.

    With an explicit data folder the configuration lives beside the data, so one folder
    is one complete station (handy for demos, tests and several stations on one PC).
    """
    environ = os.environ if env is None else env
    chosen = data_dir or environ.get(HOME_ENV)
    if chosen:
        base = Path(chosen).expanduser().resolve()
        config = base / CONFIG_FILE_NAME
    else:
        base = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        config = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / CONFIG_FILE_NAME
    if config_file:
        config = Path(config_file).expanduser().resolve()
    return Locations(data_dir=base, config_file=config)


def _printer_uri_problem(value: str) -> str | None:
    """Why `value` is not a usable printer.uri (empty is: no printer, preview only)."""
    if not value.strip():
        return None
    try:
        parse_printer_uri(value)
    except PrinterUriError as error:
        return str(error)
    return None


def load_config(path: Path, *, required: bool = False) -> StationConfig:
    """Read and validate the file; a missing file gives the defaults unless `required`."""
    if not path.exists():
        if required:
            raise ConfigError(path, "(file)", "the file does not exist; check the path given")
        return StationConfig(station_code=default_station_code(), station_code_given=False)
    try:
        raw = parse_toml(read_bounded(path, MAX_TEXT_FILE_BYTES).decode("utf-8"))
    except UnicodeDecodeError:
        raise ConfigError(path, "(file)", "is not UTF-8 text; save it as UTF-8") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(path, "(syntax)", f"not valid TOML: {error}") from None
    except FileReadError as error:
        raise ConfigError(path, "(file)", error.problem) from None
    return parse_config(raw, path)


def default_station_code() -> str:
    name = re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0]).upper()
    return (name or "STATION")[:32]


_STATION_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{0,31}")
_LPN_PREFIX = re.compile(r"[A-Z][A-Z0-9]{1,3}")


def station_code_problem(value: str) -> str | None:
    """What is wrong with a station code (None: nothing); also checked at enrolment."""
    return None if _STATION_CODE.fullmatch(value) else \
        "must be 1–32 upper-case letters, digits or '-', e.g. BENCH-01"


def lpn_prefix_problem(value: str) -> str | None:
    """What is wrong with an LPN prefix (None: nothing); also checked at enrolment."""
    return None if _LPN_PREFIX.fullmatch(value) else \
        "must be 2–4 upper-case letters or digits starting with a letter, unique to this station"


class _Reader:
    """Pops validated keys from one TOML table and reports leftovers as unknown keys."""

    def __init__(self, table: dict[str, Any], prefix: str, path: Path | None) -> None:
        self.table = dict(table)
        self.prefix = prefix
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def error(self, name: str, problem: str) -> ConfigError:
        return ConfigError(self.path, self.key(name), problem)

    def string(
        self, name: str, default: str, *, check: Callable[[str], str | None] | None = None,
        max_len: int = 500,
    ) -> str:
        if name not in self.table:
            return default
        value = self.table.pop(name)
        if not isinstance(value, str):
            raise self.error(name, f"must be text in quotes (got {value!r})")
        if len(value) > max_len or any(ord(c) < 32 and c not in "\r\n\t" for c in value):
            raise self.error(name, f"must be at most {max_len} printable characters")
        if check is not None and (problem := check(value)) is not None:
            raise self.error(name, problem)
        return value

    def integer(self, name: str, default: int, low: int, high: int) -> int:
        if name not in self.table:
            return default
        value = self.table.pop(name)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(name, f"must be a whole number from {low} to {high} (got {value!r})")
        return value

    def sub(self, name: str) -> _Reader:
        value = self.table.pop(name, {})
        if not isinstance(value, dict):
            raise self.error(name, "must be a table, written as [" + self.key(name) + "]")
        return _Reader(value, f"{self.key(name)}.", self.path)

    def finish(self) -> None:
        for name in self.table:
            raise self.error(name, "unknown key; check its spelling against docs/configuration.md")


def _regex_problem(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as error:
        return f"is not a valid regular expression ({error})"
    except RecursionError:
        return "is not a valid regular expression (nested too deeply)"
    return backtracking_problem(value)


def _url_problem(value: str) -> str | None:
    if value and not re.match(r"(sqlite|postgresql(\+psycopg)?)://", value):
        return "must start with sqlite:/// or postgresql:// (or be empty for the embedded database)"
    if re.match(r"postgresql(\+psycopg)?://[^/@]*:[^/@]*@", value):
        return (
            "must not contain a password; put it in the environment variable named by "
            "central.password_env or in the OS keyring"
        )
    return None


def parse_config(raw: dict[str, Any], path: Path | None = None) -> StationConfig:
    """Validate a parsed TOML document into a StationConfig (raises ConfigError)."""
    top = _Reader(raw, "", path)
    station = top.sub("station")
    code_given = "code" in station.table
    code = station.string("code", default_station_code(), check=station_code_problem)
    site = station.string("site", "Main warehouse", max_len=100)
    lpn_prefix = station.string("lpn_prefix", "", check=lpn_prefix_problem)
    locale = station.string(
        "locale", "en_GB",
        check=lambda v: None if re.fullmatch(r"[a-z]{2}(_[A-Z]{2})?", v) else
        "must look like en_GB or de_DE",
    )
    station.finish()

    rma = top.sub("rma")
    pattern = rma.string("number_pattern", DEFAULT_RMA_PATTERN, check=_regex_problem)
    rma.finish()

    policy = top.sub("policy")
    high_value = policy.integer("high_value_threshold", 500, 0, 10_000_000)
    policy.finish()

    sec = top.sub("security")
    security = SecurityConfig(
        max_failed_pins=sec.integer("max_failed_pins", 5, 3, 20),
        lockout_minutes=sec.integer("lockout_minutes", 15, 1, 24 * 60),
        idle_lock_minutes=sec.integer("idle_lock_minutes", 5, 1, 240),
    )
    sec.finish()

    priv = top.sub("privacy")
    privacy = PrivacyConfig(retention_days=priv.integer("retention_days", 0, 0, 3650))
    priv.finish()

    fb = top.sub("feedback")
    mute = fb.table.pop("mute", False)
    if not isinstance(mute, bool):
        raise fb.error("mute", f"must be true or false (got {mute!r})")
    feedback = FeedbackConfig(volume=fb.integer("volume", 80, 0, 100), mute=mute)
    fb.finish()

    printer = top.sub("printer")
    printer_uri = printer.string("uri", "", check=_printer_uri_problem, max_len=200)
    printer.finish()

    camera = top.sub("camera")
    camera_source: int | str = 0
    if "source" in camera.table:
        value = camera.table.pop("source")
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise camera.error(
                "source", "must be a device number (0), a video file path or a stream URL"
            )
        if isinstance(value, int) and not 0 <= value <= 63:
            raise camera.error("source", f"device number must be 0–63 (got {value})")
        camera_source = value
    camera.finish()

    scan = top.sub("scanner")
    scanner = ScannerConfig(
        max_key_interval_ms=scan.integer("max_key_interval_ms", 35, 5, 200),
        min_length=scan.integer("min_length", 4, 1, 64),
        prefix=scan.string("prefix", "", max_len=8),
        suffix=scan.string("suffix", "", max_len=8),
        serial_port=scan.string("serial_port", ""),
        serial_baud=scan.integer("serial_baud", 9600, 1200, 921_600),
        serial_terminator=scan.string("serial_terminator", "\r", max_len=2),
    )
    scan.finish()

    cen = top.sub("central")
    central = CentralConfig(
        url=cen.string("url", "", check=_url_problem),
        sslmode=cen.string(
            "sslmode", "",
            check=lambda v: None if v in {"", "disable", "allow", "prefer", "require",
                                          "verify-ca", "verify-full"} else
            "must be one of disable, allow, prefer, require, verify-ca, verify-full",
        ),
        sslrootcert=cen.string("sslrootcert", ""),
        password_env=cen.string(
            "password_env", CENTRAL_PASSWORD_ENV,
            check=lambda v: None if re.fullmatch(r"[A-Z_][A-Z0-9_]*", v) else
            "must be an environment variable name such as RETURNS_STATION_CENTRAL_PASSWORD",
        ),
        sync_interval_s=cen.integer("sync_interval_s", 15, 2, 3600),
        isolation=cen.string(
            "isolation", "",
            check=lambda v: None if v in {"", "READ COMMITTED", "REPEATABLE READ",
                                          "SERIALIZABLE"} else
            "must be READ COMMITTED, REPEATABLE READ or SERIALIZABLE (or empty for the "
            "server's default)",
        ),
        connect_timeout_s=cen.integer("connect_timeout_s", 10, 2, 300),
        statement_timeout_s=cen.integer("statement_timeout_s", 60, 1, 86_400),
        keepalive_s=cen.integer("keepalive_s", 15, 1, 3600),
        sync_deadline_s=cen.integer("sync_deadline_s", 300, 5, 86_400),
    )
    cen.finish()

    pho = top.sub("photos")
    photos = PhotosConfig(
        folder=pho.string("folder", "", max_len=400),
        jpeg_quality=pho.integer("jpeg_quality", 85, 30, 95),
        max_edge=pho.integer("max_edge", 2048, 640, 8192),
    )
    pho.finish()

    rul = top.sub("rules")
    rules_file = rul.string("file", "", max_len=400)
    rul.finish()

    dest = top.sub("destinations")
    destinations = dict(DEFAULT_DESTINATIONS)
    for disposition in Disposition:
        destinations[disposition] = dest.string(
            disposition.value, DEFAULT_DESTINATIONS[disposition], max_len=32,
            check=lambda v: None if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 _./-]*", v) else
            "must be a zone or bin name of letters, digits, spaces and - _ . /",
        )
    dest.finish()

    top.finish()
    return StationConfig(
        station_code=code, site=site, lpn_prefix=lpn_prefix, locale=locale,
        rma_pattern=pattern, printer_uri=printer_uri, camera_source=camera_source,
        high_value_threshold_major=high_value, scanner=scanner, security=security,
        privacy=privacy, feedback=feedback, central=central, photos=photos, rules_file=rules_file,
        destinations=destinations, source=path, station_code_given=code_given,
    )


SAMPLE_CONFIG = """\
# Returns Station configuration. Every key is optional; docs/configuration.md documents them all.
[station]
code = "{code}"          # printed on labels; 1-32 of A-Z 0-9 -
site = "Main warehouse"
lpn_prefix = "{prefix}"      # 2-4 characters that start every LPN this station prints
locale = "en_GB"

[rma]
number_pattern = 'RMA-[0-9]{{6}}'

[policy]
high_value_threshold = 500   # refunds of lines above this (in the RMA's currency) are held

[security]
max_failed_pins = 5          # wrong PINs in a row before the user is locked
lockout_minutes = 15
idle_lock_minutes = 5        # the screen locks after this long without input

[privacy]
retention_days = 0           # >0: customer names and photos are deleted after this many days

[feedback]
volume = 80                  # percent; success, unknown-code and error sounds
mute = false

[printer]
uri = ""                     # empty: preview only

[camera]
source = 0

[photos]
folder = ""                  # empty: "photos" in the data folder; may be a shared mount
jpeg_quality = 85            # 30-95
max_edge = 2048              # longest side of a stored photo, in pixels

[scanner]
max_key_interval_ms = 35
min_length = 4

[rules]
file = ""                    # empty: the shipped routing and refund policy

[central]
url = ""                     # empty: the embedded SQLite central database in the data folder
sync_interval_s = 15         # how often the app pushes its facts and pulls changes
"""
