"""What a command group registers for each command it adds: the handler `main` runs, and
whether that handler needs this station opened first.

Contract: a group module's `register(commands)` adds its parser(s) to the top-level
subcommands and gives each runnable parser its handler with `runs(parser, handler)`.
`main` then runs the chosen handler inside its error mapping: a `WithoutStation` handler
opens nothing (it gets the parsed arguments and the installation's devices, None when there
are none); an `OnStation` handler gets a `Bench`, the station `main` opened for it and
closes afterwards; a `WithDevices` handler is an `OnStation` one that cannot work without
the devices, refused before any station opens.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeAlias

from station.cli.devices import Devices
from station.cli.pin_input import PinReader
from station.runtime.bootstrap import OpenStation

EXIT_OK: Final = 0
EXIT_FAILED: Final = 1
EXIT_CONFIG: Final = 2

#: The top-level subcommands (or a group's actions) a module adds its parsers to.
Subcommands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"


@dataclass(frozen=True)
class Bench:
    """What a command working on this station gets."""

    opened: OpenStation
    reader: PinReader
    devices: Devices | None


@dataclass(frozen=True)
class WithoutStation:
    """A command that needs no opened station (nothing is created for it)."""

    work: Callable[[argparse.Namespace, Devices | None], int]


@dataclass(frozen=True)
class OnStation:
    """A command that works on this station (the demo one with --demo)."""

    work: Callable[[argparse.Namespace, Bench], int]


@dataclass(frozen=True)
class WithDevices:
    """A command on this station that cannot run without the installation's devices:
    `missing` is printed, and nothing opened, when there are none."""

    work: Callable[[argparse.Namespace, Bench, Devices], int]
    missing: str


Handler: TypeAlias = WithoutStation | OnStation | WithDevices


def runs(parser: argparse.ArgumentParser, handler: Handler) -> None:
    """Make `handler` what runs when `parser`'s command (or any action below it without a
    handler of its own) is chosen."""
    parser.set_defaults(run=handler)


def handler_of(args: argparse.Namespace) -> Handler | None:
    """The handler of the chosen command; None without a command (the app)."""
    handler = getattr(args, "run", None)
    return handler if isinstance(handler, WithoutStation | OnStation | WithDevices) else None
