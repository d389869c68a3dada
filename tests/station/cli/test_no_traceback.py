"""No command ends in a traceback, whatever file or argument it is given.

Every command of `returns-station` (listed from the parser itself, so a new command is
covered the day it is added) is run in-process with the installed drivers, on hostile
files (random bytes, JSON and TOML nested thousands deep, duplicate keys, lone
surrogates, a PNG claiming ten billion pixels, /dev/zero, a folder, a FIFO) and hostile
arguments (control and bidi characters, surrogates from undecodable argv bytes, very long
text). Whatever happens, the person sees a message, never a traceback, and never the
last-resort "Unexpected error" either (that guard exists for bugs, and these are not
bugs' inputs). Where the input is certainly bad the exit status is non-zero and the
message is on standard error.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pytest
from cli_runner import run
from hostile_files import nested_json, nested_toml, png_claiming
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from station.cli.devices import FileDecode
from station.cli.main import build_parser
from station.routing.rules import RULES_DIR
from ui.launcher import Hardware

ADMIN_PIN: Final = "13792468"
HARDWARE: Final = Hardware()
#: Commands that start long-running work when their arguments happen to be valid.
NOT_FUZZED: Final = frozenset({"simulate"})
SETTINGS: Final = settings(max_examples=8, deadline=None, derandomize=True,
                           suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                  HealthCheck.too_slow])


@dataclass(frozen=True)
class Outcome:
    status: int
    out: str
    err: str

    def assert_no_traceback(self) -> None:
        everything = self.out + self.err
        assert "Traceback" not in everything, everything[-3000:]
        assert "Unexpected error" not in self.err, self.err[-3000:]
        if self.status != 0:  # `decode` reports a file's problem in its JSON `error` field
            assert self.err.strip() or '"error": ' in self.out, f"exit {self.status}, no message"

    def assert_refused(self) -> None:
        self.assert_no_traceback()
        assert self.status != 0, self.out[-2000:]


def invoke(capsys: pytest.CaptureFixture[str], *args: str, stdin: str = "") -> Outcome:
    capsys.readouterr()
    if isinstance(sys.stderr, io.TextIOWrapper):  # as a real stderr: backslashreplace
        sys.stderr.reconfigure(errors="backslashreplace")
    try:
        status = run(*args, stdin=stdin, devices=HARDWARE)
    except SystemExit as exit_:  # argparse: usage errors (2), --help (0)
        status = exit_.code if isinstance(exit_.code, int) else 2
    out, err = capsys.readouterr()
    return Outcome(status, out, err)


def leaf_commands(parser: argparse.ArgumentParser | None = None,
                  prefix: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...],
                                                                  argparse.ArgumentParser]]:
    """Every runnable command path (("users", "add"), ("decode",), ...) and its parser."""
    parser = parser or build_parser()
    subcommands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subcommands:
        yield prefix, parser
        return
    for name, sub in subcommands[0].choices.items():
        yield from leaf_commands(sub, (*prefix, name))


COMMANDS: Final = sorted(path for path, _ in leaf_commands())


# ------------------------------------------------------------------------ the station


@pytest.fixture(scope="module")
def station(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station folder with its first admin, `boss`."""
    folder = tmp_path_factory.mktemp("hostile") / "station"
    folder.mkdir()
    (folder / "config.toml").write_text('[station]\ncode = "HOSTILE-1"\n', encoding="utf-8")
    assert run("--data-dir", str(folder), "users", "add", "boss", "--name", "Bea Boss",
               "--role", "admin", stdin=f"{ADMIN_PIN}\n") == 0
    return folder


# ------------------------------------------------------------------------ hostile input

BOM: Final = b"\xef\xbb\xbf"
JSON_LEAVES: Final = (st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False)
                      | st.text(max_size=12))
JSON_DOCUMENTS: Final = st.recursive(
    JSON_LEAVES, lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=12)
