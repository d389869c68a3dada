"""The `returns-station` command line: the top-level parser, the command groups it asks to
register, and running the chosen command inside one error mapping.

Without a command, `returns-station` starts the app: the composition root (ui.launcher)
parses with `parse_arguments`, sees `wants_app`, opens the station with `open_for_app` and
starts the GUI itself. The core never calls into the UI, imports no Qt, and every
headless command runs on a machine without a display. Each command group is a module of
its own that adds its parsers and handlers (station.cli.command); `GROUPS` names them in
the order `returns-station --help` lists them.
"""

from __future__ import annotations

import argparse
import importlib
import io
import logging
import os
import sys
from collections.abc import Callable, Sequence
from typing import Final, NoReturn

from sqlalchemy.exc import SQLAlchemyError

from station import __version__
from station.cli.argv_text import undecodable_argument
from station.cli.command import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    Bench,
    OnStation,
    WithDevices,
    WithoutStation,
    handler_of,
)
from station.cli.devices import Devices
from station.cli.opening import open_for_command
from station.cli.os_reasons import os_reason
from station.cli.pin_input import PinReader
from station.common.errors import UserFacingError
from station.demo.station import DemoFolderError
from station.runtime.bootstrap import OpenStation
from station.settings.config import ConfigError
from station.store import schema

__all__ = ["EXIT_CONFIG", "EXIT_FAILED", "EXIT_OK", "build_parser", "main", "open_for_app",
           "parse_arguments", "run", "wants_app"]

#: The command groups (modules of station.cli with a `register`), in the order the help
#: lists the commands. Imported when the full parser is built, not with this module: the
#: app's start (no command) needs none of them, and together they import much of the core.
GROUPS: Final[tuple[str, ...]] = (
    "db", "rma_import", "users", "decode", "labels", "evidence", "classify", "rules", "route",
    "central", "sync", "refunds", "enrol", "simulate", "report", "privacy", "audit")
#: Arguments that are file or folder names, which may hold bytes that are not UTF-8.
PATH_ARGUMENTS: Final = frozenset({"config", "data_dir", "case_file", "out", "work_dir"})
log = logging.getLogger(__name__)


def _add_global_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--version", action="version", version=f"returns-station {__version__}")
    parser.add_argument("--config", metavar="FILE", help="configuration file (TOML)")
    parser.add_argument("--data-dir", metavar="DIR",
                        help="data folder (default: $RETURNS_STATION_HOME or the platform's)")
    parser.add_argument("--demo", action="store_true",
                        help="start the app on the demo station (sample returns and users), "
                             "as it was left; a new one the first time")
    parser.add_argument("--fresh-demo", action="store_true",
                        help="start the demo over (the previous demo is wiped); implies --demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="returns-station",
        description="Returns Station: receive, inspect, grade, route and label customer returns. "
                    "With no command, starts the app.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_global_options(parser)
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    for name in GROUPS:
        importlib.import_module(f"station.cli.{name}").register(commands)
    return parser


class _NotOnlyGlobalOptions(Exception):
    """The light parser met something it does not know: the full parser decides."""


class _GlobalOptionsParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise _NotOnlyGlobalOptions(message)


def _app_arguments(
    argv: Sequence[str] | None,
) -> tuple[argparse.Namespace, argparse.ArgumentParser] | None:
    """The arguments, and the parser that read them, when they are global options alone
    (the app starts), read without building the full parser; None when there is anything
    else (a command, --help, a mistake), which the full parser reads, so usage and errors
    stay the full parser's."""
    parser = _GlobalOptionsParser(prog="returns-station", add_help=False)
    _add_global_options(parser)
    try:
        args, rest = parser.parse_known_args(argv)
    except _NotOnlyGlobalOptions:
        return None
    if rest:
        return None
    args.command = None
    return args, parser


def parse_arguments(argv: Sequence[str] | None = None) -> argparse.Namespace | int:
    """The parsed command line, or the exit status of a refusal already printed (an
    argument that is not text). Usage errors exit through argparse as usual."""
    parsed = _app_arguments(argv)
    if parsed is None:
        parser = build_parser()
        parsed = parser.parse_args(argv), parser
    args, parser = parsed
    if problem := undecodable_argument(args, parser, PATH_ARGUMENTS):
        print(problem, file=sys.stderr)
        return EXIT_CONFIG
    return args


def wants_app(args: argparse.Namespace) -> bool:
    """No command: the person wants the app (the composition root starts it)."""
    return args.command is None


def main(argv: Sequence[str] | None = None, *, devices: Devices | None = None) -> int:
    """Parse and run one headless command; its exit status."""
    args = parse_arguments(argv)
    if isinstance(args, int):
        return args
    return run(args, devices=devices)


def run(args: argparse.Namespace, *, devices: Devices | None = None) -> int:
    """Run one parsed command; its exit status. Output cut short by a closed pipe (`sync |
    head`) ends quietly, as the Python documentation recommends for SIGPIPE: standard output
    is pointed at devnull so the interpreter's last flush at exit cannot fail again."""
    if isinstance(sys.stdout, io.TextIOWrapper):  # a file name that is not UTF-8 is shown
        sys.stdout.reconfigure(errors="backslashreplace")  # escaped, as stderr does
    try:
        status = _guarded(lambda: _run_command(args, devices))
        sys.stdout.flush()
    except BrokenPipeError:
        _quiet_stdout()
        return EXIT_FAILED
    return status


def open_for_app(args: argparse.Namespace) -> OpenStation | int:
    """The station the app runs on (the demo one with `--demo`), logging to its data folder;
    or the exit status of a refusal already printed, with the same messages as a command."""
    opened: list[OpenStation] = []

    def work() -> int:
        opened.append(open_for_command(args))
        return EXIT_OK

    status = _guarded(work)
    return opened[0] if opened else status


def _quiet_stdout() -> None:
    try:
        descriptor = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):  # captured or replaced in-process
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, descriptor)
    os.close(devnull)


