"""The real app on a real X server, driven as a person and a keyboard-wedge scanner would:
Xvfb for the screen, xdotool for the keys (scans typed at scanner speed, keys at a
person's pace), the app's own log for what screen it shows, and its database for what
it recorded. Nothing here reaches into the app's objects.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

#: Between two key presses of a keyboard-wedge scanner, and of a person typing a code.
SCANNER_DELAY_MS = 8
HUMAN_DELAY_MS = 140
#: A person looks at the screen before pressing the next key.
HUMAN_PAUSE_S = 0.4
SCREEN_TIMEOUT_S = 30.0
SCREEN = "1366x768x24"


def tools_or_skip() -> None:
    """Xvfb and xdotool, or a skip (a failure where CI must run the journeys)."""
    missing = [tool for tool in ("Xvfb", "xdotool") if shutil.which(tool) is None]
    if missing:
        message = f"the bench journeys need {' and '.join(missing)} (scripts/bootstrap.sh --test)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


@contextmanager
def x_server() -> Iterator[str]:
    """A private Xvfb server at 1366×768 (a common bench monitor); its DISPLAY."""
    read_end, write_end = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp"],
        pass_fds=(write_end,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write_end)
    try:
        with os.fdopen(read_end) as chosen:
            number = chosen.readline().strip()
        if not number.isdigit():
            pytest.fail("Xvfb did not start")
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


@dataclass
class Bench:
    """The app under test, and every input given to it (`inputs` counts what a grader does:
    one scan, or one key)."""

    display: str
    data_dir: Path
    process: subprocess.Popen[bytes]
    window: str = ""
    inputs: list[str] = field(default_factory=list)
    _log_seen: int = 0

    @property
    def log(self) -> Path:
        return self.data_dir / "logs" / "returns-station.log"

    def xdotool(self, *args: str) -> str:
        done = subprocess.run(["xdotool", *args], env={**os.environ, "DISPLAY": self.display},
                              capture_output=True, text=True, timeout=60, check=False)
        if done.returncode != 0:
            pytest.fail(f"xdotool {' '.join(args)}: {done.stderr.strip()}")
        return done.stdout.strip()

    def wait_for_window(self) -> None:
        deadline = time.monotonic() + SCREEN_TIMEOUT_S
        while time.monotonic() < deadline:
            self.alive()
            found = subprocess.run(
                ["xdotool", "search", "--onlyvisible", "--name", "Returns Station"],
                env={**os.environ, "DISPLAY": self.display}, capture_output=True, text=True,
                timeout=10, check=False).stdout.split()
            if found:
                self.window = found[0]
                self.xdotool("windowfocus", "--sync", self.window)
                return
            time.sleep(0.1)
        pytest.fail("the app's window did not appear")

    def alive(self) -> None:
        if self.process.poll() is not None:
            pytest.fail(f"the app exited ({self.process.returncode}); log:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def wait_for_screen(self, name: str) -> None:
        """Wait until the app says it shows `name` (a line it logs on each screen change)
        after the last screen waited for."""
        wanted = f"screen: {name}"
        deadline = time.monotonic() + SCREEN_TIMEOUT_S
        while time.monotonic() < deadline:
            self.alive()
            text = self.log_text()
            at = text.find(wanted, self._log_seen)
            if at >= 0:
                self._log_seen = at + len(wanted)
                return
            time.sleep(0.05)
        pytest.fail(f"the app never showed the {name} screen; log:\n{self.log_text()[-3000:]}")

    def scan(self, code: str, *, delay_ms: int = SCANNER_DELAY_MS) -> None:
        """A barcode read by a keyboard-wedge scanner (or typed, with a person's delay):
        the characters, then Enter. One input, after the person picks up the scanner."""
        time.sleep(HUMAN_PAUSE_S)
        self.inputs.append(f"scan {code}")
        self.xdotool("type", "--delay", str(delay_ms), "--", code)
        self.xdotool("key", "Return")

    def press(self, key: str) -> None:
        """One key, after a person's look at the screen. One input."""
        time.sleep(HUMAN_PAUSE_S)
        self.inputs.append(f"key {key}")
        self.xdotool("key", key)

    def keys_not_counted(self, *keys: str, text: str = "") -> None:
        """Signing in: keys that are not part of handling a unit."""
        for key in keys:
            time.sleep(0.15)
            self.xdotool("key", key)
        if text:
            self.xdotool("type", "--delay", str(HUMAN_DELAY_MS), "--", text)

    def screenshot(self, path: Path) -> None:
        if shutil.which("import"):
            subprocess.run(["import", "-window", "root", str(path)], timeout=60, check=False,
                           env={**os.environ, "DISPLAY": self.display})

    def query(self, sql: str, *params: object) -> list[tuple[object, ...]]:
        """Read the station's database (read-only) as the app left it."""
        uri = f"file:{self.data_dir / 'station.db'}?mode=ro"
        with sqlite3.connect(uri, uri=True, timeout=10) as db:
            return db.execute(sql, params).fetchall()

    def until(self, what: str, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + SCREEN_TIMEOUT_S
        while time.monotonic() < deadline:
            if condition():
                return
            time.sleep(0.1)
        pytest.fail(f"timed out waiting for {what}")


def app_command() -> list[str]:
    """The installed entry point beside this interpreter, as a user starts the app."""
    script = Path(sys.executable).with_name("returns-station")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from ui.launcher import main; "
                                  "sys.exit(main())"]


def demo_station(data_dir: Path, printer_uri: str = "") -> None:
    """A fresh demo station in `data_dir`, made by the command line as an admin would, with
    `printer_uri` set in its configuration file."""
    done = subprocess.run([*app_command(), "--fresh-demo", "--data-dir", str(data_dir), "db",
                           "status"], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    config = data_dir / "config.toml"
    text = config.read_text(encoding="utf-8")
    assert 'uri = ""' in text
    config.write_text(text.replace('uri = ""', f'uri = "{printer_uri}"', 1), encoding="utf-8")


@contextmanager
def running_app(display: str, data_dir: Path, *args: str) -> Iterator[Bench]:
    """The app started as a user would on the demo station in `data_dir` (`demo_station`)
    on `display`."""
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    with open(data_dir.parent / f"{data_dir.name}-stderr.txt", "wb") as stderr:
        process = subprocess.Popen([*app_command(), "--demo", "--data-dir", str(data_dir),
                                    *args], env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    bench = Bench(display, data_dir, process)
    try:
        bench.wait_for_window()
        yield bench
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