HOSTILE_CONTENT: Final = st.one_of(
    st.binary(max_size=2000),
    JSON_DOCUMENTS.map(lambda document: json.dumps(document).encode()),
    st.integers(65, 20_000).map(lambda depth: nested_json(depth).encode()),
    st.integers(33, 20_000).map(lambda depth: nested_toml(depth).encode()),
    st.sampled_from([
        b"", BOM, BOM + b"{}", b'{"a": 1, "a": 2}', b'[{"name": "\\ud800"}]', b"NaN",
        b"\xff\xfe{\x00}\x00", b"version = 1\n" + b"x." * 3000 + b"y = 1\n",
        b"a = " + b"{b = " * 3000 + b"1" + b"}" * 3000, b"\x00" * 100,
        png_claiming(100_000, 100_000), b"rma_number\n" + b"RMA-1\n" * 50,
        b'{"data": {"returns": {"nodes": [{"order": {"createdAt": '
        b'"0001-01-01T00:00:00+14:00"}}]}}}',
    ]),
)
#: What argv can hold: any bytes but NUL, decoded as Python does (PEP 383: a byte that is
#: not UTF-8 becomes a lone surrogate \udc80-\udcff).
HOSTILE_TEXT: Final = st.one_of(
    st.binary(max_size=30).map(lambda raw: os.fsdecode(raw.replace(b"\x00", b""))),
    st.text(st.characters(codec=None, exclude_characters="\x00"), max_size=30),
    st.sampled_from([
        "\udcff", "x\udcff.json", "", " ", "-", "\u202egnp.exe\u202c", "A\x1b@B\x1dV\x00C"[:5],
        "x" * 5000, "RMA-" + "1" * 600, "'; DROP TABLE rmas;--", "%s%n{0}", "NaN", "-1",
        "9" * 40, "../../../../etc/passwd", "/dev/zero", "/", "\u0130\u0131\ufb01",
    ]),
)


def special_paths(folder: Path) -> dict[str, Path]:
    """Paths that are not a file to read: missing, a folder, a device, a FIFO."""
    fifo = folder / "a-fifo"
    if not fifo.exists():
        os.mkfifo(fifo)
    (folder / "a-folder").mkdir(exist_ok=True)
    return {"missing": folder / "missing.csv", "folder": folder / "a-folder",
            "device": Path("/dev/zero"), "fifo": fifo}


#: Commands that read a file, as argv with FILE where the file goes.
FILE_READERS: Final = {
    "decode": ("decode", "FILE"),
    "import-rmas csv": ("import-rmas", "--format", "csv", "FILE", "--as", "boss"),
    "import-rmas shopify": ("import-rmas", "--format", "shopify", "FILE", "--as", "boss"),
    "rules check": ("rules", "check", "FILE"),
    "rules publish": ("rules", "publish", "FILE", "--as", "boss"),
    "route": ("route", "FILE"),
    "route --rules": ("route", "--rules", "FILE", "-"),
    "config": ("--config", "FILE", "db", "status"),
    "config before a command that needs no station": ("--config", "FILE", "classify", "x"),
}
@pytest.mark.parametrize("reader", sorted(FILE_READERS))
@SETTINGS
@given(content=HOSTILE_CONTENT)
@example(content=nested_json(100_000).encode())
@example(content=nested_toml(100_000).encode())
@example(content=png_claiming(100_000, 100_000))
def test_every_file_reader_answers_hostile_content_with_a_message(
    station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: str,
    content: bytes,
) -> None:
    path = tmp_path / ("input.png" if reader == "decode" else "input.json")
    path.write_bytes(content)
    args = [str(path) if arg == "FILE" else arg for arg in FILE_READERS[reader]]
    invoke(capsys, "--data-dir", str(station), *args,
           stdin=f"{ADMIN_PIN}\n{{}}").assert_no_traceback()


@pytest.mark.parametrize("reader", sorted(FILE_READERS))
@pytest.mark.parametrize("kind", ["missing", "folder", "device", "fifo"])
def test_every_file_reader_refuses_what_is_not_a_file(
    station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], reader: str, kind: str,
) -> None:
    path = special_paths(tmp_path)[kind]
    args = [str(path) if arg == "FILE" else arg for arg in FILE_READERS[reader]]
    outcome = invoke(capsys, "--data-dir", str(station), *args, stdin=f"{ADMIN_PIN}\n{{}}")
    outcome.assert_refused()
    assert str(path) in outcome.err + outcome.out