def _unexpected(error: BaseException) -> int:
    """The last guard: no command ends in a traceback. The trace goes to the log file when
    logging is set up, never to the terminal."""
    if logging.getLogger().handlers:
        log.error("unexpected error", exc_info=error)
    first = (str(error).splitlines() or [""])[0][:300]
    print(f"Unexpected error: {error.__class__.__name__}: {first}", file=sys.stderr)
    return EXIT_FAILED


def _guarded(work: Callable[[], int]) -> int:
    """`work`'s exit status, or the status of the refusal it raised, printed for the person
    at the terminal: no command ends in a traceback."""
    try:
        return work()
    except ConfigError as error:
        print(f"Configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except (schema.SchemaError, DemoFolderError) as error:
        print(str(error), file=sys.stderr)
        return EXIT_CONFIG
    except UserFacingError as error:
        print(str(error), file=sys.stderr)
        return EXIT_FAILED
    except SQLAlchemyError as error:
        log.exception("database error")
        first = (str(error).splitlines() or [""])[0]
        print(f"Database error: {error.__class__.__name__}: {first}", file=sys.stderr)
        return EXIT_FAILED
    except BrokenPipeError:
        raise
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        print(f"{where}{os_reason(error)}", file=sys.stderr)
        return EXIT_FAILED
    except MemoryError:
        print("Out of memory: the input is too large for this machine.", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130
    except Exception as error:
        return _unexpected(error)


def _run_command(args: argparse.Namespace, devices: Devices | None) -> int:
    """Run the chosen command's handler: one `WithoutStation` opens nothing; any other gets
    the station opened for it, closed afterwards."""
    handler = handler_of(args)
    if isinstance(handler, WithoutStation):
        return handler.work(args, devices)
    if isinstance(handler, WithDevices) and devices is None:
        print(handler.missing, file=sys.stderr)
        return EXIT_FAILED
    opened = open_for_command(args)
    try:
        bench = Bench(opened, PinReader(), devices)
        if isinstance(handler, OnStation):
            return handler.work(args, bench)
        if isinstance(handler, WithDevices) and devices is not None:
            return handler.work(args, bench, devices)
        print("The app starts from `returns-station` itself; here, use one of the commands "
              "(--help).", file=sys.stderr)
        return EXIT_CONFIG
    finally:
        opened.close()