@pytest.mark.parametrize("writer", [
    ("label", "render", "BN00000001F", "--out", "OUT"),
    ("evidence", "BN00000001F", "--as", "boss", "--out", "OUT"),
    ("report", "daily", "--format", "csv", "--out", "OUT"),
], ids=["label render", "evidence", "report"])
@pytest.mark.parametrize("where", ["missing-folder/x.out", "a-folder", "/dev/null"])
def test_every_file_writer_refuses_a_place_it_cannot_write(
    station: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
    writer: tuple[str, ...], where: str,
) -> None:
    (tmp_path / "a-folder").mkdir()
    out = where if where.startswith("/") else str(tmp_path / where)
    args = [out if arg == "OUT" else arg for arg in writer]
    invoke(capsys, "--data-dir", str(station), *args,
           stdin=f"{ADMIN_PIN}\n").assert_refused()
    assert Path("/dev/null").is_char_device()


# ------------------------------------------------------------------------ arguments

#: A plausible value for each positional argument, by its dest, so one slot at a time
#: can be hostile while the rest get past the parser.
PLAUSIBLE: Final = {
    "username": "nobody", "lpn": "BN00000001F", "file": "absent.csv", "files": "absent.png",
    "codes": "RMA-100001", "case_file": "-", "role": "grader", "ids": "nothing",
    "code": "BENCH-09", "token": "nothing",
}
REQUIRED_OPTIONS: Final = {
    "--name": "Nobody", "--role": "grader", "--printer": "pdf:///nonexistent-folder/",
    "--out": "/nonexistent-folder/out", "--as": "nobody", "--format": "csv",
}


def argument_slots() -> list[tuple[tuple[str, ...], str]]:
    """(command, slot) for every positional and every option that takes free text."""
    slots: list[tuple[tuple[str, ...], str]] = []
    for path, parser in leaf_commands():
        if path[0] in NOT_FUZZED:
            continue
        for action in parser._actions:
            if action.dest == "help" or action.choices is not None or action.nargs == 0:
                continue
            slots.append((path, action.option_strings[0] if action.option_strings
                          else action.dest))
    return slots


def argv_for(path: tuple[str, ...], hostile_slot: str, hostile: str) -> list[str]:
    parser = dict(leaf_commands())[path]
    argv = list(path)
    for action in parser._actions:
        if action.dest == "help":
            continue
        if action.option_strings:
            option = action.option_strings[0]
            if option == hostile_slot:
                argv += [option, hostile]
            elif action.required:
                argv += [option, REQUIRED_OPTIONS.get(option, "nothing")]
        else:
            argv.append(hostile if action.dest == hostile_slot
                        else PLAUSIBLE.get(action.dest, "nothing"))
    return argv


SLOTS: Final = argument_slots()


@pytest.mark.parametrize(("command", "slot"), SLOTS,
                         ids=[" ".join(c) + " " + s for c, s in SLOTS])
def test_every_argument_of_every_command_answers_bytes_that_are_not_utf8_with_a_message(
    station: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...], slot: str,
) -> None:
    """The worst an argument can be at a real terminal: bytes that are not UTF-8."""
    invoke(capsys, "--data-dir", str(station), *argv_for(command, slot, "A\udcff\udce9"),
           stdin="0000\n").assert_no_traceback()


@settings(SETTINGS, max_examples=60)
@given(slot=st.sampled_from(SLOTS), hostile=HOSTILE_TEXT)
@example(slot=(("classify",), "codes"), hostile="x" * 5000)
@example(slot=(("label", "render"), "lpn"), hostile="\u202egnp.exe\u202c")
def test_any_argument_of_any_command_answers_hostile_text_with_a_message(
    station: Path, capsys: pytest.CaptureFixture[str], slot: tuple[tuple[str, ...], str],
    hostile: str,
) -> None:
    command, name = slot
    invoke(capsys, "--data-dir", str(station), *argv_for(command, name, hostile),
           stdin="0000\n").assert_no_traceback()


@SETTINGS
@given(config=HOSTILE_CONTENT, option=st.sampled_from(["--config", "--data-dir"]))
def test_the_global_options_answer_hostile_paths_and_files_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], config: bytes, option: str
) -> None:
    folder = tmp_path / "fuzzed"
    folder.mkdir(exist_ok=True)
    (folder / "config.toml").write_bytes(config)
    target = folder / "config.toml" if option == "--config" else folder
    invoke(capsys, option, str(target), "db", "status").assert_no_traceback()


def test_every_command_of_the_parser_is_fuzzed() -> None:
    fuzzed = {command for command, _ in argument_slots()}
    without_arguments = {path for path, parser in leaf_commands()
                         if all(a.dest == "help" or a.nargs == 0 or a.choices is not None
                                for a in parser._actions)}
    assert set(COMMANDS) - fuzzed - without_arguments <= {("simulate",)}


@pytest.mark.parametrize("options", [
    ["--central", "x", "--stations", "1", "--units", "1"],
    ["--central", "sqlite:////dev/zero", "--stations", "1", "--units", "1"],
    ["--central", "sqlite:////nonexistent/c.db", "--stations", "0", "--units", "1"],
    ["--central", "postgresql://\udcff", "--stations", "1", "--units", "1"],
    ["--central", "sqlite:////nonexistent/c.db", "--stations", "x", "--units", "1"],
], ids=["not-a-url", "dev-zero", "no-stations", "undecodable", "not-a-number"])
def test_simulate_refuses_hostile_options_with_a_message(
    capsys: pytest.CaptureFixture[str], options: list[str]
) -> None:
    invoke(capsys, "simulate", *options).assert_refused()


class BrokenDecoder(Hardware):
    """A decoder library that fails in a way nobody foresaw."""

    def decode_file(self, path: Path) -> FileDecode:
        raise RuntimeError("the decoder library crashed\nwith a second line")


def test_the_unforeseen_ends_in_one_line_naming_it_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    status = run("--data-dir", str(tmp_path / "station"), "decode", "photo.png",
                 devices=BrokenDecoder())
    out, err = capsys.readouterr()
    assert status == 1 and out == ""
    assert err == "Unexpected error: RuntimeError: the decoder library crashed\n"


# ------------------------------------------------------------------------ the terminal


def installed_command() -> list[str]:
    return [sys.executable, "-c", "import sys; from ui.launcher import main; sys.exit(main())"]


def test_output_cut_short_by_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    """`returns-station classify ... | head -1`: the reader goes away after one line."""
    codes = [f"RMA-{n:06d}" for n in range(3000)]
    process = subprocess.Popen(
        [*installed_command(), "--data-dir", str(tmp_path / "station"), "classify", *codes],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).parents[3])
    assert process.stdout is not None and process.stderr is not None
    first = process.stdout.readline()
    process.stdout.close()
    with process.stderr:
        err = process.stderr.read().decode()
    status = process.wait(timeout=60)
    assert json.loads(first)["kind"] == "rma"
    assert err == "" and status == 1


def test_an_undecodable_file_name_is_shown_escaped_not_a_traceback(tmp_path: Path) -> None:
    """A file name that is not UTF-8 (bytes from another system) reaches stdout intact."""
    name = os.fsdecode(b"r\xe8gles.toml")
    (tmp_path / name).write_bytes((RULES_DIR / "default.toml").read_bytes())
    result = subprocess.run(
        [*installed_command(), "--data-dir", str(tmp_path / "station"), "rules", "check",
         str(tmp_path / name)], capture_output=True, cwd=Path(__file__).parents[3],
        env={**os.environ, "LC_ALL": "C.UTF-8", "PYTHONIOENCODING": ""}, timeout=60)
    assert result.returncode == 0, result.stderr.decode()
    assert b"Traceback" not in result.stderr
    assert b"r\\udce8gles.toml: rule set" in result.stdout
